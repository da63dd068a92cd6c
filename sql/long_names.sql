--
-- A name or pattern that comes back in an error message is cut to 63 bytes
-- and "..." (at a character boundary), however long the argument was.
--

-- A name PostgreSQL could store (63 bytes) comes back whole, one byte more
-- is cut
SELECT lifeguard.job_start(repeat('n', 63));
SELECT lifeguard.job_start(repeat('n', 64));

-- 100,000 characters: the job API, run_maintenance, slot_usage, shed_idle
SELECT lifeguard.job_start(repeat('n', 100000));
SELECT lifeguard.job_success(repeat('s', 100000));
SELECT lifeguard.job_failure(repeat('f', 100000), 'boom');
CALL lifeguard.run_maintenance(repeat('m', 100000), 'SELECT 1');
SELECT * FROM lifeguard.slot_usage(repeat('g', 100000));
SELECT * FROM lifeguard.shed_idle('1 s', repeat('r', 100000));

-- Never inside a character: in a UTF-8 database, 'é' takes 2 bytes and
-- '€' 3, so 31 and 21 of them fit in 63 bytes
SELECT current_database() AS regress_db \gset
CREATE DATABASE lifeguard_utf8 ENCODING 'UTF8' LOCALE 'C' TEMPLATE template0;
\c lifeguard_utf8
SET client_encoding = 'UTF8';
CREATE EXTENSION pg_lifeguard;
SELECT lifeguard.job_start(repeat('é', 100000));
SELECT lifeguard.job_start(repeat('€', 100000));
SELECT lifeguard.job_start('x' || repeat('€', 100000));
\c :regress_db
DROP DATABASE lifeguard_utf8;

-- The developer option that slows idle shedding down for tests is hidden,
-- and only superusers may set it
SELECT count(*) AS shown FROM pg_settings WHERE name = 'lifeguard.debug_shed_delay';
SHOW lifeguard.debug_shed_delay;
CREATE ROLE lifeguard_long_plain;
SET ROLE lifeguard_long_plain;
SET lifeguard.debug_shed_delay = 100;
RESET ROLE;
DROP ROLE lifeguard_long_plain;
