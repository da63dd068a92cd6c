--
-- lifeguard.recent_events(since): the shared-memory event ring.
--

SELECT pg_get_function_arguments('lifeguard.recent_events'::regproc);
SELECT pg_get_function_result('lifeguard.recent_events'::regproc);

-- The first event since server start is the worker's own start
SELECT seq, kind, severity, pid = (SELECT pid FROM lifeguard.worker_status()) AS worker_pid,
       role, database, application_name, policy, action, detail
FROM lifeguard.recent_events()
ORDER BY seq
LIMIT 1;

-- Terminating the worker ends it through the normal FATAL path; the
-- postmaster starts a new one (restart interval 5 s).  The ring keeps the
-- whole story, oldest first, numbered without gaps.
SELECT pid AS old_worker_pid FROM lifeguard.worker_status() \gset
SELECT pg_terminate_backend(:old_worker_pid);
SELECT wait_for($$(SELECT pid IS NOT NULL AND pid <> $$ || :old_worker_pid ||
                $$ AND ticks > 0 FROM lifeguard.worker_status())$$);
SELECT seq, kind, severity,
       regexp_replace(detail, '[0-9]+', 'N', 'g') AS detail
FROM lifeguard.recent_events()
ORDER BY seq;
SELECT bool_and(seq = prev_seq + 1 AND event_time >= prev_time) AS ordered,
       count(*) AS pairs
FROM (SELECT seq, event_time,
             lag(seq) OVER (ORDER BY seq) AS prev_seq,
             lag(event_time) OVER (ORDER BY seq) AS prev_time
      FROM lifeguard.recent_events()) e
WHERE prev_seq IS NOT NULL;
SELECT (SELECT pid FROM lifeguard.recent_events() WHERE kind = 'worker_stopped')
         = :old_worker_pid AS stopped_is_old,
       (SELECT pid FROM lifeguard.recent_events() WHERE kind = 'worker_restarted')
         = (SELECT pid FROM lifeguard.worker_status()) AS restarted_is_new,
       (SELECT restarts FROM lifeguard.worker_status()) AS restarts;

-- Every kind and severity is one of the documented names
SELECT count(*) AS undocumented
FROM lifeguard.recent_events()
WHERE kind NOT IN ('worker_started', 'worker_restarted', 'worker_stopped', 'worker_error')
   OR severity NOT IN ('info', 'warning', 'critical');

-- "since" filters by event time; NULL and -infinity mean everything
SELECT (SELECT count(*) FROM lifeguard.recent_events(NULL)) =
       (SELECT count(*) FROM lifeguard.recent_events()) AS null_is_all,
       (SELECT count(*) FROM lifeguard.recent_events('-infinity')) =
       (SELECT count(*) FROM lifeguard.recent_events()) AS minus_infinity_is_all,
       (SELECT count(*) FROM lifeguard.recent_events('infinity')) AS after_infinity,
       (SELECT count(*) FROM lifeguard.recent_events(now() + interval '1 day')) AS future;

SELECT count(*) AS since_first_event
FROM lifeguard.recent_events((SELECT min(event_time) FROM lifeguard.recent_events()))
WHERE kind = 'worker_started';

-- Bad arguments
SELECT * FROM lifeguard.recent_events('not a time');
SELECT * FROM lifeguard.recent_events(since => 42);
