-- pgTAP: pg_lifeguard's schema objects, their ownership and privileges.
-- Run by scripts/test.sh with pg_prove against a throwaway cluster where
-- pg_lifeguard is preloaded and created by the bootstrap superuser.
BEGIN;
SELECT plan(150);

-- The schema, owned by whoever created the extension
SELECT has_schema('lifeguard', 'schema lifeguard exists');
SELECT schema_owner_is('lifeguard',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'schema lifeguard is owned by the extension owner');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'pg_lifeguard'),
    false, 'extension is not relocatable');
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'lifeguard', 'extension lives in schema lifeguard');

-- Everyone may use the schema; nobody else may create in it
SELECT schema_privs_are('lifeguard', 'public', ARRAY['USAGE'],
    'PUBLIC has USAGE and nothing else on schema lifeguard');

-- Exactly the documented functions, tables and views, nothing else
SELECT functions_are('lifeguard',
    ARRAY['worker_status', 'recent_events', 'policy_status', 'slots',
          'slot_usage', 'slot_history', 'shed_idle', '_policies_changed',
          'blockers', 'partitions', 'job_status', 'job_start',
          'job_success', 'job_failure', 'run_maintenance', '_cron_ingest',
          'metrics', 'report'],
    'schema lifeguard holds exactly the documented functions');
SELECT tables_are('lifeguard', ARRAY['policies', 'job_registry', 'job_runs', 'events'],
    'schema lifeguard holds exactly the documented tables');
SELECT views_are('lifeguard', ARRAY['jobs'],
    'schema lifeguard holds exactly the documented views');

SELECT has_function('lifeguard', 'worker_status', ARRAY[]::name[]);
SELECT has_function('lifeguard', 'recent_events', ARRAY['timestamp with time zone']);
SELECT function_returns('lifeguard', 'worker_status', ARRAY[]::name[], 'record');
SELECT function_returns('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'setof record');
SELECT function_lang_is('lifeguard', 'worker_status', ARRAY[]::name[], 'c');
SELECT function_lang_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'c');
SELECT volatility_is('lifeguard', 'worker_status', ARRAY[]::name[], 'volatile');
SELECT volatility_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'volatile');

-- Partitions and jobs
SELECT has_function('lifeguard', 'partitions', ARRAY[]::name[]);
SELECT function_returns('lifeguard', 'partitions', ARRAY[]::name[], 'setof record');
SELECT function_lang_is('lifeguard', 'partitions', ARRAY[]::name[], 'c');
SELECT volatility_is('lifeguard', 'partitions', ARRAY[]::name[], 'volatile');
SELECT has_function('lifeguard', 'job_start', ARRAY['text']);
SELECT has_function('lifeguard', 'job_success', ARRAY['text']);
SELECT has_function('lifeguard', 'job_failure', ARRAY['text', 'text']);
SELECT function_returns('lifeguard', 'job_start', ARRAY['text'], 'bigint');
SELECT function_returns('lifeguard', 'job_success', ARRAY['text'], 'bigint');
SELECT function_returns('lifeguard', 'job_failure', ARRAY['text', 'text'], 'bigint');
SELECT function_lang_is('lifeguard', 'job_start', ARRAY['text'], 'c');
SELECT function_lang_is('lifeguard', 'job_success', ARRAY['text'], 'c');
SELECT function_lang_is('lifeguard', 'job_failure', ARRAY['text', 'text'], 'c');
SELECT volatility_is('lifeguard', 'job_start', ARRAY['text'], 'volatile');
SELECT volatility_is('lifeguard', 'job_success', ARRAY['text'], 'volatile');
SELECT volatility_is('lifeguard', 'job_failure', ARRAY['text', 'text'], 'volatile');
SELECT has_function('lifeguard', 'job_status',
    ARRAY['interval', 'interval', 'timestamp with time zone',
          'timestamp with time zone', 'integer', 'timestamp with time zone']);
SELECT function_returns('lifeguard', 'job_status',
    ARRAY['interval', 'interval', 'timestamp with time zone',
          'timestamp with time zone', 'integer', 'timestamp with time zone'], 'text');
SELECT function_lang_is('lifeguard', 'job_status',
    ARRAY['interval', 'interval', 'timestamp with time zone',
          'timestamp with time zone', 'integer', 'timestamp with time zone'], 'sql');
SELECT volatility_is('lifeguard', 'job_status',
    ARRAY['interval', 'interval', 'timestamp with time zone',
          'timestamp with time zone', 'integer', 'timestamp with time zone'], 'stable');
SELECT has_function('lifeguard', 'run_maintenance',
    ARRAY['text', 'text', 'interval', 'integer', 'interval']);
SELECT is_procedure('lifeguard', 'run_maintenance',
    ARRAY['text', 'text', 'interval', 'integer', 'interval'],
    'run_maintenance is a procedure (it commits per attempt)');
SELECT function_lang_is('lifeguard', 'run_maintenance',
    ARRAY['text', 'text', 'interval', 'integer', 'interval'], 'c');

-- No function runs with its owner's rights: they check the caller's
SELECT isnt_definer('lifeguard', 'worker_status', ARRAY[]::name[]);
SELECT isnt_definer('lifeguard', 'recent_events', ARRAY['timestamp with time zone']);
SELECT isnt_strict('lifeguard', 'recent_events', ARRAY['timestamp with time zone'],
    'recent_events accepts NULL (all events)');
SELECT isnt_definer('lifeguard', 'partitions', ARRAY[]::name[]);
SELECT isnt_definer('lifeguard', 'job_start', ARRAY['text']);
SELECT isnt_definer('lifeguard', 'run_maintenance',
    ARRAY['text', 'text', 'interval', 'integer', 'interval']);
-- The heartbeat API rejects NULL arguments with its own error, not a NULL
SELECT isnt_strict('lifeguard', 'job_start', ARRAY['text'],
    'job_start is not strict (NULL job_name is an error)');
SELECT isnt_strict('lifeguard', 'job_success', ARRAY['text'],
    'job_success is not strict (NULL job_name is an error)');
SELECT isnt_strict('lifeguard', 'job_failure', ARRAY['text', 'text'],
    'job_failure is not strict (NULL job_name or error is an error)');

-- Owned by the extension owner, and members of the extension (so DROP
-- EXTENSION removes them and pg_dump does not dump them)
SELECT function_owner_is('lifeguard', 'worker_status', ARRAY[]::name[],
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'));
SELECT function_owner_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'],
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'));
SELECT function_owner_is('lifeguard', 'partitions', ARRAY[]::name[],
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'));
SELECT function_owner_is('lifeguard', 'job_start', ARRAY['text'],
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'));
SELECT is((SELECT count(*)::int FROM pg_depend d
           JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
           WHERE d.refclassid = 'pg_extension'::regclass
             AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard')
             AND d.deptype = 'e'
             AND p.pronamespace = 'lifeguard'::regnamespace),
    (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'lifeguard'::regnamespace),
    'every function in schema lifeguard is a member of the extension');

-- No function of the extension runs with its owner's rights
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE pronamespace = 'lifeguard'::regnamespace AND prosecdef),
    0, 'no SECURITY DEFINER function in schema lifeguard');

-- Observability: metrics() in C, report() in PL/pgSQL under a bounded
-- lock_timeout and a fixed search_path, both checking pg_monitor themselves
SELECT has_function('lifeguard', 'metrics', ARRAY[]::name[]);
SELECT function_returns('lifeguard', 'metrics', ARRAY[]::name[], 'text');
SELECT function_lang_is('lifeguard', 'metrics', ARRAY[]::name[], 'c');
SELECT has_function('lifeguard', 'report', ARRAY['integer']);
SELECT function_returns('lifeguard', 'report', ARRAY['integer'], 'setof text');
SELECT function_lang_is('lifeguard', 'report', ARRAY['integer'], 'plpgsql');
SELECT is((SELECT proconfig FROM pg_proc WHERE oid = 'lifeguard.report(integer)'::regprocedure),
    ARRAY['lock_timeout=2s', 'search_path=pg_catalog, pg_temp'],
    'report() runs with lock_timeout 2s and a fixed search_path');

-- Name resolution: no function of the extension resolves names through
-- its caller's search_path.  Every SQL and PL/pgSQL function pins
-- search_path or has a BEGIN ATOMIC body (resolved at CREATE time).
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
      JOIN pg_language l ON l.oid = p.prolang
     WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard')
       AND l.lanname NOT IN ('c', 'internal')
       AND p.prosqlbody IS NULL
       AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
$$, 'every SQL and PL/pgSQL function pins search_path or has a BEGIN ATOMIC body');
SELECT ok((SELECT prosqlbody IS NOT NULL FROM pg_proc
            WHERE oid = 'lifeguard.job_status(interval, interval, timestamptz, timestamptz, integer, timestamptz)'::regprocedure),
    'job_status() has a BEGIN ATOMIC body, so lifeguard.jobs can still inline it');
-- ... and the body resolved its operators to pg_catalog's at CREATE time:
-- a shadowing integer * interval operator on the path changes nothing
CREATE SCHEMA pgtap_shadow;
CREATE FUNCTION pgtap_shadow.evil_mul(integer, interval) RETURNS interval
    LANGUAGE sql AS $$SELECT interval '1000 years'$$;
CREATE OPERATOR pgtap_shadow.* (LEFTARG = integer, RIGHTARG = interval,
    FUNCTION = pgtap_shadow.evil_mul);
SET LOCAL search_path = pgtap_shadow, public;
SELECT is(lifeguard.job_status('1 hour', '1 day', now() - interval '3 hours',
                               NULL, 0),
    'late', 'job_status() ignores an operator planted on the caller''s path');
RESET search_path;

-- lifeguard.events: written by the worker only, read by pg_monitor
SELECT table_owner_is('lifeguard', 'events',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'events is owned by the extension owner');
SELECT col_is_pk('lifeguard', 'events', 'id', 'events are keyed by id');
SELECT columns_are('lifeguard', 'events',
    ARRAY['id', 'event_time', 'seq', 'kind', 'severity', 'pid', 'role',
          'database', 'application_name', 'policy', 'action', 'detail'],
    'events has exactly the documented columns');
SELECT col_type_is('lifeguard', 'events', 'detail', 'jsonb', 'detail is jsonb');
SELECT col_type_is('lifeguard', 'events', 'event_time', 'timestamp with time zone',
    'event_time is a timestamptz');
SELECT has_index('lifeguard', 'events', 'events_event_time_idx', ARRAY['event_time'],
    'events are indexed by time, for retention and queries by time');
SELECT table_privs_are('lifeguard', 'events', 'pg_monitor', ARRAY['SELECT'],
    'pg_monitor may read events, not change them');
SELECT table_privs_are('lifeguard', 'events', 'public', ARRAY[]::text[],
    'PUBLIC has no privilege on events');

-- lifeguard.policies: shape, ownership, privileges, trigger, dump
SELECT table_owner_is('lifeguard', 'policies',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'policies is owned by the extension owner');
SELECT has_pk('lifeguard', 'policies', 'policies has a primary key');
SELECT col_is_pk('lifeguard', 'policies', 'name', 'policies are keyed by name');
SELECT columns_are('lifeguard', 'policies',
    ARRAY['name', 'role_name', 'database_name', 'application_name',
          'max_connections', 'idle_timeout', 'shed_idle_after',
          'statement_timeout', 'lock_wait_timeout',
          'idle_in_transaction_timeout', 'transaction_timeout',
          'blocking_timeout', 'action', 'enabled', 'comment'],
    'policies has exactly the documented columns');
SELECT col_type_is('lifeguard', 'policies', 'max_connections', 'integer',
    'max_connections is an integer');
SELECT col_type_is('lifeguard', 'policies', 'idle_timeout', 'interval',
    'idle_timeout is an interval');
SELECT col_type_is('lifeguard', 'policies', 'shed_idle_after', 'interval',
    'shed_idle_after is an interval');
SELECT col_type_is('lifeguard', 'policies', 'statement_timeout', 'interval',
    'statement_timeout is an interval');
SELECT col_type_is('lifeguard', 'policies', 'lock_wait_timeout', 'interval',
    'lock_wait_timeout is an interval');
SELECT col_type_is('lifeguard', 'policies', 'idle_in_transaction_timeout', 'interval',
    'idle_in_transaction_timeout is an interval');
SELECT col_type_is('lifeguard', 'policies', 'transaction_timeout', 'interval',
    'transaction_timeout is an interval');
SELECT col_type_is('lifeguard', 'policies', 'blocking_timeout', 'interval',
    'blocking_timeout is an interval');
SELECT col_not_null('lifeguard', 'policies', 'action',
    'action is NOT NULL');
SELECT col_default_is('lifeguard', 'policies', 'action', 'cancel'::text,
    'the default action is cancel');
SELECT throws_ok($$INSERT INTO lifeguard.policies (name, action) VALUES ('pgtap_bad', 'kill')$$,
    '23514', NULL, 'an unknown action is refused with SQLSTATE 23514');
SELECT col_not_null('lifeguard', 'policies', 'enabled',
    'enabled is NOT NULL');
SELECT col_default_is('lifeguard', 'policies', 'enabled', 'true'::text,
    'policies are enabled by default');
SELECT has_check('lifeguard', 'policies', 'policies has CHECK constraints');
SELECT has_trigger('lifeguard', 'policies', 'policies_changed',
    'a trigger tells the worker when policies change');
SELECT trigger_is('lifeguard', 'policies', 'policies_changed',
    'lifeguard', '_policies_changed');
SELECT table_privs_are('lifeguard', 'policies', 'pg_monitor', ARRAY['SELECT'],
    'pg_monitor may read policies, not change them');
SELECT table_privs_are('lifeguard', 'policies', 'public', ARRAY[]::text[],
    'PUBLIC has no privilege on policies');
SELECT is((SELECT extconfig::regclass[]::text FROM pg_extension WHERE extname = 'pg_lifeguard'),
    '{lifeguard.policies,lifeguard.job_registry}', 'pg_dump keeps the rows of policies and job_registry');

-- lifeguard.job_registry: registrations and state, behind the view lifeguard.jobs
SELECT table_owner_is('lifeguard', 'job_registry',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'job_registry is owned by the extension owner');
SELECT col_is_pk('lifeguard', 'job_registry', 'name', 'jobs are keyed by name');
SELECT columns_are('lifeguard', 'job_registry',
    ARRAY['name', 'kind', 'expected_every', 'escalate_after', 'owner',
          'comment', 'registered_at', 'last_started', 'last_succeeded',
          'last_failed', 'last_error', 'consecutive_failures',
          'cron_last_runid'],
    'job_registry has exactly the documented columns');
SELECT col_type_is('lifeguard', 'job_registry', 'expected_every', 'interval',
    'expected_every is an interval');
SELECT col_type_is('lifeguard', 'job_registry', 'escalate_after', 'interval',
    'escalate_after is an interval');
SELECT col_type_is('lifeguard', 'job_registry', 'owner', 'regrole',
    'owner is a regrole');
SELECT col_type_is('lifeguard', 'job_registry', 'last_succeeded', 'timestamp with time zone',
    'last_succeeded is a timestamptz');
SELECT col_type_is('lifeguard', 'job_registry', 'consecutive_failures', 'integer',
    'consecutive_failures is an integer');
SELECT col_type_is('lifeguard', 'job_registry', 'cron_last_runid', 'bigint',
    'cron_last_runid is a bigint');
SELECT col_not_null('lifeguard', 'job_registry', 'expected_every',
    'expected_every is NOT NULL');
SELECT col_default_is('lifeguard', 'job_registry', 'kind', 'custom'::text,
    'the default kind is custom');
SELECT col_default_is('lifeguard', 'job_registry', 'escalate_after', '24 hours'::text,
    'escalate_after defaults to 24 hours');
SELECT col_default_is('lifeguard', 'job_registry', 'consecutive_failures', 0,
    'consecutive_failures starts at 0');
SELECT has_check('lifeguard', 'job_registry', 'job_registry has CHECK constraints');
SELECT table_privs_are('lifeguard', 'job_registry', 'pg_monitor', ARRAY[]::text[],
    'pg_monitor has no privilege on job_registry (it reads the view)');
SELECT table_privs_are('lifeguard', 'job_registry', 'public', ARRAY[]::text[],
    'PUBLIC has no privilege on job_registry');

-- lifeguard.jobs: the view users read and register through
SELECT has_view('lifeguard', 'jobs', 'view lifeguard.jobs exists');
SELECT view_owner_is('lifeguard', 'jobs',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'jobs is owned by the extension owner');
SELECT columns_are('lifeguard', 'jobs',
    ARRAY['name', 'kind', 'expected_every', 'escalate_after', 'owner',
          'comment', 'registered_at', 'last_started', 'last_succeeded',
          'last_failed', 'last_error', 'consecutive_failures', 'status'],
    'jobs has exactly the documented columns');
SELECT col_type_is('lifeguard', 'jobs', 'status', 'text',
    'status is text');
SELECT table_privs_are('lifeguard', 'jobs', 'pg_monitor', ARRAY['SELECT'],
    'pg_monitor may read jobs, not change them');
SELECT table_privs_are('lifeguard', 'jobs', 'public', ARRAY[]::text[],
    'PUBLIC has no privilege on jobs');

-- lifeguard.job_runs: one row per run
SELECT table_owner_is('lifeguard', 'job_runs',
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'),
    'job_runs is owned by the extension owner');
SELECT col_is_pk('lifeguard', 'job_runs', 'run_id', 'runs are keyed by run_id');
SELECT columns_are('lifeguard', 'job_runs',
    ARRAY['run_id', 'job_name', 'source', 'status', 'started_at',
          'finished_at', 'attempts', 'error', 'run_by', 'cron_runid'],
    'job_runs has exactly the documented columns');
SELECT col_type_is('lifeguard', 'job_runs', 'run_id', 'bigint',
    'run_id is a bigint');
SELECT col_type_is('lifeguard', 'job_runs', 'run_by', 'name',
    'run_by is a name');
SELECT col_type_is('lifeguard', 'job_runs', 'finished_at', 'timestamp with time zone',
    'finished_at is a timestamptz');
SELECT fk_ok('lifeguard', 'job_runs', 'job_name', 'lifeguard', 'job_registry', 'name',
    'every run belongs to a registered job');
SELECT throws_ok($$INSERT INTO lifeguard.job_runs (job_name, source, status) VALUES ('pgtap_nojob', 'cron', 'running')$$,
    '23514', NULL, 'an unknown run source is refused with SQLSTATE 23514');
SELECT table_privs_are('lifeguard', 'job_runs', 'pg_monitor', ARRAY['SELECT'],
    'pg_monitor may read job_runs, not change them');
SELECT table_privs_are('lifeguard', 'job_runs', 'public', ARRAY[]::text[],
    'PUBLIC has no privilege on job_runs');

-- EXECUTE stays with PUBLIC: the functions themselves demand pg_monitor, so
-- every caller gets the same clear error
SELECT function_privs_are('lifeguard', 'worker_status', ARRAY[]::name[],
    'public', ARRAY['EXECUTE']);
SELECT function_privs_are('lifeguard', 'partitions', ARRAY[]::name[],
    'public', ARRAY['EXECUTE']);
-- the heartbeat API checks the job's owner itself
SELECT function_privs_are('lifeguard', 'job_start', ARRAY['text'],
    'public', ARRAY['EXECUTE']);
-- the worker's pg_cron reader is internal
SELECT function_privs_are('lifeguard', '_cron_ingest', ARRAY['regclass', 'regclass'],
    'public', ARRAY[]::text[]);

-- the policies trigger function is internal too; the trigger still fires
-- for a writer that is no superuser (EXECUTE is checked at CREATE TRIGGER)
SELECT function_privs_are('lifeguard', '_policies_changed', ARRAY[]::name[],
    'public', ARRAY[]::text[]);
CREATE ROLE pgtap_lifeguard_writer;
GRANT SELECT, INSERT, DELETE ON lifeguard.policies TO pgtap_lifeguard_writer;
SET LOCAL ROLE pgtap_lifeguard_writer;
SELECT lives_ok($$INSERT INTO lifeguard.policies (name, max_connections) VALUES ('pgtap_writer', 5)$$,
    'a role granted INSERT on policies inserts one: the trigger fires without EXECUTE');
RESET ROLE;
DELETE FROM lifeguard.policies WHERE name = 'pgtap_writer';

-- The privilege check is real: a role without pg_monitor is refused with
-- SQLSTATE 42501, a role with it reads
CREATE ROLE pgtap_lifeguard_plain;
CREATE ROLE pgtap_lifeguard_monitor IN ROLE pg_monitor;
SET LOCAL ROLE pgtap_lifeguard_plain;
SELECT throws_ok('SELECT * FROM lifeguard.worker_status()', '42501',
    'permission denied for function worker_status',
    'plain role cannot read worker_status()');
SELECT throws_ok('SELECT * FROM lifeguard.slots()', '42501',
    'permission denied for function slots',
    'plain role cannot read slots()');
SELECT throws_ok('SELECT * FROM lifeguard.partitions()', '42501',
    'permission denied for function partitions',
    'plain role cannot read partitions()');
SELECT throws_ok('SELECT * FROM lifeguard.jobs', '42501',
    'permission denied for view jobs',
    'plain role cannot read jobs');
SELECT throws_ok('INSERT INTO lifeguard.policies (name) VALUES (''x'')', '42501',
    'permission denied for table policies',
    'plain role cannot add a policy');
SELECT throws_ok('SELECT lifeguard.metrics()', '42501',
    'permission denied for function metrics',
    'plain role cannot read metrics()');
SELECT throws_ok('SELECT * FROM lifeguard.report()', '42501',
    'permission denied for function report',
    'plain role cannot read report()');
SELECT throws_ok('SELECT * FROM lifeguard.events', '42501',
    'permission denied for table events',
    'plain role cannot read events');
RESET ROLE;
SET LOCAL ROLE pgtap_lifeguard_monitor;
SELECT lives_ok('SELECT * FROM lifeguard.recent_events()',
    'pg_monitor member reads recent_events()');
SELECT lives_ok('SELECT * FROM lifeguard.slot_usage(''state'')',
    'pg_monitor member reads slot_usage()');
SELECT lives_ok('SELECT * FROM lifeguard.partitions()',
    'pg_monitor member reads partitions()');
SELECT lives_ok('SELECT * FROM lifeguard.jobs',
    'pg_monitor member reads jobs');
SELECT lives_ok('SELECT * FROM lifeguard.job_runs',
    'pg_monitor member reads job_runs');
SELECT throws_ok($$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap_x', '1 hour')$$, '42501',
    'permission denied for view jobs',
    'pg_monitor member cannot register a job');
SELECT throws_ok('DELETE FROM lifeguard.policies', '42501',
    'permission denied for table policies',
    'pg_monitor member cannot delete policies');
SELECT throws_ok('DELETE FROM lifeguard.events', '42501',
    'permission denied for table events',
    'pg_monitor member cannot delete events');
SELECT lives_ok('SELECT lifeguard.metrics()', 'pg_monitor member reads metrics()');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
