/* pg_lifeguard--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lifeguard" to load this file. \quit

-- The schema is created by CREATE EXTENSION (schema = lifeguard in the
-- control file).  Everyone may look inside it; each function checks its own
-- privileges and says clearly what is missing.
GRANT USAGE ON SCHEMA lifeguard TO PUBLIC;

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
    OUT lock_graphs bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_worker_status'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.worker_status() IS
'pg_lifeguard background worker: pid, state, tick counters and timings, errors, restarts, the settings it has in force, the login hook''s cost, and how often it built the lock graph';

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
CREATE TABLE lifeguard.policies (
    name             text PRIMARY KEY
                     CONSTRAINT policies_name_check
                     CHECK (name ~ '^[A-Za-z0-9_.:-]+$' AND length(name) <= 63),
    role_name        name,
    database_name    name,
    application_name text
                     CONSTRAINT policies_application_name_check
                     CHECK (length(application_name) <= 63),
    max_connections  integer
                     CONSTRAINT policies_max_connections_check
                     CHECK (max_connections >= 0),
    idle_timeout     interval
                     CONSTRAINT policies_idle_timeout_check
                     CHECK (idle_timeout > interval '0'),
    shed_idle_after  interval
                     CONSTRAINT policies_shed_idle_after_check
                     CHECK (shed_idle_after > interval '0'),
    statement_timeout interval
                     CONSTRAINT policies_statement_timeout_check
                     CHECK (statement_timeout > interval '0'),
    lock_wait_timeout interval
                     CONSTRAINT policies_lock_wait_timeout_check
                     CHECK (lock_wait_timeout > interval '0'),
    idle_in_transaction_timeout interval
                     CONSTRAINT policies_idle_in_transaction_timeout_check
                     CHECK (idle_in_transaction_timeout > interval '0'),
    transaction_timeout interval
                     CONSTRAINT policies_transaction_timeout_check
                     CHECK (transaction_timeout > interval '0'),
    blocking_timeout interval
                     CONSTRAINT policies_blocking_timeout_check
                     CHECK (blocking_timeout > interval '0'),
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
    OUT status text)
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
