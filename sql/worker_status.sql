--
-- lifeguard.worker_status(): the worker as shared memory sees it.
--

-- Pinned signature: clients and dashboards rely on these columns
SELECT pg_get_function_arguments('lifeguard.worker_status'::regproc);
SELECT pg_get_function_result('lifeguard.worker_status'::regproc);

-- The worker ticks on its own (naptime 100 ms in test/regress.conf)
SELECT wait_for($$(SELECT ticks >= 3 FROM lifeguard.worker_status())$$);

-- Its database is "postgres", where the extension does not exist yet: it
-- waits, and says so.  Nothing went wrong and it has not restarted.
SELECT pid IS NOT NULL AS has_pid,
       state,
       database,
       started_at <= now() AS started_in_past,
       last_tick_at >= started_at AS ticked_after_start,
       last_tick_us >= 0 AND max_tick_us >= last_tick_us AS tick_times_sane,
       errors,
       last_error,
       restarts
FROM lifeguard.worker_status();

-- The pid is that of a live pg_lifeguard background worker
SELECT a.backend_type, a.application_name, a.datname
FROM lifeguard.worker_status() w
JOIN pg_stat_activity a ON a.pid = w.pid;

-- Settings in force in the worker, as SHOW prints them; developer options
-- are left out
SELECT key, value
FROM lifeguard.worker_status(), jsonb_each_text(settings)
ORDER BY key;

-- The login hook's own cost: this session's login was checked and timed
SELECT login_hook_calls >= 1 AS logins_counted,
       login_hook_avg_us > 0 AS hook_timed
FROM lifeguard.worker_status();
