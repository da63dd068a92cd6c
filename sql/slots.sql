--
-- Connection slots: slots(), slot_usage(), slot_history().
--

SELECT pg_get_function_arguments('lifeguard.slots'::regproc);
SELECT pg_get_function_arguments('lifeguard.slot_usage'::regproc);
SELECT pg_get_function_arguments('lifeguard.slot_history'::regproc);

-- The arithmetic of the slots ordinary roles may use
SELECT max_connections = current_setting('max_connections')::int AS max_ok,
       superuser_reserved_connections = current_setting('superuser_reserved_connections')::int AS su_ok,
       -- reserved_connections: PostgreSQL 16 on, 0 before
       reserved_connections = coalesce(current_setting('reserved_connections', true)::int, 0) AS rc_ok,
       reserved_admin_slots = current_setting('lifeguard.reserved_admin_slots')::int AS admin_ok,
       usable = max_connections - superuser_reserved_connections - reserved_connections
                - reserved_admin_slots AS usable_ok,
       free = max_connections - used AS free_ok,
       used_pct = round(100.0 * used / usable, 1) AS pct_ok,
       used >= 1 AS this_session_counted,
       active >= 1 AS this_session_active,
       used >= active + idle + idle_in_transaction + waiting AS states_within_used,
       status
FROM lifeguard.slots();

-- This session shows under its role, its database, its state
SELECT key, count >= 1 AS counted, active >= 1 AS active
FROM lifeguard.slot_usage() WHERE key = current_user;
SELECT key, count >= 1 AS counted
FROM lifeguard.slot_usage('database') WHERE key = current_database();
SELECT count(*) AS one_active_group
FROM lifeguard.slot_usage('state') WHERE key = 'active';
SELECT count(*) >= 1 AS has_local_or_address
FROM lifeguard.slot_usage('client_addr');
SELECT count(*) >= 1 AS has_application_group
FROM lifeguard.slot_usage('application');
-- group_by is not case-sensitive
SELECT count(*) >= 1 AS upper_case_works FROM lifeguard.slot_usage('ROLE');

-- Idle sessions of other roles: three dblink sessions sit idle
SELECT used AS used_before FROM lifeguard.slots() \gset
CREATE EXTENSION dblink;
CREATE ROLE lifeguard_idle_a LOGIN;
CREATE ROLE lifeguard_idle_b LOGIN;
SELECT dblink_connect('idle_a', 'dbname=' || current_database() || ' user=lifeguard_idle_a application_name=leaky-a');
SELECT dblink_connect('idle_b', 'dbname=' || current_database() || ' user=lifeguard_idle_b application_name=leaky-b');
SELECT dblink_connect('idle_su', 'dbname=' || current_database() || ' application_name=leaky-su');
SELECT pg_sleep(0.2);
SELECT key, count, idle, longest_idle > interval '0' AS idle_for_a_while
FROM lifeguard.slot_usage('role')
WHERE key IN ('lifeguard_idle_a', 'lifeguard_idle_b')
ORDER BY key;
SELECT key, count
FROM lifeguard.slot_usage('application')
WHERE key LIKE 'leaky-%'
ORDER BY key;

-- The worker samples the slots once a second
SELECT wait_for($$(SELECT count(*) >= 2 FROM lifeguard.slot_history())$$);
SELECT bool_and(used >= 0 AND free = current_setting('max_connections')::int - used
                AND status IN ('ok', 'warning', 'critical')) AS samples_sane,
       bool_and(sampled_at <= now()) AS in_the_past
FROM lifeguard.slot_history();
-- the newest sample sees at least this session and the three idle ones
SELECT wait_for($$(SELECT used >= 4 AND idle >= 3 FROM lifeguard.slot_history()
                   ORDER BY sampled_at DESC LIMIT 1)$$);
SELECT count(*) = (SELECT count(*) FROM lifeguard.slot_history('1 hour')) AS default_is_one_hour
FROM lifeguard.slot_history();
SELECT count(*) AS none_in_zero_interval FROM lifeguard.slot_history('0')
WHERE sampled_at < now() - interval '1 minute';
SELECT count(*) > 0 AS huge_interval_is_all FROM lifeguard.slot_history('1000000 years');

-- Bad arguments
SELECT * FROM lifeguard.slot_usage('color');
SELECT * FROM lifeguard.slot_usage(NULL);
SELECT * FROM lifeguard.slot_history(NULL);
SELECT * FROM lifeguard.slot_history('-1 minute');

-- Privileges: pg_monitor reads, others get 42501
CREATE ROLE lifeguard_slots_plain;
SET ROLE lifeguard_slots_plain;
SELECT * FROM lifeguard.slots();
SELECT * FROM lifeguard.slot_usage();
SELECT * FROM lifeguard.slot_history();
RESET ROLE;
DROP ROLE lifeguard_slots_plain;

SELECT used - :used_before AS dblink_sessions FROM lifeguard.slots();
SELECT dblink_disconnect('idle_a'), dblink_disconnect('idle_b'),
       dblink_disconnect('idle_su');

-- Slots of sessions that ended are free again (PostgreSQL 15 leaves the pid
-- in a freed PGPROC: counting pids would never go down)
SELECT wait_for('(SELECT used = ' || :used_before || ' FROM lifeguard.slots())');
SELECT authenticating FROM lifeguard.slots();
