# shellcheck shell=bash
#
# bench/suites/snapshot.sh - what reading the slot state costs, against the
# pg_stat_activity query an operator would run instead.
#
# One cluster, max_connections 1000, pg_lifeguard preloaded and created in
# `postgres`, with SNAPSHOT_CONNECTIONS sessions held open by background
# pgbench processes: 80% idle, 10% idle in transaction, 10% active (in
# pg_sleep), each class its own role.  Each query is run in a loop by
# `pgbench -n -c 1 -T QUERY_SECONDS` as superuser over the Unix socket:
#
#   slots    A = SELECT state, count(*) FROM pg_stat_activity GROUP BY state
#            B = SELECT * FROM lifeguard.slots()
#   usage    A = SELECT usename, count(*) FROM pg_stat_activity GROUP BY usename
#            B = SELECT * FROM lifeguard.slot_usage('role')
#
# A2 is A again (same query, same cluster): the noise floor.  B/A > 1
# means the pg_lifeguard function answers faster.  No goal is set; the
# figures are reported.
#
# Settings: LIFEGUARD_BENCH_QUERY_SECONDS (3),
# LIFEGUARD_BENCH_SNAPSHOT_CONNECTIONS (300), LIFEGUARD_BENCH_ROUNDS.

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register snapshot 100 "slot snapshot: lifeguard.slots()/slot_usage() vs pg_stat_activity at 300 connections"

QUERY_SECONDS=3
declare -gA SNAP_SCRIPT=()      # "CMP ARM" -> pgbench script file

# snapshot_arm_slots ARM LOG / snapshot_arm_usage ARM LOG  - run one query
# in a loop on the snapshot cluster.
snapshot_run() {
	bench_pgbench "$3" -n -h "${BENCH_SOCK[snap]}" -p "${BENCH_PORT[snap]}" -U postgres \
		-c 1 -j 1 -T "$QUERY_SECONDS" -f "${SNAP_SCRIPT[$1 $2]}" postgres
}
snapshot_arm_slots() { snapshot_run slots "$1" "$2"; }
snapshot_arm_usage() { snapshot_run usage "$1" "$2"; }

suite_snapshot() {
	local rounds conns n_idle n_itx n_active hold total slots_q usage_q standin=0
	rounds=$BENCH_ROUNDS
	QUERY_SECONDS=$(bench_env_int LIFEGUARD_BENCH_QUERY_SECONDS 3 1)
	conns=$(bench_env_int LIFEGUARD_BENCH_SNAPSHOT_CONNECTIONS 300 3)
	n_itx=$((conns / 10))
	n_active=$((conns / 10))
	n_idle=$((conns - n_itx - n_active))
	# The holders outlive the measurement with a margin; the cleanup kills
	# them earlier, and stopping the server ends them in any case.
	hold=$((2 * rounds * 3 * (QUERY_SECONDS + 2) + 300))

	lg_say "snapshot: starting the cluster (max_connections 1000, preloaded)"
	bench_cluster snap 1000 1 "CREATE ROLE lg_idle LOGIN" \
		"CREATE ROLE lg_idle_in_tx LOGIN" "CREATE ROLE lg_active LOGIN" || return 1
	bench_sql snap postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1

	slots_q='SELECT * FROM lifeguard.slots();'
	usage_q="SELECT * FROM lifeguard.slot_usage('role');"
	if ! bench_has_object snap "to_regprocedure('lifeguard.slots()')" ||
		! bench_has_object snap "to_regprocedure('lifeguard.slot_usage(text)')"; then
		if [[ $BENCH_STANDIN != 1 ]]; then
			lg_err "snapshot: the installed $LG_EXTENSION has no lifeguard.slots() or lifeguard.slot_usage(text)"
			lg_err "snapshot: build the connection-slots code first, or set LIFEGUARD_BENCH_STANDIN=1 to time stand-in functions"
			return 1
		fi
		standin=1
		slots_q='SELECT * FROM lifeguard.worker_status();'
		usage_q='SELECT * FROM lifeguard.recent_events();'
		BENCH_NOTES+=("STAND-IN RUN: lifeguard.slots() / slot_usage() do not exist in the installed extension; B timed \`$slots_q\` and \`$usage_q\` instead. These are not the issue-3 figures.")
	fi

	SNAP_SCRIPT=(
		["slots A"]=$(bench_script snap-state.sql 'SELECT state, count(*) FROM pg_stat_activity GROUP BY state;')
		["slots B"]=$(bench_script snap-slots.sql "$slots_q")
		["usage A"]=$(bench_script snap-usename.sql 'SELECT usename, count(*) FROM pg_stat_activity GROUP BY usename;')
		["usage B"]=$(bench_script snap-usage.sql "$usage_q")
	)
	SNAP_SCRIPT["slots A2"]=${SNAP_SCRIPT[slots A]}
	SNAP_SCRIPT["usage A2"]=${SNAP_SCRIPT[usage A]}

	lg_say "snapshot: opening $conns sessions ($n_idle idle, $n_itx idle in transaction, $n_active active)"
	bench_hold snap lg_idle "$n_idle" "$(bench_script hold-idle.sql "\\sleep $hold s")" "$hold"
	bench_hold snap lg_idle_in_tx "$n_itx" \
		"$(bench_script hold-idle-in-tx.sql 'BEGIN;' "\\sleep $hold s" 'END;')" "$hold"
	bench_hold snap lg_active "$n_active" "$(bench_script hold-active.sql "SELECT pg_sleep($hold);")" "$hold"
	bench_wait_sessions snap "usename IN ('lg_idle', 'lg_idle_in_tx', 'lg_active')" "$conns" 90 || return 1
	bench_wait_sessions snap "usename = 'lg_idle_in_tx' AND state = 'idle in transaction'" "$n_itx" 30 || return 1
	bench_wait_sessions snap "usename = 'lg_active' AND state = 'active'" "$n_active" 30 || return 1
	total=$(bench_sql snap postgres "SELECT count(*) FROM pg_stat_activity") || return 1

	bench_report_begin snapshot "snapshot: reading slot state at $conns connections" \
		"cluster: max_connections 1000, shared_buffers 128MB, fsync off, analyzed and frozen before measuring, $LG_EXTENSION preloaded and created; $conns sessions held open ($n_idle idle, $n_itx idle in transaction, $n_active active in pg_sleep; three roles), $total rows in pg_stat_activity when measuring" \
		"workload: each query in a loop, \`pgbench -n -c 1 -j 1 -T $QUERY_SECONDS -U postgres\` over the Unix socket; value = pgbench tps (queries per second, one session)" \
		"A = the pg_stat_activity query, B = the pg_lifeguard function, A2 = the A query again; rounds: $rounds, arms rotated each round; B/A > 1 means the pg_lifeguard function is faster"

	lg_say "snapshot: slots, $rounds rounds x 3 arms x ${QUERY_SECONDS} s"
	bench_interleave slots "$rounds" "$QUERY_SECONDS" snapshot_arm_slots A B A2 || return 1
	lg_say "snapshot: usage, $rounds rounds x 3 arms x ${QUERY_SECONDS} s"
	bench_interleave usage "$rounds" "$QUERY_SECONDS" snapshot_arm_usage A B A2 || return 1

	bench_table_header "queries/s"
	if ((standin)); then
		bench_row slots "STAND-IN: \`lifeguard.worker_status()\` vs state GROUP BY" -
		bench_row usage "STAND-IN: \`lifeguard.recent_events()\` vs usename GROUP BY" -
	else
		bench_row slots "\`lifeguard.slots()\` vs \`pg_stat_activity\` GROUP BY state" -
		bench_row usage "\`lifeguard.slot_usage('role')\` vs \`pg_stat_activity\` GROUP BY usename" -
	fi
	bench_report "" "$(bench_latency_line slots "slots")" "$(bench_latency_line usage "usage")"
	bench_report_end

	bench_kill_holders
	bench_stop snap
}
