-- pgTAP: lifeguard.partitions() and the maintenance job API (lifeguard.jobs,
-- job_start / job_success / job_failure, job_status, run_maintenance).
--
-- Run by scripts/test.sh (suite_pgtap) with pg_prove against a throwaway
-- cluster where pg_lifeguard is preloaded and created by the bootstrap
-- superuser.  pg_prove runs this file with psql: everything below is one
-- transaction that ends in ROLLBACK, so the schema, tables, roles and jobs
-- created here never outlive the run and the file can be run again.
--
-- Time: now() is the transaction's start and stays the same for the whole
-- file, and lifeguard.partitions() judges coverage at that same instant
-- (GetCurrentTransactionStartTimestamp).  Every bound is computed from
-- date_trunc('day', now()), so "today" is the partition holding now() and
-- the expected values do not depend on the time of day the test runs.
-- Job statuses are checked with lifeguard.job_status(..., at) and fixed
-- timestamps, or through the view with registered_at set relative to now().
BEGIN;
SELECT plan(106);

-- ---------------------------------------------------------------------------
-- Partitioned tables under test, all in their own schema
-- ---------------------------------------------------------------------------
CREATE SCHEMA pgtap_parts;
-- the monitor role below must be able to name them
GRANT USAGE ON SCHEMA pgtap_parts TO PUBLIC;

DO $$
DECLARE
    d timestamptz := date_trunc('day', now());
BEGIN
    -- r: timestamptz range, yesterday .. today .. tomorrow .. and a default
    CREATE TABLE pgtap_parts.r (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.r_yesterday PARTITION OF pgtap_parts.r FOR VALUES FROM (%L) TO (%L)',
                   d - interval '1 day', d);
    EXECUTE format('CREATE TABLE pgtap_parts.r_today PARTITION OF pgtap_parts.r FOR VALUES FROM (%L) TO (%L)',
                   d, d + interval '1 day');
    EXECUTE format('CREATE TABLE pgtap_parts.r_tomorrow PARTITION OF pgtap_parts.r FOR VALUES FROM (%L) TO (%L)',
                   d + interval '1 day', d + interval '2 days');
    CREATE TABLE pgtap_parts.r_default PARTITION OF pgtap_parts.r DEFAULT;

    -- g1: as r, but the day before yesterday is missing: one hole in the past
    CREATE TABLE pgtap_parts.g1 (t timestamptz NOT NULL) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.g1_p3 PARTITION OF pgtap_parts.g1 FOR VALUES FROM (%L) TO (%L)',
                   d - interval '3 days', d - interval '2 days');
    EXECUTE format('CREATE TABLE pgtap_parts.g1_p1 PARTITION OF pgtap_parts.g1 FOR VALUES FROM (%L) TO (%L)',
                   d - interval '1 day', d);
    EXECUTE format('CREATE TABLE pgtap_parts.g1_p0 PARTITION OF pgtap_parts.g1 FOR VALUES FROM (%L) TO (%L)',
                   d, d + interval '1 day');
    EXECUTE format('CREATE TABLE pgtap_parts.g1_n1 PARTITION OF pgtap_parts.g1 FOR VALUES FROM (%L) TO (%L)',
                   d + interval '1 day', d + interval '2 days');
    CREATE TABLE pgtap_parts.g1_default PARTITION OF pgtap_parts.g1 DEFAULT;

    -- g2: two holes, the second one right after today: coverage stops there
    CREATE TABLE pgtap_parts.g2 (t timestamptz NOT NULL) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.g2_p3 PARTITION OF pgtap_parts.g2 FOR VALUES FROM (%L) TO (%L)',
                   d - interval '3 days', d - interval '2 days');
    EXECUTE format('CREATE TABLE pgtap_parts.g2_p0 PARTITION OF pgtap_parts.g2 FOR VALUES FROM (%L) TO (%L)',
                   d, d + interval '1 day');
    EXECUTE format('CREATE TABLE pgtap_parts.g2_n2 PARTITION OF pgtap_parts.g2 FOR VALUES FROM (%L) TO (%L)',
                   d + interval '2 days', d + interval '3 days');

    -- u: only past partitions, no default: nothing covers now()
    CREATE TABLE pgtap_parts.u (t timestamptz NOT NULL) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.u_p2 PARTITION OF pgtap_parts.u FOR VALUES FROM (%L) TO (%L)',
                   d - interval '2 days', d - interval '1 day');
    EXECUTE format('CREATE TABLE pgtap_parts.u_p1 PARTITION OF pgtap_parts.u FOR VALUES FROM (%L) TO (%L)',
                   d - interval '1 day', d);

    -- edge_eq / edge_short: coverage ends exactly at now() + 1 day (enough),
    -- or one microsecond before it (not enough)
    CREATE TABLE pgtap_parts.edge_eq (t timestamptz NOT NULL) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.edge_eq_p PARTITION OF pgtap_parts.edge_eq FOR VALUES FROM (%L) TO (%L)',
                   d, now() + interval '1 day');
    CREATE TABLE pgtap_parts.edge_short (t timestamptz NOT NULL) PARTITION BY RANGE (t);
    EXECUTE format('CREATE TABLE pgtap_parts.edge_short_p PARTITION OF pgtap_parts.edge_short FOR VALUES FROM (%L) TO (%L)',
                   d, now() + interval '1 day' - interval '1 microsecond');

    -- dt: a date key, yesterday .. the day after tomorrow in one partition
    CREATE TABLE pgtap_parts.dt (day date NOT NULL) PARTITION BY RANGE (day);
    EXECUTE format('CREATE TABLE pgtap_parts.dt_p PARTITION OF pgtap_parts.dt FOR VALUES FROM (%L) TO (%L)',
                   (d - interval '1 day')::date, (d + interval '2 days')::date);
END
$$;

-- l: list with a default partition that holds a row
CREATE TABLE pgtap_parts.l (k text) PARTITION BY LIST (k);
CREATE TABLE pgtap_parts.l_a PARTITION OF pgtap_parts.l FOR VALUES IN ('a');
CREATE TABLE pgtap_parts.l_default PARTITION OF pgtap_parts.l DEFAULT;
INSERT INTO pgtap_parts.l VALUES ('a'), ('not listed');

-- ln: list without a default
CREATE TABLE pgtap_parts.ln (k text) PARTITION BY LIST (k);
CREATE TABLE pgtap_parts.ln_a PARTITION OF pgtap_parts.ln FOR VALUES IN ('a');
CREATE TABLE pgtap_parts.ln_b PARTITION OF pgtap_parts.ln FOR VALUES IN ('b', 'c');

-- h: hash, three partitions
CREATE TABLE pgtap_parts.h (k int) PARTITION BY HASH (k);
CREATE TABLE pgtap_parts.h_0 PARTITION OF pgtap_parts.h FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE pgtap_parts.h_1 PARTITION OF pgtap_parts.h FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE pgtap_parts.h_2 PARTITION OF pgtap_parts.h FOR VALUES WITH (MODULUS 3, REMAINDER 2);

-- e: timestamptz range without any partition; ei: the same on an integer
CREATE TABLE pgtap_parts.e (t timestamptz) PARTITION BY RANGE (t);
CREATE TABLE pgtap_parts.ei (id bigint) PARTITION BY RANGE (id);

-- i: integer range from MINVALUE to MAXVALUE
CREATE TABLE pgtap_parts.i (id bigint NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE pgtap_parts.i_low PARTITION OF pgtap_parts.i FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE pgtap_parts.i_mid PARTITION OF pgtap_parts.i FOR VALUES FROM (100) TO (200);
CREATE TABLE pgtap_parts.i_high PARTITION OF pgtap_parts.i FOR VALUES FROM (200) TO (MAXVALUE);

-- m: two-column range (int, date)
CREATE TABLE pgtap_parts.m (a int NOT NULL, b date NOT NULL) PARTITION BY RANGE (a, b);
CREATE TABLE pgtap_parts.m_2020 PARTITION OF pgtap_parts.m
    FOR VALUES FROM (1, '2020-01-01') TO (1, '2021-01-01');
CREATE TABLE pgtap_parts.m_rest PARTITION OF pgtap_parts.m
    FOR VALUES FROM (1, '2021-01-01') TO (2, MINVALUE);

-- ---------------------------------------------------------------------------
-- lifeguard.partitions(), one table at a time (all 16 columns)
-- ---------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.r'::regclass$$,
    $$SELECT 'pgtap_parts.r'::regclass, 'range'::text, 4, 'pgtap_parts.r_default'::regclass,
             false, 'probe'::text,
             (d + interval '2 days')::text, (d - interval '1 day')::text,
             d + interval '2 days', interval '1 day', true, 0,
             NULL::boolean, NULL::text, 'ok'::text, '{}'::text[]
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'range on timestamptz covering yesterday .. tomorrow with an empty default: ok, covered until the day after tomorrow');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.g1'::regclass$$,
    $$SELECT 'pgtap_parts.g1'::regclass, 'range'::text, 5, 'pgtap_parts.g1_default'::regclass,
             false, 'probe'::text,
             (d + interval '2 days')::text, (d - interval '3 days')::text,
             d + interval '2 days', interval '1 day', true, 1,
             NULL::boolean, NULL::text, 'warning'::text,
             ARRAY['1 gap between range partitions: rows in it go to the default partition or fail']
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'one hole between range partitions: gaps 1, warning, coverage unaffected');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.g2'::regclass$$,
    $$SELECT 'pgtap_parts.g2'::regclass, 'range'::text, 3, NULL::regclass,
             NULL::boolean, NULL::text,
             (d + interval '3 days')::text, (d - interval '3 days')::text,
             d + interval '1 day', interval '1 day', false, 2,
             NULL::boolean, NULL::text, 'warning'::text,
             ARRAY['2 gaps between range partitions: rows in them go to the default partition or fail',
                   format('partitions cover only until %s, less than now() + %s',
                          d + interval '1 day', interval '1 day')]
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'two holes, one right after today: coverage stops at the hole, short of the horizon');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.u'::regclass$$,
    $$SELECT 'pgtap_parts.u'::regclass, 'range'::text, 2, NULL::regclass,
             NULL::boolean, NULL::text,
             d::text, (d - interval '2 days')::text,
             NULL::timestamptz, interval '1 day', false, 0,
             NULL::boolean, NULL::text, 'critical'::text,
             ARRAY['no partition other than the default covers now()']
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'range partitions that end before now(): critical, covered_until NULL');

SELECT results_eq(
    $$SELECT covered_until, premake_ok, status, problems
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.edge_eq'::regclass$$,
    $$VALUES (now() + interval '1 day', true, 'ok'::text, '{}'::text[])$$,
    'coverage ending exactly at now() + horizon is enough');

SELECT results_eq(
    $$SELECT covered_until, premake_ok, status, problems
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.edge_short'::regclass$$,
    $$VALUES (now() + interval '1 day' - interval '1 microsecond', false, 'warning'::text,
              ARRAY[format('partitions cover only until %s, less than now() + %s',
                           now() + interval '1 day' - interval '1 microsecond',
                           interval '1 day')])$$,
    'coverage ending one microsecond before now() + horizon is a warning');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.dt'::regclass$$,
    $$SELECT 'pgtap_parts.dt'::regclass, 'range'::text, 1, NULL::regclass,
             NULL::boolean, NULL::text,
             (d + interval '2 days')::date::text, (d - interval '1 day')::date::text,
             ((d + interval '2 days')::date)::timestamptz, interval '1 day', true, 0,
             NULL::boolean, NULL::text, 'ok'::text, '{}'::text[]
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'range on a date key: bounds as dates, covered_until as the timestamptz of the upper date');

-- The default partition's row is only in this transaction, so the
-- cumulative statistics cannot have seen it (no entry, reltuples -1): the
-- answer comes from the probe, deterministically.
SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.l'::regclass$$,
    $$VALUES ('pgtap_parts.l'::regclass, 'list'::text, 2, 'pgtap_parts.l_default'::regclass,
              true, 'probe'::text, NULL::text, NULL::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, NULL::int,
              NULL::boolean, NULL::text, 'critical'::text,
              ARRAY['default partition pgtap_parts.l_default holds rows (seen by probe)'])$$,
    'list with a default partition holding a row: critical, seen by the probe');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.ln'::regclass$$,
    $$VALUES ('pgtap_parts.ln'::regclass, 'list'::text, 2, NULL::regclass,
              NULL::boolean, NULL::text, NULL::text, NULL::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, NULL::int,
              NULL::boolean, NULL::text, 'ok'::text, '{}'::text[])$$,
    'list without a default: ok, default columns NULL');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.h'::regclass$$,
    $$VALUES ('pgtap_parts.h'::regclass, 'hash'::text, 3, NULL::regclass,
              NULL::boolean, NULL::text, NULL::text, NULL::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, NULL::int,
              NULL::boolean, NULL::text, 'ok'::text, '{}'::text[])$$,
    'hash: ok, gaps NULL');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.ei'::regclass$$,
    $$VALUES ('pgtap_parts.ei'::regclass, 'range'::text, 0, NULL::regclass,
              NULL::boolean, NULL::text, NULL::text, NULL::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, 0,
              NULL::boolean, NULL::text, 'critical'::text,
              ARRAY['no partitions: every INSERT fails'])$$,
    'integer range without partitions: critical, partition_count 0');

SELECT results_eq(
    $$SELECT strategy, partition_count, default_partition, newest_upper_bound,
             oldest_lower_bound, covered_until, status
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.e'::regclass$$,
    $$VALUES ('range'::text, 0, NULL::regclass, NULL::text, NULL::text,
              NULL::timestamptz, 'critical'::text)$$,
    'timestamptz range without partitions: critical, partition_count 0, nothing covered');
SELECT is((SELECT problems[1] FROM lifeguard.partitions()
            WHERE parent = 'pgtap_parts.e'::regclass),
    'no partitions: every INSERT fails',
    'timestamptz range without partitions: the first problem says every INSERT fails');

SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.i'::regclass$$,
    $$VALUES ('pgtap_parts.i'::regclass, 'range'::text, 3, NULL::regclass,
              NULL::boolean, NULL::text, 'MAXVALUE'::text, 'MINVALUE'::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, 0,
              NULL::boolean, NULL::text, 'ok'::text, '{}'::text[])$$,
    'integer range MINVALUE .. MAXVALUE: bounds spelled out, no time columns');

-- Bounds are shown with the types' output functions, so in the session's
-- DateStyle: ISO here, for the literal below
SET LOCAL DateStyle = 'ISO, MDY';
SELECT results_eq(
    $$SELECT * FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.m'::regclass$$,
    $$VALUES ('pgtap_parts.m'::regclass, 'range'::text, 2, NULL::regclass,
              NULL::boolean, NULL::text, '(2, MINVALUE)'::text, '(1, 2020-01-01)'::text,
              NULL::timestamptz, NULL::interval, NULL::boolean, 0,
              NULL::boolean, NULL::text, 'ok'::text, '{}'::text[])$$,
    'two-column range: bounds as (a, b), no time columns');
SET LOCAL DateStyle TO DEFAULT;

SELECT results_eq(
    $$SELECT p.parent::text
        FROM lifeguard.partitions() WITH ORDINALITY AS p
       WHERE (SELECT relnamespace FROM pg_class WHERE oid = p.parent) = 'pgtap_parts'::regnamespace
       ORDER BY p.ordinality$$,
    $$VALUES ('pgtap_parts.dt'), ('pgtap_parts.e'), ('pgtap_parts.edge_eq'),
             ('pgtap_parts.edge_short'), ('pgtap_parts.ei'), ('pgtap_parts.g1'),
             ('pgtap_parts.g2'), ('pgtap_parts.h'), ('pgtap_parts.i'),
             ('pgtap_parts.l'), ('pgtap_parts.ln'), ('pgtap_parts.m'),
             ('pgtap_parts.r'), ('pgtap_parts.u')$$,
    'one row per partitioned table (partitions themselves are not listed), ordered by name');

-- lifeguard.partition_horizon (minutes, USERSET) moves the horizon
SET LOCAL lifeguard.partition_horizon = '3d';
SELECT results_eq(
    $$SELECT covered_until, horizon, premake_ok, status, problems
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.r'::regclass$$,
    $$SELECT d + interval '2 days', interval '3 days', false, 'warning'::text,
             ARRAY[format('partitions cover only until %s, less than now() + %s',
                          d + interval '2 days', interval '3 days')]
        FROM (SELECT date_trunc('day', now()) AS d) x$$,
    'partition_horizon 3d: the same table is a warning, covered only until the day after tomorrow');
SET LOCAL lifeguard.partition_horizon = '90min';
SELECT results_eq(
    $$SELECT horizon, premake_ok, status
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.r'::regclass$$,
    $$VALUES (interval '01:30:00', true, 'ok'::text)$$,
    'partition_horizon 90min: a horizon of 01:30:00, ok');
SET LOCAL lifeguard.partition_horizon TO DEFAULT;
SELECT is((SELECT horizon FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.r'::regclass),
    interval '1 day', 'partition_horizon back to its default of 1 day');

-- ---------------------------------------------------------------------------
-- lifeguard.partitions(): privileges
-- ---------------------------------------------------------------------------
CREATE ROLE pgtap_lg_plain;
CREATE ROLE pgtap_lg_monitor IN ROLE pg_monitor;

SET LOCAL ROLE pgtap_lg_plain;
SELECT throws_ok('SELECT * FROM lifeguard.partitions()', '42501',
    'permission denied for function partitions',
    'a role without pg_monitor cannot read partitions()');
RESET ROLE;

SET LOCAL ROLE pgtap_lg_monitor;
SELECT results_eq(
    $$SELECT status FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.r'::regclass$$,
    $$VALUES ('ok'::text)$$,
    'a pg_monitor member reads partitions()');
-- The probe reads the default partition, so it needs SELECT on it; without
-- it only the statistics are consulted, and they have not seen the row yet
SELECT results_eq(
    $$SELECT default_has_rows, default_checked_by, status
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.l'::regclass$$,
    $$VALUES (false, 'statistics'::text, 'ok'::text)$$,
    'without SELECT on the default partition, a pg_monitor member gets the statistics only');
RESET ROLE;
GRANT SELECT ON pgtap_parts.l_default TO pgtap_lg_monitor;
SET LOCAL ROLE pgtap_lg_monitor;
SELECT results_eq(
    $$SELECT default_has_rows, default_checked_by, status
        FROM lifeguard.partitions() WHERE parent = 'pgtap_parts.l'::regclass$$,
    $$VALUES (true, 'probe'::text, 'critical'::text)$$,
    'with SELECT on the default partition, a pg_monitor member gets the probe');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Jobs: registration through lifeguard.jobs
-- ---------------------------------------------------------------------------
SELECT lives_ok(
    $$INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
      VALUES ('pgtap.job-1', 'custom', '1 hour', '6 hours')$$,
    'a job is registered by an INSERT into lifeguard.jobs');
SELECT results_eq(
    $$SELECT name, kind, expected_every, escalate_after, owner::text, comment,
             registered_at, last_started, last_succeeded, last_failed,
             last_error, consecutive_failures, status
        FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES ('pgtap.job-1'::text, 'custom'::text, interval '1 hour', interval '6 hours',
              current_user::text COLLATE "default", NULL::text, now(), NULL::timestamptz,
              NULL::timestamptz, NULL::timestamptz, NULL::text, 0, 'ok'::text)$$,
    'a new job: owned by its registrant, registered now(), no history, status ok');
SELECT lives_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap:defaults', '1 day')$$,
    'kind and escalate_after may be left out');
SELECT results_eq(
    $$SELECT kind, escalate_after FROM lifeguard.jobs WHERE name = 'pgtap:defaults'$$,
    $$VALUES ('custom'::text, interval '24 hours')$$,
    'kind defaults to custom, escalate_after to 24 hours');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap.job-1', '1 hour')$$,
    '23505', NULL, 'a job name is registered once');

SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('bad name', '1 hour')$$,
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_name_check"',
    'a job name with a space is refused');
SELECT throws_ok(
    format($$INSERT INTO lifeguard.jobs (name, expected_every) VALUES (%L, '1 hour')$$, repeat('n', 64)),
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_name_check"',
    'a job name of 64 characters is refused');
SELECT lives_ok(
    format($$INSERT INTO lifeguard.jobs (name, expected_every) VALUES (%L, '1 hour')$$, repeat('n', 63)),
    'a job name of 63 characters is accepted');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap_neg', '-1 hour')$$,
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_expected_every_check"',
    'a negative expected_every is refused');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap_long', '367 days')$$,
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_expected_every_check"',
    'an expected_every over 366 days is refused');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap_null', NULL)$$,
    '23502', NULL, 'expected_every is required');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, kind, expected_every) VALUES ('pgtap_kind', 'cron', '1 hour')$$,
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_kind_check"',
    'an unknown kind is refused');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every, escalate_after) VALUES ('pgtap_esc', '1 hour', '0')$$,
    '23514', 'new row for relation "job_registry" violates check constraint "jobs_escalate_after_check"',
    'an escalate_after of 0 is refused');

-- ---------------------------------------------------------------------------
-- Jobs: the heartbeat API, happy path
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE pgtap_ids (step text PRIMARY KEY, id bigint);
GRANT ALL ON pgtap_ids TO PUBLIC;

INSERT INTO pgtap_ids SELECT 'start1', lifeguard.job_start('pgtap.job-1');
SELECT results_eq(
    $$SELECT source, status, attempts, error, run_by::text,
             started_at IS NOT NULL, finished_at IS NULL, cron_runid
        FROM lifeguard.job_runs WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'start1')$$,
    $$VALUES ('heartbeat'::text, 'running'::text, 0, NULL::text, current_user::text,
              true, true, NULL::bigint)$$,
    'job_start returns the run_id of a new running heartbeat run');
SELECT results_eq(
    $$SELECT last_started IS NOT NULL, last_succeeded, consecutive_failures, status
        FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES (true, NULL::timestamptz, 0, 'ok'::text)$$,
    'job_start sets last_started only');

INSERT INTO pgtap_ids SELECT 'success1', lifeguard.job_success('pgtap.job-1');
SELECT is((SELECT id FROM pgtap_ids WHERE step = 'success1'),
          (SELECT id FROM pgtap_ids WHERE step = 'start1'),
    'job_success finishes the running run and returns its run_id');
SELECT results_eq(
    $$SELECT status, attempts, error, finished_at >= started_at
        FROM lifeguard.job_runs WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'start1')$$,
    $$VALUES ('succeeded'::text, 1, NULL::text, true)$$,
    'the run is succeeded, one attempt, no error');
SELECT results_eq(
    $$SELECT last_succeeded >= now(), last_failed, last_error, consecutive_failures, status
        FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES (true, NULL::timestamptz, NULL::text, 0, 'ok'::text)$$,
    'job_success sets last_succeeded; the job is ok');

INSERT INTO pgtap_ids SELECT 'start2', lifeguard.job_start('pgtap.job-1');
INSERT INTO pgtap_ids SELECT 'failure2', lifeguard.job_failure('pgtap.job-1', 'disk full');
SELECT is((SELECT id FROM pgtap_ids WHERE step = 'failure2'),
          (SELECT id FROM pgtap_ids WHERE step = 'start2'),
    'job_failure finishes the running run and returns its run_id');
SELECT results_eq(
    $$SELECT status, attempts, error, finished_at IS NOT NULL
        FROM lifeguard.job_runs WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'start2')$$,
    $$VALUES ('failed'::text, 1, 'disk full'::text, true)$$,
    'the run is failed with the error given');
SELECT results_eq(
    $$SELECT last_failed IS NOT NULL, last_error, consecutive_failures, status
        FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES (true, 'disk full'::text, 1, 'failing'::text)$$,
    'after a failure the job is failing, one consecutive failure');

-- A failure with no run started: a new finished run of its own
INSERT INTO pgtap_ids SELECT 'failure3', lifeguard.job_failure('pgtap.job-1', '');
SELECT results_eq(
    $$SELECT source, status, started_at, error
        FROM lifeguard.job_runs WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'failure3')$$,
    $$VALUES ('heartbeat'::text, 'failed'::text, NULL::timestamptz, ''::text)$$,
    'job_failure without job_start records a failed run with no start (an empty error is allowed)');
SELECT results_eq(
    $$SELECT last_error, consecutive_failures, status FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES (''::text, 2, 'failing'::text)$$,
    'two consecutive failures');

INSERT INTO pgtap_ids SELECT 'success4', lifeguard.job_success('pgtap.job-1');
SELECT results_eq(
    $$SELECT last_error, consecutive_failures, status FROM lifeguard.jobs WHERE name = 'pgtap.job-1'$$,
    $$VALUES (NULL::text, 0, 'ok'::text)$$,
    'a success clears the failures and the error');
SELECT results_eq(
    $$SELECT status, started_at FROM lifeguard.job_runs
       WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'success4')$$,
    $$VALUES ('succeeded'::text, NULL::timestamptz)$$,
    'job_success without job_start records a succeeded run with no start');
SELECT results_eq(
    $$SELECT status, count(*)::int FROM lifeguard.job_runs
       WHERE job_name = 'pgtap.job-1' GROUP BY status ORDER BY status$$,
    $$VALUES ('failed'::text, 2), ('succeeded'::text, 2)$$,
    'four runs recorded for the job, none left running');

-- ---------------------------------------------------------------------------
-- Job status: lifeguard.job_status() at explicit times
-- (expected_every 1 hour, escalate_after 6 hours unless said otherwise)
-- ---------------------------------------------------------------------------
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 0,
                               '2026-01-01 02:00+00'),
    'ok', 'ok at exactly 2 x expected_every since the last success');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 0,
                               '2026-01-01 02:00:00.000001+00'),
    'late', 'late just past 2 x expected_every');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 1,
                               '2026-01-01 00:30+00'),
    'failing', 'failing as soon as a failure follows the last success');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 1,
                               '2026-01-01 03:00+00'),
    'failing', 'failing takes precedence over late');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 0,
                               '2026-01-01 06:00+00'),
    'late', 'still late at exactly escalate_after');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 0,
                               '2026-01-01 06:00:00.000001+00'),
    'escalated', 'escalated just past escalate_after');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 3,
                               '2026-01-01 06:00+00'),
    'failing', 'failing at exactly escalate_after');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 3,
                               '2026-01-01 06:00:01+00'),
    'escalated', 'escalated takes precedence over failing');
SELECT is(lifeguard.job_status('1 hour', '30 minutes', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 1,
                               '2026-01-01 02:00+00'),
    'failing', 'escalate_after below 2 x expected_every: not escalated before 2 x expected_every');
SELECT is(lifeguard.job_status('1 hour', '30 minutes', '2026-01-01 00:00+00', '2026-01-01 00:00+00', 1,
                               '2026-01-01 02:00:01+00'),
    'escalated', 'escalate_after below 2 x expected_every: escalated past 2 x expected_every');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', NULL, 0,
                               '2026-01-01 02:00:01+00'),
    'late', 'never succeeded: counted from registered_at');
SELECT is(lifeguard.job_status('1 hour', '6 hours', '2026-01-01 00:00+00', '2026-01-01 05:00+00', 0,
                               '2026-01-01 06:00:01+00'),
    'ok', 'a recent success counts, not registered_at');

-- The view computes status at now(): a job registered long enough ago
SELECT lives_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every, escalate_after, registered_at)
      VALUES ('pgtap_late', '1 hour', '6 hours', now() - interval '2 hours 1 second'),
             ('pgtap_escalated', '1 hour', '6 hours', now() - interval '6 hours 1 second'),
             ('pgtap_fresh', '1 hour', '6 hours', now() - interval '2 hours')$$,
    'jobs registered in the past');
SELECT results_eq(
    $$SELECT name, status FROM lifeguard.jobs
       WHERE name IN ('pgtap_late', 'pgtap_escalated', 'pgtap_fresh') ORDER BY name$$,
    $$VALUES ('pgtap_escalated'::text, 'escalated'::text), ('pgtap_fresh', 'ok'), ('pgtap_late', 'late')$$,
    'lifeguard.jobs computes status at now()');

-- ---------------------------------------------------------------------------
-- Jobs: bad arguments
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT lifeguard.job_start(NULL)$$, '22004',
    'job_name must not be NULL', 'job_start(NULL) is refused');
SELECT throws_ok($$SELECT lifeguard.job_success(NULL)$$, '22004',
    'job_name must not be NULL', 'job_success(NULL) is refused');
SELECT throws_ok($$SELECT lifeguard.job_failure(NULL, 'x')$$, '22004',
    'job_name must not be NULL', 'job_failure(NULL, ...) is refused');
SELECT throws_ok($$SELECT lifeguard.job_start('')$$, '22023',
    'job_name must not be empty', 'job_start('''') is refused');
SELECT throws_ok($$SELECT lifeguard.job_success('')$$, '22023',
    'job_name must not be empty', 'job_success('''') is refused');
SELECT throws_ok($$SELECT lifeguard.job_start('pgtap_no_such_job')$$, '42704',
    'job "pgtap_no_such_job" is not registered', 'job_start of an unknown job is refused');
SELECT throws_ok($$SELECT lifeguard.job_success('pgtap_no_such_job')$$, '42704',
    'job "pgtap_no_such_job" is not registered', 'job_success of an unknown job is refused');
SELECT throws_ok($$SELECT lifeguard.job_failure('pgtap_no_such_job', 'x')$$, '42704',
    'job "pgtap_no_such_job" is not registered', 'job_failure of an unknown job is refused');
SELECT throws_ok($$SELECT lifeguard.job_failure('pgtap.job-1', NULL)$$, '22004',
    'error must not be NULL', 'job_failure with a NULL error is refused');

-- run_maintenance checks its arguments before anything else
SELECT throws_ok($$CALL lifeguard.run_maintenance(NULL, 'SELECT 1')$$, '22004',
    'job_name must not be NULL', 'run_maintenance: NULL job_name');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', NULL)$$, '22004',
    'command must not be NULL', 'run_maintenance: NULL command');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', '')$$, '22023',
    'command must not be empty', 'run_maintenance: empty command');
SELECT throws_ok(format('CALL lifeguard.run_maintenance(%L, %L)', 'pgtap.job-1', E' \t\r\n '), '22023',
    'command must not be empty', 'run_maintenance: a command of white space only');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', lock_timeout => '0')$$, '22023',
    'lock_timeout must be between 1 millisecond and 1 hour', 'run_maintenance: lock_timeout 0');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', lock_timeout => '2h')$$, '22023',
    'lock_timeout must be between 1 millisecond and 1 hour', 'run_maintenance: lock_timeout 2h');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', lock_timeout => NULL)$$, '22004',
    'lock_timeout must not be NULL', 'run_maintenance: NULL lock_timeout');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', retries => -1)$$, '22023',
    'retries must be between 0 and 100', 'run_maintenance: retries -1');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', retries => 101)$$, '22023',
    'retries must be between 0 and 100', 'run_maintenance: retries 101');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', retries => NULL)$$, '22004',
    'retries must not be NULL', 'run_maintenance: NULL retries');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', statement_timeout => '0.5s')$$, '22023',
    'statement_timeout must be between 1 second and 1 day', 'run_maintenance: statement_timeout 0.5s');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', statement_timeout => '1 day 1 second')$$, '22023',
    'statement_timeout must be between 1 second and 1 day', 'run_maintenance: statement_timeout over 1 day');

-- pgTAP runs this whole file inside one transaction (and throws_ok runs the
-- statement from a PL/pgSQL function), so a CALL of run_maintenance here
-- always takes the "inside a transaction block" path: 25001.  Its real runs
-- (commits per attempt, retries) need a CALL outside a transaction and are
-- tested by the Perl TAP tests.  With arguments at the edges of their
-- ranges, this error (not 22023) shows that the arguments were accepted.
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1')$$, '25001',
    'lifeguard.run_maintenance cannot run inside a transaction block',
    'run_maintenance inside a transaction block is refused');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', '1ms', 0, '1s')$$, '25001',
    'lifeguard.run_maintenance cannot run inside a transaction block',
    'run_maintenance accepts lock_timeout 1ms, retries 0, statement_timeout 1s');
SELECT throws_ok($$CALL lifeguard.run_maintenance('pgtap.job-1', 'SELECT 1', '1h', 100, '1 day')$$, '25001',
    'lifeguard.run_maintenance cannot run inside a transaction block',
    'run_maintenance accepts lock_timeout 1h, retries 100, statement_timeout 1 day');
SELECT is((SELECT count(*)::int FROM lifeguard.job_runs WHERE source = 'run_maintenance'),
    0, 'a refused run_maintenance records no run');

-- ---------------------------------------------------------------------------
-- Jobs: privileges
-- ---------------------------------------------------------------------------
CREATE ROLE pgtap_lg_job_owner;
CREATE ROLE pgtap_lg_job_member IN ROLE pgtap_lg_job_owner;
CREATE ROLE pgtap_lg_deployer;
-- the documented grant for a role that registers jobs
GRANT INSERT (name, kind, expected_every, escalate_after, comment),
      UPDATE (kind, expected_every, escalate_after, comment), DELETE
   ON lifeguard.jobs TO pgtap_lg_deployer;
INSERT INTO lifeguard.jobs (name, expected_every, owner)
VALUES ('pgtap_owned', '1 hour', 'pgtap_lg_job_owner');

-- Not the owner, not superuser: even pg_monitor is not enough
SET LOCAL ROLE pgtap_lg_monitor;
SELECT throws_ok($$SELECT lifeguard.job_start('pgtap_owned')$$, '42501',
    'permission denied for job "pgtap_owned"', 'a role that is not the job''s owner cannot call job_start');
SELECT throws_ok($$SELECT lifeguard.job_success('pgtap_owned')$$, '42501',
    'permission denied for job "pgtap_owned"', 'a role that is not the job''s owner cannot call job_success');
SELECT throws_ok($$SELECT lifeguard.job_failure('pgtap_owned', 'x')$$, '42501',
    'permission denied for job "pgtap_owned"', 'a role that is not the job''s owner cannot call job_failure');
RESET ROLE;

-- The owner, with no privilege on any table, reports its runs
SET LOCAL ROLE pgtap_lg_job_owner;
INSERT INTO pgtap_ids SELECT 'owner_start', lifeguard.job_start('pgtap_owned');
SELECT isnt((SELECT id FROM pgtap_ids WHERE step = 'owner_start'), NULL::bigint,
    'the job''s owner (no table privileges) calls job_start');
SELECT is(lifeguard.job_success('pgtap_owned'), (SELECT id FROM pgtap_ids WHERE step = 'owner_start'),
    'the job''s owner calls job_success');
SELECT throws_ok($$SELECT * FROM lifeguard.job_runs$$, '42501',
    'permission denied for table job_runs', 'the job''s owner cannot read job_runs directly');
SELECT throws_ok($$INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('pgtap_x', '1 hour')$$, '42501',
    'permission denied for view jobs', 'a non-superuser without grants cannot register a job');
SELECT throws_ok($$UPDATE lifeguard.jobs SET last_succeeded = now() WHERE name = 'pgtap_owned'$$, '42501',
    'permission denied for view jobs', 'a non-superuser without grants cannot set last_succeeded');
SELECT throws_ok($$UPDATE lifeguard.job_registry SET last_succeeded = now() WHERE name = 'pgtap_owned'$$, '42501',
    'permission denied for table job_registry', 'nor through lifeguard.job_registry');
SELECT throws_ok($$INSERT INTO lifeguard.job_runs (job_name, source, status) VALUES ('pgtap_owned', 'heartbeat', 'succeeded')$$, '42501',
    'permission denied for table job_runs', 'nor write a run directly');
RESET ROLE;
SELECT results_eq(
    $$SELECT status, run_by::text COLLATE "default" FROM lifeguard.job_runs
       WHERE run_id = (SELECT id FROM pgtap_ids WHERE step = 'owner_start')$$,
    $$VALUES ('succeeded'::text, 'pgtap_lg_job_owner'::text)$$,
    'the owner''s run is recorded, run_by the owner');
SELECT results_eq(
    $$SELECT last_succeeded IS NOT NULL, consecutive_failures, status FROM lifeguard.jobs WHERE name = 'pgtap_owned'$$,
    $$VALUES (true, 0, 'ok'::text)$$,
    'the owner''s success is in the job''s state');

-- A member of the owner role has its privileges
SET LOCAL ROLE pgtap_lg_job_member;
SELECT lives_ok($$SELECT lifeguard.job_failure('pgtap_owned', 'from a member')$$,
    'a member of the job''s owner role calls job_failure');
RESET ROLE;

-- The documented registration grant: may register, may not write state
SET LOCAL ROLE pgtap_lg_deployer;
SELECT lives_ok(
    $$INSERT INTO lifeguard.jobs (name, kind, expected_every) VALUES ('pgtap_deployed', 'custom', '1 hour')$$,
    'a role with the documented grants registers a job');
SELECT throws_ok($$UPDATE lifeguard.jobs SET last_succeeded = now() WHERE name = 'pgtap_deployed'$$, '42501',
    'permission denied for view jobs', 'it cannot set last_succeeded');
SELECT throws_ok(
    $$INSERT INTO lifeguard.jobs (name, expected_every, owner) VALUES ('pgtap_steal', '1 hour', 'pgtap_lg_job_owner')$$,
    '42501', 'permission denied for view jobs', 'it cannot register a job for another owner');
SELECT lives_ok($$SELECT lifeguard.job_start('pgtap_deployed')$$,
    'it reports runs of the job it registered');
RESET ROLE;
SELECT is((SELECT owner::text FROM lifeguard.jobs WHERE name = 'pgtap_deployed'),
    'pgtap_lg_deployer', 'a job is owned by the role that registered it');

SELECT * FROM finish();
ROLLBACK;
