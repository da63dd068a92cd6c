-- pgTAP: pg_lifeguard's schema objects, their ownership and privileges.
-- Run by scripts/test.sh with pg_prove against a throwaway cluster where
-- pg_lifeguard is preloaded and created by the bootstrap superuser.
BEGIN;
SELECT plan(52);

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

-- Exactly the documented functions and tables, nothing else
SELECT functions_are('lifeguard',
    ARRAY['worker_status', 'recent_events', 'policy_status', 'slots',
          'slot_usage', 'slot_history', 'shed_idle', '_policies_changed',
          'blockers'],
    'schema lifeguard holds exactly the documented functions');
SELECT tables_are('lifeguard', ARRAY['policies'],
    'schema lifeguard holds exactly the documented tables');

SELECT has_function('lifeguard', 'worker_status', ARRAY[]::name[]);
SELECT has_function('lifeguard', 'recent_events', ARRAY['timestamp with time zone']);
SELECT function_returns('lifeguard', 'worker_status', ARRAY[]::name[], 'record');
SELECT function_returns('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'setof record');
SELECT function_lang_is('lifeguard', 'worker_status', ARRAY[]::name[], 'c');
SELECT function_lang_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'c');
SELECT volatility_is('lifeguard', 'worker_status', ARRAY[]::name[], 'volatile');
SELECT volatility_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'], 'volatile');

-- No function runs with its owner's rights: they check the caller's
SELECT isnt_definer('lifeguard', 'worker_status', ARRAY[]::name[]);
SELECT isnt_definer('lifeguard', 'recent_events', ARRAY['timestamp with time zone']);
SELECT isnt_strict('lifeguard', 'recent_events', ARRAY['timestamp with time zone'],
    'recent_events accepts NULL (all events)');

-- Owned by the extension owner, and members of the extension (so DROP
-- EXTENSION removes them and pg_dump does not dump them)
SELECT function_owner_is('lifeguard', 'worker_status', ARRAY[]::name[],
    (SELECT extowner::regrole::name FROM pg_extension WHERE extname = 'pg_lifeguard'));
SELECT function_owner_is('lifeguard', 'recent_events', ARRAY['timestamp with time zone'],
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
    '{lifeguard.policies}', 'pg_dump keeps the rows of policies');

-- EXECUTE stays with PUBLIC: the functions themselves demand pg_monitor, so
-- every caller gets the same clear error
SELECT function_privs_are('lifeguard', 'worker_status', ARRAY[]::name[],
    'public', ARRAY['EXECUTE']);

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
SELECT throws_ok('INSERT INTO lifeguard.policies (name) VALUES (''x'')', '42501',
    'permission denied for table policies',
    'plain role cannot add a policy');
RESET ROLE;
SET LOCAL ROLE pgtap_lifeguard_monitor;
SELECT lives_ok('SELECT * FROM lifeguard.recent_events()',
    'pg_monitor member reads recent_events()');
SELECT lives_ok('SELECT * FROM lifeguard.slot_usage(''state'')',
    'pg_monitor member reads slot_usage()');
SELECT throws_ok('DELETE FROM lifeguard.policies', '42501',
    'permission denied for table policies',
    'pg_monitor member cannot delete policies');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
