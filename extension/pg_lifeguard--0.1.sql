/* pg_lifeguard--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lifeguard" to load this file. \quit

-- The schema is created by CREATE EXTENSION (schema = lifeguard in the
-- control file).  Everyone may look inside it; each function checks its own
-- privileges and says clearly what is missing.
GRANT USAGE ON SCHEMA lifeguard TO PUBLIC;

-- Name resolution, the one rule for every function in this script.  The
-- background workers run as the bootstrap superuser and read the views and
-- call the functions below; so does any pg_monitor role.  Nothing here may
-- resolve a function, operator or type through the caller's search_path,
-- where a database owner or any role with CREATE on a schema could plant
-- its own:
--   - every SQL or PL/pgSQL function has SET search_path = pg_catalog,
--     pg_temp, or a BEGIN ATOMIC body (resolved once, here, and kept by
--     OID; SQL functions with SET cannot be inlined into a view);
--   - an operator between types without an exact built-in match is written
--     OPERATOR(pg_catalog.x), with explicit casts;
--   - another extension's tables are found through pg_extension and must be
--     its members in pg_depend (the worker checks pg_cron's and pg_partman's
--     before reading them), never by a schema name;
--   - the workers pin search_path = pg_catalog, pg_temp right after they
--     connect, and C functions that run SQL for a caller pin it while it
--     runs (src/core/privileges.c, "Name resolution").

--
-- lifeguard.worker_status(): the background worker, as shared memory sees it.
-- Needs pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.worker_status(
    OUT pid integer,
    OUT state text,
    OUT database text,
    OUT started_at timestamptz,
    OUT last_tick_at timestamptz,
    OUT ticks bigint,
    OUT last_tick_us bigint,
    OUT max_tick_us bigint,
    OUT errors bigint,
    OUT last_error text,
    OUT restarts bigint,
    OUT settings jsonb,
    OUT login_hook_calls bigint,
    OUT login_hook_avg_us double precision,
    OUT lock_graphs bigint,
    OUT events_written bigint,
    OUT events_pending bigint,
    OUT events_dropped bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_worker_status'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.worker_status() IS
'pg_lifeguard background worker: pid, state, tick counters and timings, errors, restarts, the settings it has in force, the login hook''s cost, how often it built the lock graph, and the events written to lifeguard.events, waiting to be, and lost';

--
-- lifeguard.recent_events(since): the shared-memory event ring, oldest first.
-- Readable when no table can be.  Needs pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.recent_events(
    since timestamptz DEFAULT NULL,
    OUT seq bigint,
    OUT event_time timestamptz,
    OUT kind text,
    OUT severity text,
    OUT pid integer,
    OUT role text,
    OUT database text,
    OUT application_name text,
    OUT policy text,
    OUT action text,
    OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_recent_events'
LANGUAGE C VOLATILE ROWS 100;

COMMENT ON FUNCTION lifeguard.recent_events(timestamptz) IS
'pg_lifeguard events still held in the shared-memory ring, oldest first; NULL since means all';

--
-- lifeguard.events: the event ring, persisted by the worker of
-- lifeguard.database in small batches (seq is the ring's sequence number,
-- which starts again at 1 when the server restarts).  The worker deletes
-- rows older than lifeguard.event_retention.  Only the worker writes here;
-- pg_monitor may read.
--
CREATE TABLE lifeguard.events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_time       timestamptz NOT NULL,
    seq              bigint NOT NULL,
    kind             text NOT NULL,
    severity         text NOT NULL,
    pid              integer,
    role             text,
    database         text,
    application_name text,
    policy           text,
    action           text,
    detail           jsonb NOT NULL
);

CREATE INDEX events_event_time_idx ON lifeguard.events (event_time);

COMMENT ON TABLE lifeguard.events IS
'pg_lifeguard events, written by the worker from the shared-memory ring; rows older than lifeguard.event_retention are deleted';

REVOKE ALL ON lifeguard.events FROM PUBLIC;
GRANT SELECT ON lifeguard.events TO pg_monitor;

--
-- lifeguard.policies: limits per class of session.  The table is the source
-- of truth; the worker publishes it into shared memory when it changes (the
-- trigger below tells it at commit), and the login hook reads only that.
--
-- A session belongs to a policy when every non-NULL matcher matches: its
-- login role is role_name, its database is database_name, and its
-- application_name is LIKE application_name.  Every enabled policy a
-- session belongs to applies; where several set the same limit, the
-- strictest wins (README.md, "How policies combine").
--
-- The five time limits (statement_timeout .. blocking_timeout) are enforced
-- by the worker whatever the session set; "action" says what it does to a
-- session past one of them (README.md, "Timeouts and blocking").
--
-- Every interval is checked in the unit it is enforced in: the whole
-- milliseconds of its extract(epoch) (a month of 30 days, a year of 365.25),
-- from 1 ms to 100 years (LIFEGUARD_LIMIT_MIN_MS .. LIFEGUARD_LIMIT_MAX_MS
-- in src/policy/policy.h).  Names and patterns are held in 63 bytes in shared
-- memory, so their length is checked in bytes.
--
CREATE TABLE lifeguard.policies (
    name             text PRIMARY KEY
                     CONSTRAINT policies_name_check
                     CHECK (name ~ '^[A-Za-z0-9_.:-]+$' AND octet_length(name) <= 63),
    role_name        name,
    database_name    name,
    application_name text
                     CONSTRAINT policies_application_name_check
                     CHECK (octet_length(application_name) <= 63),
    max_connections  integer
                     CONSTRAINT policies_max_connections_check
                     CHECK (max_connections >= 0),
    idle_timeout     interval
                     CONSTRAINT policies_idle_timeout_check
                     CHECK (floor(extract(epoch FROM idle_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    shed_idle_after  interval
                     CONSTRAINT policies_shed_idle_after_check
                     CHECK (floor(extract(epoch FROM shed_idle_after) * 1000) BETWEEN 1 AND 3155760000000),
    statement_timeout interval
                     CONSTRAINT policies_statement_timeout_check
                     CHECK (floor(extract(epoch FROM statement_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    lock_wait_timeout interval
                     CONSTRAINT policies_lock_wait_timeout_check
                     CHECK (floor(extract(epoch FROM lock_wait_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    idle_in_transaction_timeout interval
                     CONSTRAINT policies_idle_in_transaction_timeout_check
                     CHECK (floor(extract(epoch FROM idle_in_transaction_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    transaction_timeout interval
                     CONSTRAINT policies_transaction_timeout_check
                     CHECK (floor(extract(epoch FROM transaction_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    blocking_timeout interval
                     CONSTRAINT policies_blocking_timeout_check
                     CHECK (floor(extract(epoch FROM blocking_timeout) * 1000) BETWEEN 1 AND 3155760000000),
    action           text NOT NULL DEFAULT 'cancel'
                     CONSTRAINT policies_action_check
                     CHECK (action IN ('log', 'cancel', 'terminate')),
    enabled          boolean NOT NULL DEFAULT true,
    comment          text
);

COMMENT ON TABLE lifeguard.policies IS
'pg_lifeguard policies: per role / database / application_name connection caps, idle limits, and statement, lock-wait, idle-in-transaction, transaction and blocking limits';

-- Policies are configuration: pg_dump keeps them
SELECT pg_catalog.pg_extension_config_dump('lifeguard.policies', '');

GRANT SELECT ON lifeguard.policies TO pg_monitor;

CREATE FUNCTION lifeguard._policies_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'lifeguard_policies_changed'
LANGUAGE C;

CREATE TRIGGER policies_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lifeguard.policies
FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._policies_changed();

-- Internal: only this trigger runs it (PostgreSQL checks EXECUTE when a
-- trigger is created, not when it fires).  Attached to a table of one's
-- own it would wake the worker to reread the policies at every commit.
REVOKE ALL ON FUNCTION lifeguard._policies_changed() FROM PUBLIC;

--
-- lifeguard.policy_status(): the policies the worker has published into
-- shared memory (what the login hook enforces), with live session counts.
--
CREATE FUNCTION lifeguard.policy_status(
    OUT name text,
    OUT role_name text,
    OUT database_name text,
    OUT application_name text,
    OUT max_connections integer,
    OUT connections integer,
    OUT idle_timeout interval,
    OUT shed_idle_after interval,
    OUT problem text,
    OUT generation bigint,
    OUT statement_timeout interval,
    OUT lock_wait_timeout interval,
    OUT idle_in_transaction_timeout interval,
    OUT transaction_timeout interval,
    OUT blocking_timeout interval,
    OUT action text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_policy_status'
LANGUAGE C VOLATILE;

--
-- Connection slots.
--
CREATE FUNCTION lifeguard.slots(
    OUT max_connections integer,
    OUT superuser_reserved_connections integer,
    OUT reserved_admin_slots integer,
    OUT usable integer,
    OUT used integer,
    OUT free integer,
    OUT used_pct numeric,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting integer,
    OUT authenticating integer,
    OUT status text,
    OUT reserved_connections integer)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_slots'
LANGUAGE C VOLATILE;

CREATE FUNCTION lifeguard.slot_usage(
    group_by text DEFAULT 'role',
    OUT key text,
    OUT count integer,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting integer,
    OUT oldest_backend_start timestamptz,
    OUT longest_idle interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_slot_usage'
LANGUAGE C VOLATILE;

CREATE FUNCTION lifeguard.slot_history(
    since interval DEFAULT '1 hour',
    OUT sampled_at timestamptz,
    OUT used integer,
    OUT free integer,
    OUT used_pct numeric,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting integer,
    OUT authenticating integer,
    OUT status text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_slot_history'
LANGUAGE C VOLATILE;

CREATE FUNCTION lifeguard.shed_idle(
    older_than interval,
    role_name text DEFAULT NULL,
    application_name text DEFAULT NULL,
    dry_run boolean DEFAULT true,
    OUT pid integer,
    OUT role text,
    OUT database text,
    OUT application text,
    OUT client_addr text,
    OUT idle_for interval,
    OUT terminated boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_shed_idle'
LANGUAGE C VOLATILE;

--
-- Locks: who blocks whom.  One row per session that waits on a heavyweight
-- lock or blocks one that does.  Needs pg_monitor; query text as
-- pg_stat_activity shows it (own role's, or all with pg_read_all_stats).
--
CREATE FUNCTION lifeguard.blockers(
    OUT pid integer,
    OUT blocked_by integer[],
    OUT blocking integer[],
    OUT blocked_total integer,
    OUT depth integer,
    OUT is_root boolean,
    OUT waiting boolean,
    OUT lock_type text,
    OUT mode text,
    OUT relation regclass,
    OUT wait_started timestamptz,
    OUT blocking_since timestamptz,
    OUT state text,
    OUT xact_start timestamptz,
    OUT role text,
    OUT database text,
    OUT application_name text,
    OUT query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_blockers'
LANGUAGE C VOLATILE;

--
-- Partitions: the health of every partitioned table in this database, read
-- from the catalogs without opening any partitioned table (README.md,
-- "Partitions and maintenance jobs").  Needs pg_monitor.
--
CREATE FUNCTION lifeguard.partitions(
    OUT parent regclass,
    OUT strategy text,
    OUT partition_count integer,
    OUT default_partition regclass,
    OUT default_has_rows boolean,
    OUT default_checked_by text,
    OUT newest_upper_bound text,
    OUT oldest_lower_bound text,
    OUT covered_until timestamptz,
    OUT horizon interval,
    OUT premake_ok boolean,
    OUT gaps integer,
    OUT retention_overdue boolean,
    OUT managed_by text,
    OUT status text,
    OUT problems text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_partitions'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.partitions() IS
'pg_lifeguard: one row per partitioned table, with default-partition rows, time coverage, gaps, retention and pg_partman settings, read without opening the tables';

--
-- Maintenance jobs.  lifeguard.job_registry holds registrations and the
-- state the extension keeps; users see and register jobs through the view
-- lifeguard.jobs, whose status is computed when it is read.  INSERT, UPDATE
-- and DELETE on the view work as on a table, for the columns granted.  (No
-- relation here is named "_" plus another's name: "_jobs" is the name of
-- the array type of the view's row type; test sql/type_names.sql.)
--
CREATE TABLE lifeguard.job_registry (
    name             text PRIMARY KEY
                     CONSTRAINT jobs_name_check
                     CHECK (name ~ '^[A-Za-z0-9_.:-]+$' AND length(name) <= 63),
    kind             text NOT NULL DEFAULT 'custom'
                     CONSTRAINT jobs_kind_check
                     CHECK (kind IN ('pg_partman', 'pg_cron', 'custom')),
    expected_every   interval NOT NULL
                     CONSTRAINT jobs_expected_every_check
                     CHECK (expected_every >= interval '1 second'
                            AND expected_every <= interval '366 days'),
    escalate_after   interval NOT NULL DEFAULT interval '24 hours'
                     CONSTRAINT jobs_escalate_after_check
                     CHECK (escalate_after >= interval '1 second'
                            AND escalate_after <= interval '3660 days'),
    owner            regrole NOT NULL DEFAULT current_user::regrole,
    comment          text,
    registered_at    timestamptz NOT NULL DEFAULT now(),
    last_started     timestamptz,
    last_succeeded   timestamptz,
    last_failed      timestamptz,
    last_error       text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    cron_last_runid  bigint NOT NULL DEFAULT 0
);

COMMENT ON TABLE lifeguard.job_registry IS
'pg_lifeguard: registered maintenance jobs and their state; read and register them through lifeguard.jobs';

SELECT pg_catalog.pg_extension_config_dump('lifeguard.job_registry', '');

--
-- A job's status at a given time; README.md, "Job status", is the
-- specification.  No success for longer than twice expected_every is late
-- (one missed run, plus one cadence of slack); any failure since the last
-- success is failing; no success for longer than escalate_after (and at
-- least twice expected_every) while late or failing is escalated.
--
CREATE FUNCTION lifeguard.job_status(
    expected_every interval,
    escalate_after interval,
    registered_at timestamptz,
    last_succeeded timestamptz,
    consecutive_failures integer,
    at timestamptz DEFAULT now())
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN (at OPERATOR(pg_catalog.-) COALESCE(last_succeeded, registered_at))
             OPERATOR(pg_catalog.>)
             GREATEST(escalate_after,
                      2::pg_catalog.float8 OPERATOR(pg_catalog.*) expected_every)
            THEN 'escalated'
        WHEN consecutive_failures OPERATOR(pg_catalog.>) 0
            THEN 'failing'
        WHEN (at OPERATOR(pg_catalog.-) COALESCE(last_succeeded, registered_at))
             OPERATOR(pg_catalog.>)
             (2::pg_catalog.float8 OPERATOR(pg_catalog.*) expected_every)
            THEN 'late'
        ELSE 'ok'
    END;
END;

COMMENT ON FUNCTION lifeguard.job_status(interval, interval, timestamptz, timestamptz, integer, timestamptz) IS
'pg_lifeguard: status of a job (ok, late, failing, escalated) from its cadence and history, at a given time';

CREATE VIEW lifeguard.jobs AS
SELECT j.name,
       j.kind,
       j.expected_every,
       j.escalate_after,
       j.owner,
       j.comment,
       j.registered_at,
       j.last_started,
       j.last_succeeded,
       j.last_failed,
       j.last_error,
       j.consecutive_failures,
       lifeguard.job_status(j.expected_every, j.escalate_after,
                            j.registered_at, j.last_succeeded,
                            j.consecutive_failures) AS status
  FROM lifeguard.job_registry j;

COMMENT ON VIEW lifeguard.jobs IS
'pg_lifeguard: registered maintenance jobs, their cadence, history and status; INSERT a row to register a job';

-- Everyone with pg_monitor reads jobs; registering one takes a grant such
-- as: GRANT INSERT (name, kind, expected_every, escalate_after, comment),
--     UPDATE (kind, expected_every, escalate_after, comment), DELETE
--     ON lifeguard.jobs TO deployer;
-- The state columns are never granted: only the job API writes them.
GRANT SELECT ON lifeguard.jobs TO pg_monitor;

CREATE TABLE lifeguard.job_runs (
    run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_name     text NOT NULL
                 REFERENCES lifeguard.job_registry (name)
                 ON UPDATE CASCADE ON DELETE CASCADE,
    source       text NOT NULL
                 CONSTRAINT job_runs_source_check
                 CHECK (source IN ('heartbeat', 'run_maintenance', 'pg_cron')),
    status       text NOT NULL
                 CONSTRAINT job_runs_status_check
                 CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at   timestamptz,
    finished_at  timestamptz,
    attempts     integer,
    error        text,
    run_by       name NOT NULL DEFAULT current_user,
    cron_runid   bigint,
    CONSTRAINT job_runs_cron_runid_key UNIQUE (job_name, cron_runid)
);

CREATE INDEX job_runs_job_name_idx ON lifeguard.job_runs (job_name, run_id);

COMMENT ON TABLE lifeguard.job_runs IS
'pg_lifeguard: one row per run of a registered job, from the heartbeat API, lifeguard.run_maintenance or pg_cron';

GRANT SELECT ON lifeguard.job_runs TO pg_monitor;

--
-- The heartbeat API.  The caller must be a superuser or have the
-- privileges of the job's owner; the functions write the job's state with
-- the extension owner's rights, and nothing else.
--
CREATE FUNCTION lifeguard.job_start(job_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lifeguard_job_start'
LANGUAGE C VOLATILE;

CREATE FUNCTION lifeguard.job_success(job_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lifeguard_job_success'
LANGUAGE C VOLATILE;

CREATE FUNCTION lifeguard.job_failure(job_name text, error text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lifeguard_job_failure'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.job_start(text) IS
'pg_lifeguard heartbeat: a run of the job has started; returns its run_id';
COMMENT ON FUNCTION lifeguard.job_success(text) IS
'pg_lifeguard heartbeat: the job''s current run succeeded; returns its run_id';
COMMENT ON FUNCTION lifeguard.job_failure(text, text) IS
'pg_lifeguard heartbeat: the job''s current run failed with this error; returns its run_id';

--
-- lifeguard.run_maintenance: run a maintenance command for a registered
-- job under a bounded lock_timeout and statement_timeout, one transaction
-- per attempt, retrying lock timeouts with backoff, and record the run.
-- Must be CALLed outside a transaction block.
--
CREATE PROCEDURE lifeguard.run_maintenance(
    job_name text,
    command text,
    lock_timeout interval DEFAULT '5s',
    retries integer DEFAULT 3,
    statement_timeout interval DEFAULT '30min')
AS 'MODULE_PATHNAME', 'lifeguard_run_maintenance'
LANGUAGE C;

COMMENT ON PROCEDURE lifeguard.run_maintenance(text, text, interval, integer, interval) IS
'pg_lifeguard: run a job''s maintenance command with bounded lock and statement timeouts, retrying lock timeouts with backoff, and record the run';

--
-- Runs of registered pg_cron jobs, read from pg_cron's job_run_details by
-- the worker (README.md, "pg_cron").  Internal: the worker passes pg_cron's
-- two tables, found through pg_extension and checked to be members of the
-- pg_cron extension (never a schema called "cron" by name), after taking
-- every lock it needs without waiting; job rows that a user session has
-- locked are skipped until the next check.  Returns the runs recorded.
--
CREATE FUNCTION lifeguard._cron_ingest(run_details regclass, jobs regclass)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j       record;
    r       record;
    cursor_at bigint;
    blocked boolean;
    stuck   text;
    n       integer := 0;
BEGIN
    FOR j IN
        SELECT name, cron_last_runid, expected_every
          FROM lifeguard.job_registry
         WHERE kind = 'pg_cron'
           FOR NO KEY UPDATE SKIP LOCKED
    LOOP
        cursor_at := j.cron_last_runid;
        blocked := false;
        -- regclass prints schema-qualified under this function's path
        FOR r IN EXECUTE format(
            'SELECT d.runid, d.status, d.return_message,
                    d.start_time, d.end_time
               FROM %s d
               JOIN %s c ON c.jobid OPERATOR(pg_catalog.=) d.jobid
              WHERE c.jobname OPERATOR(pg_catalog.=) $1
                AND d.runid OPERATOR(pg_catalog.>) $2
              ORDER BY d.runid
              LIMIT 1000', run_details, jobs)
            USING j.name, j.cron_last_runid
        LOOP
            IF r.status NOT IN ('succeeded', 'failed') THEN
                -- still going: later checks come back for it
                blocked := true;
                IF r.start_time IS NOT NULL THEN
                    UPDATE lifeguard.job_registry
                       SET last_started = greatest(last_started, r.start_time)
                     WHERE name = j.name;
                END IF;
                IF r.start_time < now() - j.expected_every THEN
                    stuck := format('pg_cron run %s has been %s since %s',
                                    r.runid, r.status, r.start_time);
                    UPDATE lifeguard.job_registry SET last_error = stuck
                     WHERE name = j.name
                       AND last_error IS DISTINCT FROM stuck;
                END IF;
                CONTINUE;
            END IF;
            INSERT INTO lifeguard.job_runs
                   (job_name, source, status, started_at, finished_at,
                    attempts, error, run_by, cron_runid)
            VALUES (j.name, 'pg_cron', r.status, r.start_time, r.end_time,
                    1, CASE WHEN r.status = 'failed'
                            THEN btrim(r.return_message, E' \t\r\n') END,
                    'pg_cron', r.runid)
            ON CONFLICT (job_name, cron_runid) DO NOTHING;
            IF FOUND THEN
                n := n + 1;
                IF r.status = 'succeeded' THEN
                    UPDATE lifeguard.job_registry
                       SET last_started = greatest(last_started, r.start_time),
                           last_succeeded = greatest(last_succeeded, r.end_time),
                           consecutive_failures = 0,
                           last_error = NULL
                     WHERE name = j.name;
                ELSE
                    UPDATE lifeguard.job_registry
                       SET last_started = greatest(last_started, r.start_time),
                           last_failed = greatest(last_failed, r.end_time),
                           consecutive_failures = consecutive_failures + 1,
                           last_error = btrim(r.return_message, E' \t\r\n')
                     WHERE name = j.name;
                END IF;
            END IF;
            IF NOT blocked THEN
                cursor_at := r.runid;
            END IF;
        END LOOP;
        IF cursor_at <> j.cron_last_runid THEN
            UPDATE lifeguard.job_registry SET cron_last_runid = cursor_at
             WHERE name = j.name;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION lifeguard._cron_ingest(regclass, regclass) FROM PUBLIC;

--
-- lifeguard.metrics(): every pg_lifeguard metric in Prometheus text format,
-- the same text GET /metrics serves.  Reads shared memory only.  Needs
-- pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.metrics()
RETURNS text
AS 'MODULE_PATHNAME', 'lifeguard_metrics'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.metrics() IS
'pg_lifeguard: slots, sessions, locks, events, actions, worker, partition and job health in Prometheus text exposition format';

--
-- lifeguard.report(): the status an engineer reads first, one line per row:
-- slots with a bar, top consumers, blocking chains, long statements,
-- partition and job problems, the worker, the last events.  Every section
-- that cannot be read (a lock not granted within lock_timeout, an error)
-- says so and the report goes on.  Needs pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.report(
    events integer DEFAULT 10)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET lock_timeout = '2s'
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    section record;
    line    text;
    n       integer;
BEGIN
    IF events IS NULL OR events < 0 OR events > 1000 THEN
        RAISE EXCEPTION 'events must be between 0 and 1000, not %',
                        coalesce(events::text, 'NULL')
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_has_role(current_user, 'pg_monitor', 'USAGE') THEN
        RAISE EXCEPTION 'permission denied for function report'
              USING ERRCODE = 'insufficient_privilege',
                    DETAIL = 'Only superusers and roles with the privileges of the "pg_monitor" role may read pg_lifeguard''s state.',
                    HINT = 'GRANT pg_monitor TO the role that runs this query.';
    END IF;

    RETURN NEXT format('pg_lifeguard report, %s (server started %s ago)',
                       to_char(now(), 'YYYY-MM-DD HH24:MI:SS TZ'),
                       date_trunc('second', now() - pg_postmaster_start_time()));

    -- Each section: a title (NULL: the lines carry their own), a query
    -- returning its lines in order, and what to say when it returns none.
    -- A section that fails says so; the others still come.
    FOR section IN
        SELECT * FROM (VALUES
        (1, NULL, $q$
            SELECT x.l FROM lifeguard.slots() s,
                 LATERAL (SELECT least(40, greatest(0, round(s.used_pct * 40 / 100)::integer)) AS filled) b,
                 unnest(ARRAY[
                     format('Slots: %s, %s of %s usable in use (%s%%), %s free; max_connections %s, reserved %s superuser + %s admin',
                            upper(s.status), s.used, s.usable, s.used_pct,
                            greatest(s.usable - s.used, 0), s.max_connections,
                            s.superuser_reserved_connections, s.reserved_admin_slots),
                     format('  [%s%s] %s%%', repeat('#', b.filled), repeat('.', 40 - b.filled), s.used_pct),
                     format('  active %s, idle %s, idle in transaction %s, waiting on a lock %s, authenticating %s',
                            s.active, s.idle, s.idle_in_transaction, s.waiting, s.authenticating)])
                 WITH ORDINALITY AS x(l, i)
            ORDER BY x.i
        $q$, NULL),
        (2, 'Top consumers:', $q$
            SELECT format('  %-14s %-30s %5s sessions (active %s, idle %s, idle in transaction %s, waiting %s), longest idle %s',
                          u.dim, coalesce(u.key, '(none)'), u.count, u.active, u.idle,
                          u.idle_in_transaction, u.waiting,
                          coalesce(date_trunc('second', u.longest_idle)::text, '-'))
            FROM (SELECT 'role' AS dim, * FROM lifeguard.slot_usage('role')
                  UNION ALL
                  SELECT 'application', * FROM lifeguard.slot_usage('application')
                  UNION ALL
                  SELECT 'client address', * FROM lifeguard.slot_usage('client_addr')) u
            ORDER BY u.count DESC, u.dim, u.key LIMIT 8
        $q$, '  (no client sessions)'),
        (3, 'Blocking chains:', $q$
            SELECT x.l
            FROM (SELECT b.*, row_number() OVER (ORDER BY b.blocked_total DESC, b.blocking_since) AS ord
                  FROM lifeguard.blockers() b WHERE b.is_root
                  ORDER BY ord LIMIT 5) r,
                 unnest(ARRAY[
                     format('  pid %s (%s, %s, %s) blocks %s sessions for %s%s',
                            r.pid, coalesce(r.role, '?'), coalesce(r.application_name, ''),
                            coalesce(r.state, '?'), r.blocked_total,
                            coalesce(date_trunc('second', now() - r.blocking_since)::text, '?'),
                            CASE WHEN r.relation IS NOT NULL THEN format(', on %s', r.relation) ELSE '' END),
                     '      query: ' || left(regexp_replace(r.query, '\s+', ' ', 'g'), 100)])
                 WITH ORDINALITY AS x(l, i)
            WHERE x.l IS NOT NULL
            ORDER BY r.ord, x.i
        $q$, '  (nobody waits on a lock)'),
        (4, 'Longest running statements (over 1 minute):', $q$
            SELECT format('  pid %s (%s@%s, %s) running %s%s: %s',
                          a.pid, a.usename, a.datname, a.application_name,
                          date_trunc('second', now() - a.query_start),
                          CASE WHEN a.wait_event_type IS NOT NULL
                               THEN format(', waiting on %s', a.wait_event_type) ELSE '' END,
                          left(regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 80))
            FROM pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.state = 'active'
              AND a.pid <> pg_backend_pid()
              AND a.query_start < now() - interval '1 minute'
            ORDER BY a.query_start LIMIT 5
        $q$, '  (none)'),
        (5, 'Partitioned tables with problems (this database):', $q$
            SELECT format('  %s %s: %s', upper(p.status), p.parent, array_to_string(p.problems, '; '))
            FROM lifeguard.partitions() p
            WHERE p.status <> 'ok'
            ORDER BY p.status = 'critical' DESC, p.parent::text
        $q$, '  (none)'),
        (6, 'Maintenance jobs with problems (this database):', $q$
            SELECT format('  %s %s: last success %s, %s failures in a row%s',
                          upper(j.status), j.name,
                          coalesce(to_char(j.last_succeeded, 'YYYY-MM-DD HH24:MI:SS TZ'), 'never'),
                          j.consecutive_failures,
                          CASE WHEN j.last_error IS NOT NULL
                               THEN format(', last error: %s', left(regexp_replace(j.last_error, '\s+', ' ', 'g'), 100))
                               ELSE '' END)
            FROM lifeguard.jobs j
            WHERE j.status <> 'ok'
            ORDER BY j.status = 'escalated' DESC, j.name
        $q$, '  (none)'),
        (7, NULL, $q$
            SELECT x.l FROM lifeguard.worker_status() w,
                 unnest(ARRAY[
                     format('Worker: %s (pid %s, database %s), last tick %s ago taking %s us, %s errors, %s restarts',
                            w.state, coalesce(w.pid::text, '-'), w.database,
                            coalesce(round(extract(epoch FROM clock_timestamp() - w.last_tick_at), 1) || ' s', 'never'),
                            w.last_tick_us, w.errors, w.restarts),
                     format('  events: %s written to lifeguard.events, %s waiting, %s lost',
                            w.events_written, w.events_pending, w.events_dropped),
                     '  last error: ' || w.last_error]) WITH ORDINALITY AS x(l, i)
            WHERE x.l IS NOT NULL
            ORDER BY x.i
        $q$, NULL),
        (8, format('Last %s events:', events), format($q$
            SELECT format('  %%s %%-28s %%-8s %%s', to_char(e.event_time, 'HH24:MI:SS'), e.kind, e.severity,
                          left(regexp_replace(coalesce(e.detail, ''), '\s+', ' ', 'g'), 160))
            FROM (SELECT * FROM lifeguard.recent_events() ORDER BY seq DESC LIMIT %s) e
            ORDER BY e.seq
        $q$, events), '  (none since the server started)')
        ) AS v(ord, title, query, empty)
        WHERE v.ord < 8 OR events > 0
        ORDER BY v.ord
    LOOP
        RETURN NEXT '';
        IF section.title IS NOT NULL THEN
            RETURN NEXT section.title;
        END IF;
        BEGIN
            n := 0;
            FOR line IN EXECUTE section.query LOOP
                n := n + 1;
                RETURN NEXT line;
            END LOOP;
            IF n = 0 AND section.empty IS NOT NULL THEN
                RETURN NEXT section.empty;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RETURN NEXT format('  unavailable (%s)', SQLERRM);
        END;
    END LOOP;
END
$$;

COMMENT ON FUNCTION lifeguard.report(integer) IS
'pg_lifeguard: a human-readable status for psql (slots, top consumers, blocking chains, long statements, partition and job problems, worker, last events)';
