--
-- lifeguard.shed_idle(): idle sessions, on demand, by pg_terminate_backend's
-- rules.  Three idle dblink sessions: two plain roles (created by the slots
-- test) and a superuser.
--
SELECT pg_get_function_arguments('lifeguard.shed_idle'::regproc);

SELECT dblink_connect('idle_a', 'dbname=' || current_database() || ' user=lifeguard_idle_a application_name=leaky-a');
SELECT dblink_connect('idle_b', 'dbname=' || current_database() || ' user=lifeguard_idle_b application_name=leaky-b');
SELECT dblink_connect('idle_su', 'dbname=' || current_database() || ' application_name=leaky-su');
SELECT wait_for($$(SELECT count(*) = 3 FROM pg_stat_activity
                   WHERE application_name LIKE 'leaky-%' AND state = 'idle')$$);

-- Bad arguments
SELECT * FROM lifeguard.shed_idle(NULL);
SELECT * FROM lifeguard.shed_idle('-1 s');
SELECT * FROM lifeguard.shed_idle('1 s', 'no_such_role');
SELECT * FROM lifeguard.shed_idle('1 s', dry_run => NULL);

-- A superuser sees the plain roles' idle sessions, never a superuser's
SELECT role, application, terminated
FROM lifeguard.shed_idle('0', application_name => 'leaky-%')
ORDER BY role;

-- Filters: role and LIKE on application_name
SELECT role FROM lifeguard.shed_idle('0', 'lifeguard_idle_b');
SELECT role FROM lifeguard.shed_idle('0', NULL, 'leaky-a');
SELECT count(*) AS idle_for_an_hour FROM lifeguard.shed_idle('1 hour');

-- A role may end its own role's sessions only
SET ROLE lifeguard_idle_a;
SELECT role, terminated FROM lifeguard.shed_idle('0', application_name => 'leaky-%');
RESET ROLE;

-- pg_signal_backend may end other roles' sessions, not a superuser's
CREATE ROLE lifeguard_signaller IN ROLE pg_signal_backend;
SET ROLE lifeguard_signaller;
SELECT role, terminated FROM lifeguard.shed_idle('0', application_name => 'leaky-%')
ORDER BY role;
RESET ROLE;

-- A plain role with no sessions of its own sees nothing to end
CREATE ROLE lifeguard_nobody;
SET ROLE lifeguard_nobody;
SELECT count(*) FROM lifeguard.shed_idle('0');
RESET ROLE;

-- Dry run by default: nothing was terminated
SELECT count(*) AS still_idle FROM pg_stat_activity
WHERE application_name LIKE 'leaky-%' AND state = 'idle';

-- For real: lifeguard_idle_a ends its own session
SET ROLE lifeguard_idle_a;
SELECT role, application, terminated
FROM lifeguard.shed_idle('0', dry_run => false);
RESET ROLE;
SELECT wait_for($$(SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'leaky-a')$$);
SELECT kind, role, application_name, action,
       detail ~ 'terminated by lifeguard.shed_idle\(\) called by role "lifeguard_idle_a"' AS detail_ok
FROM lifeguard.recent_events() WHERE kind = 'idle_shed';

-- The others are still there
SELECT application_name FROM pg_stat_activity
WHERE application_name LIKE 'leaky-%' ORDER BY 1;

SELECT dblink_disconnect('idle_b'), dblink_disconnect('idle_su');
DROP ROLE lifeguard_signaller, lifeguard_nobody;
