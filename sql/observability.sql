--
-- Observability: lifeguard.metrics(), lifeguard.report(), lifeguard.events.
-- (The strict exposition-format check, the events the worker writes and the
-- HTTP endpoint are tested in test/t/040..043.)
--
CREATE ROLE lg_obs_plain;
CREATE ROLE lg_obs_monitor IN ROLE pg_monitor;
-- report()'s errors come from PL/pgSQL: no line numbers in the expected output
\set SHOW_CONTEXT never

-- Pinned shape of the events table
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
FROM pg_attribute
WHERE attrelid = 'lifeguard.events'::regclass AND attnum > 0
ORDER BY attnum;
SELECT pg_get_function_result('lifeguard.metrics'::regproc) AS metrics_result,
       pg_get_function_arguments('lifeguard.report'::regproc) AS report_args,
       pg_get_function_result('lifeguard.report'::regproc) AS report_result;

-- Without pg_monitor: a clear error for each, no data
SET ROLE lg_obs_plain;
SELECT lifeguard.metrics();
SELECT * FROM lifeguard.report();
SELECT count(*) FROM lifeguard.events;
RESET ROLE;

-- With pg_monitor: readable; only the worker writes the table
SET ROLE lg_obs_monitor;
SELECT length(lifeguard.metrics()) > 0 AS metrics_readable;
SELECT count(*) > 0 AS report_readable FROM lifeguard.report();
SELECT count(*) >= 0 AS events_readable FROM lifeguard.events;
INSERT INTO lifeguard.events (event_time, seq, kind, severity, detail)
VALUES (now(), 1, 'slot_ok', 'info', '{}');
DELETE FROM lifeguard.events;
RESET ROLE;

-- Bad arguments
SELECT * FROM lifeguard.report(NULL);
SELECT * FROM lifeguard.report(-1);
SELECT * FROM lifeguard.report(1001);

-- The metrics: one HELP and one TYPE line per family, every sample's family
-- declared, and the figures agree with lifeguard.slots() and the settings
CREATE TEMP TABLE m AS
SELECT ord, line
FROM regexp_split_to_table(lifeguard.metrics(), E'\n') WITH ORDINALITY AS t(line, ord);
SELECT count(*) FILTER (WHERE line LIKE '# HELP %') AS help_lines,
       count(*) FILTER (WHERE line LIKE '# TYPE %') AS type_lines,
       count(DISTINCT split_part(line, ' ', 3)) FILTER (WHERE line LIKE '# TYPE %') AS families,
       count(*) FILTER (WHERE line = '') AS empty_lines
FROM m;
SELECT split_part(line, ' ', 4) AS type, count(*) AS families
FROM m WHERE line LIKE '# TYPE %' GROUP BY 1 ORDER BY 1;
SELECT regexp_replace(line, '[ {].*', '') AS undeclared
FROM m
WHERE line NOT LIKE '#%' AND line <> ''
  AND regexp_replace(line, '[ {].*', '') NOT IN
      (SELECT split_part(line, ' ', 3) FROM m WHERE line LIKE '# TYPE %');
SELECT (SELECT split_part(line, ' ', 2)::int FROM m
         WHERE line LIKE 'pg_lifeguard_slots_max %') = current_setting('max_connections')::int
           AS slots_max_matches,
       (SELECT split_part(line, ' ', 2)::int FROM m
         WHERE line LIKE 'pg_lifeguard_slots_reserved{for="admin"} %') = 2 AS admin_reserve_matches,
       (SELECT count(*) FROM m WHERE line LIKE 'pg_lifeguard_events_total{%') AS event_kinds,
       (SELECT count(*) FROM m WHERE line LIKE 'pg_lifeguard_actions_total{%') AS action_kinds,
       (SELECT split_part(line, ' ', 2)::int FROM m
         WHERE line LIKE 'pg_lifeguard_worker_up %') AS worker_up;
-- This session is counted, under its own role, database and application
SET application_name = 'obs "quoted" \app';
SELECT line FROM regexp_split_to_table(lifeguard.metrics(), E'\n') AS line
WHERE line LIKE 'pg_lifeguard_application_sessions{application_name="obs%';

-- Bounded cardinality: 22 more sessions with 22 application names show as
-- the 20 largest groups and "(other)"; an application really named
-- "(other)" (this session) is counted with the rest, so no series repeats
SELECT count(dblink_connect('obs' || g, 'dbname=' || current_database() ||
                            ' application_name=obs-app-' || g)) AS opened
FROM generate_series(1, 22) g;
SET application_name = '(other)';
SELECT count(*) AS application_series,
       count(*) FILTER (WHERE line LIKE '%application_name="(other)"}%') AS other_series,
       sum(split_part(line, ' ', 2)::int) = (SELECT used FROM lifeguard.slots()) AS all_counted
FROM regexp_split_to_table(lifeguard.metrics(), E'\n') AS line
WHERE line LIKE 'pg_lifeguard_application_sessions{%';
RESET application_name;
SELECT count(dblink_disconnect('obs' || g)) AS closed FROM generate_series(1, 22) g;

-- The report: every section, in order
SELECT regexp_replace(line, ':.*', '') AS section
FROM lifeguard.report(0) AS line
WHERE line ~ '^(Slots|Top consumers|Blocking chains|Longest running|Partitioned tables|Maintenance jobs|Worker|Last)';
SELECT count(*) BETWEEN 1 AND 3 AS last_three_events
FROM (SELECT line FROM lifeguard.report(3) AS line) r
WHERE line ~ '^  \d\d:\d\d:\d\d ';

DROP ROLE lg_obs_plain, lg_obs_monitor;
