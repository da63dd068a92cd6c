# shellcheck shell=bash
#
# bench/suites/partitions.sh - what reading partition health costs, against
# the catalog query a DBA would write to get the same answers.
#
# One cluster, max_connections 100, max_locks_per_transaction 256 (see T
# below), pg_lifeguard preloaded.  The data lives in its own database,
# lg_parts, where the extension is created; the worker stays in `postgres`
# (lifeguard.database), so its periodic checks never read these tables.
# In lg_parts, PART_TABLES (50) tables bench.events_NN, each
# `PARTITION BY RANGE (ts timestamptz)` with a DEFAULT partition and
# PART_PER_TABLE (400) daily partitions from current_date - 300 on, all
# empty (one transaction per table).  So that the answers differ between
# tables, some days are left out (holes), and some default partitions get a
# row (table number t):
#
#   t % 3 = 1       one hole in the past (day 100 + t)
#   t % 3 = 2       two holes in the past (days 50 + t and 100 + t)
#   t % 10 = 0      a hole today: nothing but the default covers now()
#   t % 10 = 5      a hole tomorrow: covered only until tomorrow 00:00,
#                   short of the 1-day horizon
#   t % 7 = 0       one row in the default partition (a far-future ts)
#
# For 50 tables that is 61 gaps, 5 tables with nothing covering now(), 10
# with premake_ok false and 7 defaults holding a row; the suite checks that
# lifeguard.partitions() reports exactly that, and that both SQL queries
# below return the same rows as lifeguard.partitions() (parent,
# partition_count, default_partition, default_has_rows, oldest/newest
# bound, covered_until, premake_ok, gaps, status), before measuring.  Then
# ANALYZE and VACUUM FREEZE of lg_parts (catalogs included), so autovacuum
# has nothing to do during the rounds.
#
# Arms, interleaved in the same rounds (rotated each round), each query in a
# loop by `pgbench -n -c 1 -j 1 -T PARTITIONS_SECONDS` as superuser over the
# Unix socket, in lg_parts:
#
#   A    the DBA's query (part_query inherits, below): partitions from
#        pg_inherits, pg_get_expr(relpartbound) parsed with regexp_match and
#        cast to timestamptz, gaps with lag(), the run of contiguous
#        partitions holding now() with window sums, and the default
#        partition probed with EXISTS (SELECT 1 FROM default) through
#        query_to_xml() (dynamic SQL in a single statement).  It handles
#        single-column date/timestamp/timestamptz range keys only (all the
#        tables here); lifeguard.partitions() handles every kind.
#   B    SELECT * FROM lifeguard.partitions()
#   A2   A again: the noise floor of A
#   B2   B again: the noise floor of B (partitions() A/A)
#   T    the same query with the partitions found by pg_partition_tree()
#        instead of pg_inherits (part_query tree), as the issue words it.
#        pg_partition_tree() takes AccessShareLock on every partition: with
#        20,050 partitions and the default max_locks_per_transaction (64)
#        it fails with "out of shared memory", hence 256 on this cluster.
#
# B/A > 1 means lifeguard.partitions() answers faster.  No goal is set.
#
# Note on the default-partition check: lifeguard.partitions() reads the
# statistics first (n_live_tup, else reltuples) and probes the table only
# when they say empty (43 of 50 here); the SQL probes every default
# partition with EXISTS, which is what answers the question for sure.
#
# Settings: LIFEGUARD_BENCH_PARTITIONS_SECONDS (2), LIFEGUARD_BENCH_PARTITIONS_ROUNDS (5).
# With the defaults the suite takes about 90 s (86 s measured).

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register partitions 65 "partition health: lifeguard.partitions() vs the pg_inherits/pg_get_expr catalog query, 50 tables x 400 daily partitions"

PART_TABLES=50
PART_PER_TABLE=400
PART_SECONDS=2
PART_DB=lg_parts
declare -gA PART_SCRIPT=()      # arm -> pgbench script file

# part_setup_sql  - the DO block creating the tables (one COMMIT per table).
part_setup_sql() {
	cat <<EOF
DO \$\$
DECLARE
  t int; d int; made int; nm text; holes int[];
  start date := current_date - 300;
BEGIN
  FOR t IN 1..$PART_TABLES LOOP
    holes := '{}';
    IF t % 3 >= 1 THEN holes := holes || (100 + t); END IF;
    IF t % 3 = 2 THEN holes := holes || (50 + t); END IF;
    IF t % 10 = 0 THEN holes := holes || 300; END IF;
    IF t % 10 = 5 THEN holes := holes || 301; END IF;
    nm := format('bench.events_%s', lpad(t::text, 2, '0'));
    EXECUTE format('CREATE TABLE %s (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)', nm);
    EXECUTE format('CREATE TABLE %s_default PARTITION OF %s DEFAULT', nm, nm);
    made := 0; d := 0;
    WHILE made < $PART_PER_TABLE LOOP
      IF NOT d = ANY (holes) THEN
        EXECUTE format('CREATE TABLE %s_p%s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                       nm, to_char(start + d, 'YYYYMMDD'), nm,
                       (start + d)::timestamptz, (start + d + 1)::timestamptz);
        made := made + 1;
      END IF;
      d := d + 1;
    END LOOP;
    IF t % 7 = 0 THEN
      EXECUTE format('INSERT INTO %s VALUES (%L, 1)', nm, (start + 2000)::timestamptz);
    END IF;
    COMMIT;
  END LOOP;
END
\$\$;
EOF
}

# part_query inherits|tree  - the DBA's query, partitions found through
# pg_inherits or through pg_partition_tree().  Same columns as
# lifeguard.partitions() minus strategy, default_checked_by, horizon,
# retention_overdue, managed_by and problems; the horizon is the default
# lifeguard.partition_horizon, 1 day.
part_query() {
	local parts
	if [[ $1 == tree ]]; then
		parts="  SELECT t.parent, pt.relid AS part,
         pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM tables AS t
  CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.parent) AS pt
  JOIN pg_catalog.pg_class AS c ON c.oid = pt.relid
  WHERE pt.parentrelid = t.parent"
	else
		parts="  SELECT t.parent, i.inhrelid AS part,
         pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM tables AS t
  JOIN pg_catalog.pg_inherits AS i ON i.inhparent = t.parent AND NOT i.inhdetachpending
  JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid"
	fi
	cat <<EOF
WITH tables AS (
  SELECT p.partrelid AS parent, p.partdefid
  FROM pg_catalog.pg_partitioned_table AS p
  JOIN pg_catalog.pg_attribute AS a
    ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
  WHERE p.partstrat = 'r' AND p.partnatts = 1
    AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
), parts AS (
$parts
), ranges AS (
  SELECT parts.parent,
         CASE m[1] WHEN 'MINVALUE' THEN '-infinity' WHEN 'MAXVALUE' THEN 'infinity'
              ELSE pg_catalog.btrim(m[1], '''') END::timestamptz AS lo,
         CASE m[2] WHEN 'MINVALUE' THEN '-infinity' WHEN 'MAXVALUE' THEN 'infinity'
              ELSE pg_catalog.btrim(m[2], '''') END::timestamptz AS hi
  FROM parts,
       LATERAL pg_catalog.regexp_match(parts.bound, '^FOR VALUES FROM \((.+)\) TO \((.+)\)\$') AS m
), runs AS (
  SELECT parent, lo, hi, prev_hi,
         sum(CASE WHEN prev_hi = lo THEN 0 ELSE 1 END)
           OVER (PARTITION BY parent ORDER BY lo) AS run
  FROM (SELECT ranges.*, lag(hi) OVER (PARTITION BY parent ORDER BY lo) AS prev_hi
        FROM ranges) AS r
), marked AS (
  SELECT runs.*,
         max(run) FILTER (WHERE lo <= now() AND now() < hi)
           OVER (PARTITION BY parent) AS now_run
  FROM runs
), per_table AS (
  SELECT parent, min(lo) AS oldest, max(hi) AS newest,
         count(*) FILTER (WHERE prev_hi < lo) AS gaps,
         max(hi) FILTER (WHERE run = now_run) AS covered_until
  FROM marked
  GROUP BY parent
), counts AS (
  SELECT parent, count(*) AS partition_count FROM parts GROUP BY parent
), result AS (
  SELECT t.parent::regclass AS parent,
         coalesce(c.partition_count, 0) AS partition_count,
         nullif(t.partdefid, 0)::regclass AS default_partition,
         CASE WHEN t.partdefid <> 0 THEN
           (pg_catalog.xpath('/row/x/text()',
              pg_catalog.query_to_xml(pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s) AS x',
                                                        t.partdefid::regclass),
                                      false, true, '')))[1]::text::boolean
         END AS default_has_rows,
         pt.oldest::text AS oldest_lower_bound,
         pt.newest::text AS newest_upper_bound,
         pt.covered_until,
         coalesce(pt.covered_until >= now() + interval '1 day', false) AS premake_ok,
         coalesce(pt.gaps, 0)::int AS gaps
  FROM tables AS t
  LEFT JOIN counts AS c ON c.parent = t.parent
  LEFT JOIN per_table AS pt ON pt.parent = t.parent
)
SELECT *,
       CASE WHEN partition_count = 0 OR default_has_rows OR covered_until IS NULL THEN 'critical'
            WHEN gaps > 0 OR NOT premake_ok THEN 'warning'
            ELSE 'ok' END AS status
FROM result
ORDER BY parent::text;
EOF
}

# part_compare VARIANT  - print "EXT SQL EXT_ONLY SQL_ONLY": the rows of
# lifeguard.partitions() and of the query, and how many of each are not
# in the other (compared columns: those the query returns), in one
# statement, so that both see the same now().
part_compare() {
	local q cols
	q=$(part_query "$1")
	cols="parent, partition_count, default_partition, default_has_rows, oldest_lower_bound, newest_upper_bound, covered_until, premake_ok, gaps, status"
	bench_sql parts "$PART_DB" "WITH l AS (SELECT ${cols/partition_count/partition_count::bigint} FROM lifeguard.partitions()),
  s AS (SELECT $cols FROM (${q%;}) AS q)
SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM s),
       (SELECT count(*) FROM (TABLE l EXCEPT TABLE s) AS x),
       (SELECT count(*) FROM (TABLE s EXCEPT TABLE l) AS y)" | tr '|' ' '
}

part_run() {
	bench_pgbench "$2" -n -h "${BENCH_SOCK[parts]}" -p "${BENCH_PORT[parts]}" -U postgres \
		-c 1 -j 1 -T "$PART_SECONDS" -f "${PART_SCRIPT[$1]}" "$PART_DB"
}

suite_partitions() {
	local rounds start setup_s summary want variant n_ext n_sql ext_only sql_only
	local checked d am bm aa f f2 tm tmin tmax tn bt bt_min bt_max ta
	# five rounds (the minimum) keep the whole bench/run.sh under 15 minutes
	rounds=$(bench_env_int LIFEGUARD_BENCH_PARTITIONS_ROUNDS 5 1)
	PART_SECONDS=$(bench_env_int LIFEGUARD_BENCH_PARTITIONS_SECONDS 2 1)

	# shellcheck disable=SC2034  # read by bench_cluster (dynamic scope)
	local BENCH_CLUSTER_CONF=("max_locks_per_transaction = 256")
	lg_say "partitions: starting the cluster (max_connections 100, max_locks_per_transaction 256, preloaded)"
	bench_cluster parts 100 1 "CREATE DATABASE $PART_DB" || return 1
	bench_sql parts "$PART_DB" "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if ! [[ $(bench_sql parts "$PART_DB" "SELECT to_regprocedure('lifeguard.partitions()') IS NOT NULL") == t ]]; then
		lg_err "partitions: the installed $LG_EXTENSION has no lifeguard.partitions()"
		return 1
	fi

	lg_say "partitions: creating $PART_TABLES tables x ($PART_PER_TABLE daily partitions + default) in $PART_DB"
	start=$SECONDS
	bench_sql parts "$PART_DB" "CREATE SCHEMA bench" "$(part_setup_sql)" >/dev/null || return 1
	bench_sql parts "$PART_DB" "ANALYZE" "VACUUM (FREEZE)" >/dev/null || return 1
	setup_s=$((SECONDS - start))
	lg_info "partitions: created, analyzed and frozen in $setup_s s"

	# Check the setup: what the generator made, as lifeguard.partitions()
	# sees it ...
	want="$PART_TABLES $((PART_TABLES * (PART_PER_TABLE + 1))) 61 5 10 7"
	summary=$(bench_sql parts "$PART_DB" "SELECT count(*), sum(partition_count), sum(gaps),
		count(*) FILTER (WHERE covered_until IS NULL), count(*) FILTER (WHERE NOT premake_ok),
		count(*) FILTER (WHERE default_has_rows) FROM lifeguard.partitions()" | tr '|' ' ') || return 1
	checked=$(bench_sql parts "$PART_DB" "SELECT string_agg(k || ' ' || n, ', ' ORDER BY k) FROM
		(SELECT default_checked_by AS k, count(*) AS n FROM lifeguard.partitions() GROUP BY 1) AS c") || return 1
	lg_info "partitions: lifeguard.partitions(): tables, partitions, gaps, not covering now(), premake_ok false, defaults with rows: $summary (default checked by: $checked)"
	if [[ $summary != "$want" ]]; then
		lg_err "partitions: lifeguard.partitions() reports '$summary', expected '$want' (a run across midnight UTC moves now() to another partition)"
		return 1
	fi
	# ... and the same rows from both SQL queries.
	for variant in inherits tree; do
		read -r n_ext n_sql ext_only sql_only < <(part_compare "$variant") || return 1
		lg_info "partitions: SQL ($variant) vs lifeguard.partitions(): $n_sql and $n_ext rows, $sql_only and $ext_only not in the other"
		if ((n_ext != PART_TABLES || n_sql != PART_TABLES || ext_only != 0 || sql_only != 0)); then
			lg_err "partitions: the $variant query does not give the answers of lifeguard.partitions() ($n_sql vs $n_ext rows, $sql_only / $ext_only differ)"
			return 1
		fi
	done

	PART_SCRIPT=(
		[A]=$(bench_script parts-inherits.sql "$(part_query inherits)")
		[B]=$(bench_script parts-lifeguard.sql 'SELECT * FROM lifeguard.partitions();')
		[T]=$(bench_script parts-tree.sql "$(part_query tree)")
	)
	PART_SCRIPT[A2]=${PART_SCRIPT[A]}
	PART_SCRIPT[B2]=${PART_SCRIPT[B]}

	bench_report_begin partitions "partitions: partition health of $PART_TABLES tables x $PART_PER_TABLE daily partitions" \
		"cluster: max_connections 100, max_locks_per_transaction 256, shared_buffers 128MB, fsync off, $LG_EXTENSION preloaded; database $PART_DB (not the worker's) with $LG_EXTENSION created and $PART_TABLES empty tables \`PARTITION BY RANGE (ts timestamptz)\`, each with $PART_PER_TABLE daily partitions and a DEFAULT ($((PART_TABLES * (PART_PER_TABLE + 1))) partitions; created in $setup_s s, one transaction per table, then ANALYZE and VACUUM FREEZE)" \
		"setup checked before measuring: \`lifeguard.partitions()\` reports $PART_TABLES tables, 61 gaps, 5 tables where nothing covers now(), 10 with premake_ok false, 7 defaults holding a row (default checked by: $checked); both SQL queries return the same $PART_TABLES rows (parent, partition_count, default_partition, default_has_rows, oldest/newest bound, covered_until, premake_ok, gaps, status)" \
		"workload: each query in a loop, \`pgbench -n -c 1 -j 1 -T $PART_SECONDS -U postgres\` over the Unix socket; value = pgbench tps (queries per second, one session)" \
		"A = the DBA's catalog query (pg_inherits, \`pg_get_expr(relpartbound)\` parsed with \`regexp_match\`, gaps with \`lag()\`, coverage with window sums, every default probed with \`EXISTS\` through \`query_to_xml()\`; script parts-inherits.sql in the scratch directory, text in bench/suites/partitions.sh), B = \`SELECT * FROM lifeguard.partitions()\`, A2 = A again, B2 = B again, T = A with \`pg_partition_tree()\` instead of pg_inherits; rounds: $rounds, the five arms rotated each round; B/A > 1 means \`lifeguard.partitions()\` is faster"

	lg_say "partitions: $rounds rounds x 5 arms x ${PART_SECONDS} s"
	bench_interleave partitions "$rounds" "$PART_SECONDS" part_run A B A2 B2 T || return 1

	bench_table_header "queries/s"
	bench_row partitions "\`SELECT * FROM lifeguard.partitions()\` vs the pg_inherits + \`pg_get_expr\` query" -
	d=$BENCH_WORK/results/partitions
	# partitions() against itself, and against the pg_partition_tree() form.
	read -r aa _ < <(bench_stats "$d/B2" 2)
	read -r bm _ < <(bench_stats "$d/B" 2)
	read -r _ f f2 _ < <(bench_round_ratios "$d/B2" "$d/B")
	read -r tm tmin tmax tn < <(bench_stats "$d/T" 2)
	read -r _ bt_min bt_max _ < <(bench_round_ratios "$d/B" "$d/T")
	bt=$(bench_calc "$bm / $tm")
	read -r am _ < <(bench_stats "$d/A" 2)
	ta=$(bench_calc "$tm / $am")
	bench_report "" \
		"- partitions() A/A: B2 median $(bench_fmt "$aa" 2) queries/s, B2/B $(bench_fmt "$(bench_calc "$aa / $bm")" 3) (per-round $(bench_fmt "$f" 3)–$(bench_fmt "$f2" 3))" \
		"- T, the same query over \`pg_partition_tree()\`: median $(bench_fmt "$tm" 2) ($(bench_fmt "$tmin" 2)–$(bench_fmt "$tmax" 2)) queries/s in $tn rounds; B/T $(bench_fmt "$bt" 3) (per-round $(bench_fmt "$bt_min" 3)–$(bench_fmt "$bt_max" 3)); T/A $(bench_fmt "$ta" 3)" \
		"$(bench_latency_line partitions "partitions")"
	bench_report_end

	bench_stop parts
}
