--
-- lifeguard.* settings: defaults, ranges and validation.
--
SELECT name, setting, unit, context, vartype, min_val, max_val
FROM pg_settings
WHERE name LIKE 'lifeguard.%'
ORDER BY name;

-- The prefix is reserved: a misspelt setting is an error, not a placeholder
SET lifeguard.naptme = 100;

-- Server-wide settings cannot be changed in a session
SET lifeguard.naptime = 200;
SET lifeguard.database = 'other';

-- Out-of-range values are refused, with the range (those of settings with
-- a unit are in settings_units.sql: the message's form differs by version)
ALTER SYSTEM SET lifeguard.slot_warning = 0;
ALTER SYSTEM SET lifeguard.slot_critical = 101;
ALTER SYSTEM SET lifeguard.reserved_admin_slots = -1;
ALTER SYSTEM SET lifeguard.event_ring_size = 10;
ALTER SYSTEM SET lifeguard.enabled = 'maybe';

-- admin_roles must be a well-formed list of role names
ALTER SYSTEM SET lifeguard.admin_roles = 'dba,,ops';
ALTER SYSTEM SET lifeguard.admin_roles = 'dba, "unterminated';
ALTER SYSTEM SET lifeguard.admin_roles = 'dba ops';
SELECT format('ALTER SYSTEM SET lifeguard.admin_roles = %L',
              string_agg('r' || g, ',')) AS too_many
FROM generate_series(1, 65) g \gset
:too_many;

-- so must databases, and the partition and job settings stay in range
ALTER SYSTEM SET lifeguard.databases = 'postgres,,app';
SELECT format('ALTER SYSTEM SET lifeguard.databases = %L',
              string_agg('d' || g, ',')) AS too_many
FROM generate_series(1, 33) g \gset
:too_many;
SET lifeguard.partition_horizon = '3d';
SHOW lifeguard.partition_horizon;
RESET lifeguard.partition_horizon;

-- The HTTP endpoint: a numeric address only (no name lookups), a TCP port
ALTER SYSTEM SET lifeguard.http_listen = 'localhost';
ALTER SYSTEM SET lifeguard.http_listen = '127.0.0';
ALTER SYSTEM SET lifeguard.http_listen = '';
ALTER SYSTEM SET lifeguard.http_port = 65536;
ALTER SYSTEM SET lifeguard.http_port = -1;
ALTER SYSTEM SET lifeguard.http_listen = '::1';
ALTER SYSTEM SET lifeguard.http_listen = '0.0.0.0';
ALTER SYSTEM RESET lifeguard.http_listen;
ALTER SYSTEM SET lifeguard.event_retention = '30d';
ALTER SYSTEM RESET lifeguard.event_retention;
ALTER SYSTEM SET lifeguard.notify = 'sometimes';

-- The bearer token is a secret: only superusers and roles that may read all
-- settings (pg_read_all_settings, which pg_monitor includes) see it, and
-- worker_status().settings leaves it out (see worker_status.sql); SHOW is
-- refused (settings_units.sql, the message differs by version)
CREATE ROLE lg_settings_reader LOGIN;
SET ROLE lg_settings_reader;
SELECT count(*) AS token_rows FROM pg_settings WHERE name = 'lifeguard.http_token';
RESET ROLE;
DROP ROLE lg_settings_reader;

-- Well-formed lists are accepted (and taken back)
ALTER SYSTEM SET lifeguard.databases = 'postgres, "App DB"';
ALTER SYSTEM RESET lifeguard.databases;
ALTER SYSTEM SET lifeguard.admin_roles = 'dba, "Ops Admin", rds_superuser';
ALTER SYSTEM SET lifeguard.admin_roles = '';
ALTER SYSTEM RESET lifeguard.admin_roles;
