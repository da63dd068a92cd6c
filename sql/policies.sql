--
-- lifeguard.policies: constraints give bad rows a clear error, and nothing
-- is lost.  This database is not the worker's (test/regress.conf), so every
-- change also warns that these policies are not enforced here.
--
SELECT column_name, data_type, is_nullable, column_default
FROM information_schema.columns
WHERE table_schema = 'lifeguard' AND table_name = 'policies'
ORDER BY ordinal_position;

INSERT INTO lifeguard.policies (name, application_name, max_connections)
VALUES ('billing_cap', 'billing%', 20);
INSERT INTO lifeguard.policies (name, role_name, idle_timeout, shed_idle_after)
VALUES ('app_idle', 'app', '10 min', '1 min');
INSERT INTO lifeguard.policies (name, role_name, statement_timeout,
    lock_wait_timeout, idle_in_transaction_timeout, transaction_timeout,
    blocking_timeout, action)
VALUES ('app_limits', 'app', '30 s', '5 s', '1 min', '10 min', '10 s', 'terminate');
-- action defaults to cancel
INSERT INTO lifeguard.policies (name, statement_timeout)
VALUES ('default_action', '1 hour');

-- Bad rows
INSERT INTO lifeguard.policies (name) VALUES ('has space');
INSERT INTO lifeguard.policies (name) VALUES (repeat('x', 64));
INSERT INTO lifeguard.policies (name) VALUES (NULL);
INSERT INTO lifeguard.policies (name) VALUES ('billing_cap');
INSERT INTO lifeguard.policies (name, max_connections) VALUES ('neg', -1);
INSERT INTO lifeguard.policies (name, idle_timeout) VALUES ('zero', '0');
INSERT INTO lifeguard.policies (name, idle_timeout) VALUES ('negative', '-5 min');
INSERT INTO lifeguard.policies (name, shed_idle_after) VALUES ('negative', '-1 s');
INSERT INTO lifeguard.policies (name, application_name) VALUES ('long', repeat('a', 64));
INSERT INTO lifeguard.policies (name, enabled) VALUES ('null_enabled', NULL);
INSERT INTO lifeguard.policies (name, max_connections) VALUES ('text', 'many');
UPDATE lifeguard.policies SET max_connections = -3 WHERE name = 'billing_cap';
-- time limits must be positive; the action must be one of three
INSERT INTO lifeguard.policies (name, statement_timeout) VALUES ('negative', '-1 s');
INSERT INTO lifeguard.policies (name, lock_wait_timeout) VALUES ('zero', '0');
INSERT INTO lifeguard.policies (name, idle_in_transaction_timeout) VALUES ('negative', '-1 min');
INSERT INTO lifeguard.policies (name, transaction_timeout) VALUES ('negative', '-1 day');
INSERT INTO lifeguard.policies (name, blocking_timeout) VALUES ('zero', '0 s');
INSERT INTO lifeguard.policies (name, statement_timeout) VALUES ('nonsense', 'soon');
INSERT INTO lifeguard.policies (name, action) VALUES ('unknown_action', 'kill');
INSERT INTO lifeguard.policies (name, action) VALUES ('upper_action', 'CANCEL');
INSERT INTO lifeguard.policies (name, action) VALUES ('null_action', NULL);
UPDATE lifeguard.policies SET action = 'shoot' WHERE name = 'app_limits';
UPDATE lifeguard.policies SET statement_timeout = '-30 s' WHERE name = 'app_limits';

-- Nothing was lost
SELECT name, role_name, application_name, max_connections, idle_timeout,
       shed_idle_after, enabled
FROM lifeguard.policies ORDER BY name;
SELECT name, statement_timeout, lock_wait_timeout, idle_in_transaction_timeout,
       transaction_timeout, blocking_timeout, action
FROM lifeguard.policies ORDER BY name;

-- At most 128 enabled policies: shared memory holds no more.  Disabled rows
-- do not count, and the refused statement leaves the table as it was.
INSERT INTO lifeguard.policies (name, max_connections)
SELECT 'bulk_' || g, 100 FROM generate_series(1, 126) g;
INSERT INTO lifeguard.policies (name, max_connections, enabled)
SELECT 'off_' || g, 100, false FROM generate_series(1, 5) g;
SELECT count(*) FILTER (WHERE enabled) AS enabled, count(*) AS total
FROM lifeguard.policies;
INSERT INTO lifeguard.policies (name, max_connections) VALUES ('one_too_many', 1);
UPDATE lifeguard.policies SET enabled = true WHERE name = 'off_1';
SELECT count(*) FILTER (WHERE enabled) AS enabled, count(*) AS total
FROM lifeguard.policies;
DELETE FROM lifeguard.policies WHERE name LIKE 'bulk_%' OR name LIKE 'off_%';

-- The trigger function is for the trigger only
SELECT lifeguard._policies_changed();

-- Privileges: pg_monitor reads policies, only the owner changes them
CREATE ROLE lifeguard_pol_monitor IN ROLE pg_monitor;
CREATE ROLE lifeguard_pol_plain;
SET ROLE lifeguard_pol_monitor;
SELECT count(*) FROM lifeguard.policies;
SELECT count(*) FROM lifeguard.policy_status();
INSERT INTO lifeguard.policies (name) VALUES ('sneaky');
RESET ROLE;
SET ROLE lifeguard_pol_plain;
SELECT count(*) FROM lifeguard.policies;
SELECT * FROM lifeguard.policy_status();
RESET ROLE;
DROP ROLE lifeguard_pol_monitor, lifeguard_pol_plain;

-- Policies are configuration: pg_dump keeps their rows
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'pg_lifeguard';

DELETE FROM lifeguard.policies;
