--
-- lifeguard.policies: every time limit is checked in the unit the worker
-- enforces it in, the whole milliseconds of extract(epoch), from 1 ms to
-- 100 years; what the worker publishes is what the table says.
--
-- Interval comparison counts a month as 30 days, extract(epoch) a year as
-- 365.25: '-1 year 361 days' is more than zero as an interval and minus
-- 4.25 days as epoch seconds.
SELECT v AS value,
       interval '0' < v::interval AS positive_interval,
       extract(epoch FROM v::interval) AS epoch_seconds
FROM unnest(ARRAY['-1 year 361 days', '0.0004 s', '178000000 years']) v;

-- try_limit(column, value): insert a policy setting one limit, and say
-- whether it was accepted, or which constraint refused it with which
-- SQLSTATE.  Accepted rows are removed again.
CREATE FUNCTION pg_temp.try_limit(col text, val text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    constraint_name text;
BEGIN
    EXECUTE format('INSERT INTO lifeguard.policies (name, %I) VALUES (%L, %L::interval)',
                   col, 'limit_probe', val);
    DELETE FROM lifeguard.policies WHERE name = 'limit_probe';
    RETURN 'accepted';
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
                            constraint_name = CONSTRAINT_NAME;
    RETURN state || ' ' || constraint_name;
END
$$;

-- This database is not the worker's: accepted rows warn that they are not
-- enforced here.  Only the errors matter below.
SET client_min_messages = error;

-- The three values of the issue, and the boundaries, on statement_timeout
SELECT v AS value, pg_temp.try_limit('statement_timeout', v) AS result
FROM unnest(ARRAY[
    '-1 year 361 days',         -- "no limit" before: negative epoch
    '0.0004 s',                 -- published as 0 ms before
    '178000000 years',          -- overflowed policy_status() before
    '0',
    '-1 ms',
    '0.000999 s',               -- 0 whole milliseconds
    '0.001 s',                  -- the minimum, 1 ms
    '0.0019 s',                 -- enforced as 1 ms
    '1 mon',                    -- 30 days
    '100 years',                -- the maximum: 36525 days
    '1200 months',
    '36525 days',
    '876600 hours',
    '100 years 0.001 s',        -- 1 ms over
    '36525 days 00:00:00.001',
    '100 years 1 mon',
    '-1 year 366 days'          -- positive epoch (0.75 days): fine
]) v;

-- Every time limit has the same bounds
SELECT c AS column_name,
       pg_temp.try_limit(c, '0.0004 s') AS under_1ms,
       pg_temp.try_limit(c, '-1 year 361 days') AS negative_epoch,
       pg_temp.try_limit(c, '0.001 s') AS "1ms",
       pg_temp.try_limit(c, '100 years') AS "100years",
       pg_temp.try_limit(c, '100 years 0.001 s') AS over_100years
FROM unnest(ARRAY['idle_timeout', 'shed_idle_after', 'statement_timeout',
                  'lock_wait_timeout', 'idle_in_transaction_timeout',
                  'transaction_timeout', 'blocking_timeout']) c;

-- An UPDATE is held to the same bounds, and the row keeps its value
INSERT INTO lifeguard.policies (name, statement_timeout)
VALUES ('keeps_its_limit', '30 s');
UPDATE lifeguard.policies SET statement_timeout = '-1 year 361 days'
WHERE name = 'keeps_its_limit';
UPDATE lifeguard.policies SET statement_timeout = '0.0004 s'
WHERE name = 'keeps_its_limit';
UPDATE lifeguard.policies SET statement_timeout = '178000000 years'
WHERE name = 'keeps_its_limit';
SELECT name, statement_timeout FROM lifeguard.policies;
DELETE FROM lifeguard.policies;
RESET client_min_messages;

-- What the worker publishes, in its own database ("postgres"): exactly the
-- milliseconds the row holds, at the bounds too, without overflow.
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION pg_lifeguard;
RESET client_min_messages;
CREATE FUNCTION pg_temp.wait_for(condition text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
    deadline timestamptz := clock_timestamp() + interval '30 s';
BEGIN
    LOOP
        EXECUTE 'SELECT (' || condition || ')' INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        IF clock_timestamp() > deadline THEN
            RAISE WARNING 'wait_for: % still false', condition;
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

INSERT INTO lifeguard.policies (name, role_name, idle_timeout, shed_idle_after,
    statement_timeout, lock_wait_timeout, idle_in_transaction_timeout,
    transaction_timeout, blocking_timeout)
VALUES ('at_minimum', 'nobody_here', '0.001 s', '0.0019 s', '0.001 s',
        '0.001 s', '0.001 s', '0.001 s', '0.001 s'),
       ('at_maximum', 'nobody_here', '100 years', '36525 days', '1200 months',
        '876600 hours', '100 years', '100 years', '100 years'),
       ('in_between', 'nobody_here', '1 year', '1 mon', '-1 year 366 days',
        '1.5 s', '10 min', '1 day', '0.25 s');
-- the values of the issue are refused here too
INSERT INTO lifeguard.policies (name, statement_timeout)
VALUES ('no_limit_before', '-1 year 361 days');
INSERT INTO lifeguard.policies (name, statement_timeout)
VALUES ('zero_before', '0.0004 s');
INSERT INTO lifeguard.policies (name, statement_timeout)
VALUES ('overflow_before', '178000000 years');

SELECT pg_temp.wait_for($$(SELECT count(*) = 3 FROM lifeguard.policy_status())$$);
SELECT name, idle_timeout, shed_idle_after, statement_timeout,
       lock_wait_timeout, idle_in_transaction_timeout, transaction_timeout,
       blocking_timeout
FROM lifeguard.policy_status()
ORDER BY name;

-- The published value is the row's, in whole milliseconds of epoch
SELECT p.name,
       bool_and(floor(extract(epoch FROM x.stored) * 1000) =
                extract(epoch FROM x.published) * 1000) AS published_as_stored
FROM lifeguard.policies p
JOIN lifeguard.policy_status() ps USING (name)
CROSS JOIN LATERAL (VALUES (p.idle_timeout, ps.idle_timeout),
                           (p.shed_idle_after, ps.shed_idle_after),
                           (p.statement_timeout, ps.statement_timeout),
                           (p.lock_wait_timeout, ps.lock_wait_timeout),
                           (p.idle_in_transaction_timeout, ps.idle_in_transaction_timeout),
                           (p.transaction_timeout, ps.transaction_timeout),
                           (p.blocking_timeout, ps.blocking_timeout)) AS x(stored, published)
GROUP BY p.name
ORDER BY p.name;

-- With a constraint dropped by hand, the worker still never wraps nor reads
-- "no limit": a value beyond the bounds is published at the nearer one
ALTER TABLE lifeguard.policies DROP CONSTRAINT policies_statement_timeout_check;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout)
VALUES ('unchecked_negative', 'nobody_here', '-1 year 361 days'),
       ('unchecked_tiny', 'nobody_here', '0.0004 s'),
       ('unchecked_huge', 'nobody_here', '178000000 years');
SELECT pg_temp.wait_for($$(SELECT count(*) = 6 FROM lifeguard.policy_status())$$);
SELECT name, statement_timeout
FROM lifeguard.policy_status()
WHERE name LIKE 'unchecked%'
ORDER BY name;

DROP EXTENSION pg_lifeguard;
