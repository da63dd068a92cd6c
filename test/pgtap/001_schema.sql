-- pgTAP: pg_lifeguard's schema objects, their ownership and privileges.
-- Run by scripts/test.sh with pg_prove against a throwaway cluster where
-- pg_lifeguard is preloaded and created by the bootstrap superuser.
BEGIN;
SELECT plan(24);

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

-- Exactly the documented functions, nothing else
SELECT functions_are('lifeguard', ARRAY['worker_status', 'recent_events'],
    'schema lifeguard holds exactly the documented functions');
SELECT tables_are('lifeguard', ARRAY[]::name[], 'no tables yet');

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
    2, 'both functions are members of the extension');

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
RESET ROLE;
SET LOCAL ROLE pgtap_lifeguard_monitor;
SELECT lives_ok('SELECT * FROM lifeguard.recent_events()',
    'pg_monitor member reads recent_events()');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
