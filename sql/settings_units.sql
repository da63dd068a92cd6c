--
-- PostgreSQL's own messages about lifeguard.* settings, whose form differs
-- by version: a range with units ("(100 .. 3600000)" up to 17, "(100 ms ..
-- 3600000 ms)" from 18) and the refusal to show a secret setting.  The
-- expected output for 15 is settings_units.out, for 18 settings_units_1.out.
--

-- Out-of-range values of settings with a unit are refused, with the range
ALTER SYSTEM SET lifeguard.naptime = 50;
ALTER SYSTEM SET lifeguard.naptime = '2h';
ALTER SYSTEM SET lifeguard.check_interval = 0;
ALTER SYSTEM SET lifeguard.alert_repeat = '8d';
SET lifeguard.partition_horizon = 0;
ALTER SYSTEM SET lifeguard.event_retention = -1;

-- The bearer token is a secret: a role that may not read all settings
-- cannot SHOW it
CREATE ROLE lg_units_reader LOGIN;
SET ROLE lg_units_reader;
SHOW lifeguard.http_token;
RESET ROLE;
DROP ROLE lg_units_reader;
