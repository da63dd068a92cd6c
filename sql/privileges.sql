--
-- Reading pg_lifeguard's state needs the privileges of pg_monitor.
--
CREATE ROLE lifeguard_plain;
CREATE ROLE lifeguard_monitor IN ROLE pg_monitor;

-- Everyone may look into the schema; the functions check the rest
SELECT has_schema_privilege('lifeguard_plain', 'lifeguard', 'USAGE') AS plain_usage,
       has_schema_privilege('lifeguard_plain', 'lifeguard', 'CREATE') AS plain_create;

SET ROLE lifeguard_plain;
SELECT * FROM lifeguard.worker_status();
SELECT * FROM lifeguard.recent_events();
RESET ROLE;

SET ROLE lifeguard_monitor;
SELECT state IS NOT NULL AS can_read_status FROM lifeguard.worker_status();
SELECT count(*) > 0 AS can_read_events FROM lifeguard.recent_events();
RESET ROLE;

-- Membership without inheritance does not carry pg_monitor's privileges
CREATE ROLE lifeguard_noinherit NOINHERIT IN ROLE pg_monitor;
SET ROLE lifeguard_noinherit;
SELECT * FROM lifeguard.worker_status();
RESET ROLE;

-- Settings: only superusers change them, at the level they allow
SET ROLE lifeguard_plain;
SET lifeguard.debug_tick_error = on;
RESET ROLE;

DROP ROLE lifeguard_plain, lifeguard_monitor, lifeguard_noinherit;
