# shellcheck shell=bash
#
# bench/suites/locks.sh - what reading the lock graph costs, against the
# recursive pg_blocking_pids() query an operator would run instead.
#
# One cluster, max_connections 300, pg_lifeguard preloaded and created in
# `postgres`, one table per chain (chain_0 .. chain_9).  Sessions held open
# by background pgbench processes (killed by the cleanup):
#
#   - LOCKS_IDLE idle sessions (150);
#   - 10 roots, each in an open transaction holding a lock on its table:
#     even chains LOCK TABLE ... IN ACCESS EXCLUSIVE MODE, odd chains
#     IN ROW EXCLUSIVE MODE (the lock queue jam: readers do not conflict
#     with the root, only with the ALTER queued before them);
#   - per chain 5 waiters, started in this order: one
#     ALTER TABLE ... ADD COLUMN IF NOT EXISTS (ACCESS EXCLUSIVE), then 4
#     SELECT count(*) queued behind it.
#
# So 50 sessions wait, in 10 trees of depth 2, among about 210 client
# sessions.  Before measuring the suite checks that lifeguard.blockers()
# sees 50 waiters and that the recursive query returns the chains.
#
#   chains   A = the recursive query over pg_stat_activity and
#                pg_blocking_pids() (below, LOCKS_TREE_Q)
#            B = SELECT * FROM lifeguard.blockers()
#            goal: B/A >= 10 in queries/s
#   quiet    the roots are ended, the chains drain, nobody waits:
#            A = the recursive query, B = SELECT count(*) FROM
#            lifeguard.blockers(); no goal
#
# A2 is A again (same query, same cluster): the noise floor.  Each query
# runs in a loop, `pgbench -n -c 1 -T QUERY_SECONDS` as superuser over the
# Unix socket.  B/A > 1 means lifeguard.blockers() answers faster.
#
# Settings: LIFEGUARD_BENCH_QUERY_SECONDS (3), LIFEGUARD_BENCH_ROUNDS.

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register locks 105 "lock graph: lifeguard.blockers() vs recursive pg_blocking_pids() query, 50 waiters in 10 chains at ~210 connections"

LOCKS_CHAINS=10
LOCKS_IDLE=150
LOCKS_ROOT_PIDS=()              # holders of the roots (ended for "quiet")
declare -gA LOCKS_SCRIPT=()     # "CMP ARM" -> pgbench script file

# The widely used lock-tree query built on pg_blocking_pids(): a recursive
# tree over the client backends of pg_stat_activity, roots first.
LOCKS_TREE_Q="WITH RECURSIVE
  activity AS (
    SELECT pg_blocking_pids(a.pid) AS blocked_by, a.*
    FROM pg_stat_activity AS a
    WHERE a.backend_type = 'client backend'),
  blockers AS (
    SELECT array_agg(DISTINCT c ORDER BY c) AS pids
    FROM (SELECT unnest(blocked_by) FROM activity) AS dt(c)),
  tree AS (
    SELECT activity.*, 1 AS level, activity.pid AS top_blocker_pid,
           ARRAY[activity.pid] AS path,
           ARRAY[activity.pid]::int[] AS all_blockers_above
    FROM activity, blockers
    WHERE ARRAY[activity.pid] <@ blockers.pids
      AND activity.blocked_by = '{}'::int[]
    UNION ALL
    SELECT activity.*, tree.level + 1, tree.top_blocker_pid,
           tree.path || ARRAY[activity.pid],
           tree.all_blockers_above || array_agg(activity.pid) OVER ()
    FROM activity, tree
    WHERE NOT ARRAY[activity.pid] <@ tree.all_blockers_above
      AND activity.blocked_by <> '{}'::int[]
      AND activity.blocked_by <@ tree.all_blockers_above)
SELECT pid, blocked_by, level, top_blocker_pid, path, state, query
FROM tree
ORDER BY top_blocker_pid, level, pid;"

# locks_hold TAG ROLE CLIENTS SCRIPT SECONDS  - bench_hold with its own log
# file per TAG (several holders per role here); the pid goes to
# BENCH_HOLD_PIDS, so the cleanup ends it whatever happens.  Prints nothing;
# the pid is left in LOCKS_LAST_PID.
locks_hold() {
	local tag=$1 role=$2 clients=$3 script=$4 seconds=$5 jobs
	jobs=$((clients < 10 ? clients : 10))
	pgbench -n -h "${BENCH_SOCK[locks]}" -p "${BENCH_PORT[locks]}" -U "$role" \
		-c "$clients" -j "$jobs" -T "$seconds" -f "$script" postgres \
		</dev/null >"$BENCH_WORK/logs/hold-locks-$tag.log" 2>&1 &
	BENCH_HOLD_PIDS+=($!)
	LOCKS_LAST_PID=$!
}

# locks_wait_lock_waiters N TIMEOUT  - wait until exactly N client sessions
# wait on a heavyweight lock.
locks_wait_lock_waiters() {
	local want=$1 deadline=$((SECONDS + $2)) have=-1
	while ((SECONDS < deadline)); do
		have=$(bench_sql locks postgres "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") || have=-1
		if ((have == want)); then
			return 0
		fi
		sleep 0.5
	done
	lg_err "locks: $have sessions wait on a lock, expected $want after $2 s"
	return 1
}

locks_run() {
	bench_pgbench "$3" -n -h "${BENCH_SOCK[locks]}" -p "${BENCH_PORT[locks]}" -U postgres \
		-c 1 -j 1 -T "$QUERY_SECONDS" -f "${LOCKS_SCRIPT[$1 $2]}" postgres
}
locks_arm_chains() { locks_run chains "$1" "$2"; }
locks_arm_quiet() { locks_run quiet "$1" "$2"; }

suite_locks() {
	local rounds hold i mode sql=() total waiting tree_rows tree_roots tree_max bl_rows bl_roots
	local pid quiet_ok=1
	rounds=$BENCH_ROUNDS
	QUERY_SECONDS=$(bench_env_int LIFEGUARD_BENCH_QUERY_SECONDS 3 1)
	hold=$((2 * rounds * 3 * 2 * (QUERY_SECONDS + 2) + 300))
	LOCKS_ROOT_PIDS=()

	sql=("CREATE ROLE lg_idle LOGIN" "CREATE ROLE lg_chain LOGIN")
	for ((i = 0; i < LOCKS_CHAINS; i++)); do
		sql+=("CREATE TABLE chain_$i (id int PRIMARY KEY, v text)"
			"INSERT INTO chain_$i SELECT g, 'x' FROM generate_series(1, 100) AS g"
			"ALTER TABLE chain_$i OWNER TO lg_chain")
	done
	lg_say "locks: starting the cluster (max_connections 300, preloaded)"
	bench_cluster locks 300 1 "${sql[@]}" || return 1
	bench_sql locks postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if ! bench_has_object locks "to_regprocedure('lifeguard.blockers()')"; then
		lg_err "locks: the installed $LG_EXTENSION has no lifeguard.blockers()"
		return 1
	fi

	LOCKS_SCRIPT=(
		["chains A"]=$(bench_script locks-tree.sql "$LOCKS_TREE_Q")
		["chains B"]=$(bench_script locks-blockers.sql 'SELECT * FROM lifeguard.blockers();')
		["quiet B"]=$(bench_script locks-blockers-count.sql 'SELECT count(*) FROM lifeguard.blockers();')
	)
	LOCKS_SCRIPT["chains A2"]=${LOCKS_SCRIPT[chains A]}
	LOCKS_SCRIPT["quiet A"]=${LOCKS_SCRIPT[chains A]}
	LOCKS_SCRIPT["quiet A2"]=${LOCKS_SCRIPT[chains A]}

	lg_say "locks: opening $LOCKS_IDLE idle sessions and $LOCKS_CHAINS chains of 1 root + 5 waiters"
	locks_hold idle lg_idle "$LOCKS_IDLE" "$(bench_script locks-hold-idle.sql "\\sleep $hold s")" "$hold"
	# Roots first: each holds its lock in an open transaction.
	for ((i = 0; i < LOCKS_CHAINS; i++)); do
		mode="ACCESS EXCLUSIVE"
		if ((i % 2)); then
			mode="ROW EXCLUSIVE"
		fi
		locks_hold "root-$i" lg_chain 1 "$(bench_script "locks-root-$i.sql" 'BEGIN;' \
			"LOCK TABLE chain_$i IN $mode MODE;" "\\sleep $hold s" 'END;')" "$hold"
		LOCKS_ROOT_PIDS+=("$LOCKS_LAST_PID")
	done
	bench_wait_sessions locks "usename = 'lg_chain' AND state = 'idle in transaction'" "$LOCKS_CHAINS" 60 || return 1
	# Then one ALTER TABLE per chain, queued behind the root ...
	for ((i = 0; i < LOCKS_CHAINS; i++)); do
		locks_hold "alter-$i" lg_chain 1 "$(bench_script "locks-alter-$i.sql" \
			"ALTER TABLE chain_$i ADD COLUMN IF NOT EXISTS extra int;" "\\sleep $hold s")" "$hold"
	done
	locks_wait_lock_waiters "$LOCKS_CHAINS" 60 || return 1
	# ... and 4 readers per chain queued behind the ALTER.
	for ((i = 0; i < LOCKS_CHAINS; i++)); do
		locks_hold "select-$i" lg_chain 4 "$(bench_script "locks-select-$i.sql" \
			"SELECT count(*) FROM chain_$i;" "\\sleep $hold s")" "$hold"
	done
	locks_wait_lock_waiters $((LOCKS_CHAINS * 5)) 60 || return 1
	bench_wait_sessions locks "usename = 'lg_idle'" "$LOCKS_IDLE" 90 || return 1

	# Check the setup before measuring.
	total=$(bench_sql locks postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") || return 1
	waiting=$(bench_sql locks postgres "SELECT count(*) FROM lifeguard.blockers() WHERE waiting") || return 1
	bl_rows=$(bench_sql locks postgres "SELECT count(*) FROM lifeguard.blockers()") || return 1
	bl_roots=$(bench_sql locks postgres "SELECT count(*) FROM lifeguard.blockers() WHERE is_root") || return 1
	read -r tree_rows tree_roots tree_max < <(bench_sql locks postgres \
		"SELECT count(*), count(DISTINCT top_blocker_pid), max(level) FROM (${LOCKS_TREE_Q%;}) AS t" | tr '|' ' ') || return 1
	lg_info "locks: $total client sessions; blockers(): $bl_rows rows, $waiting waiting, $bl_roots roots; recursive query: $tree_rows rows, $tree_roots roots, max level $tree_max"
	if ((waiting != LOCKS_CHAINS * 5)); then
		lg_err "locks: lifeguard.blockers() shows $waiting waiting sessions, expected $((LOCKS_CHAINS * 5))"
		return 1
	fi
	if ((tree_rows == 0 || tree_roots != LOCKS_CHAINS)); then
		lg_err "locks: the recursive pg_blocking_pids() query returned $tree_rows rows under $tree_roots roots, expected the $LOCKS_CHAINS chains"
		return 1
	fi

	bench_report_begin locks "locks: reading the lock graph, $waiting waiters in $LOCKS_CHAINS chains" \
		"cluster: max_connections 300, shared_buffers 128MB, fsync off, analyzed and frozen before measuring, $LG_EXTENSION preloaded and created; $total client sessions when measuring: $LOCKS_IDLE idle, $LOCKS_CHAINS roots in an open transaction holding a lock on their own table (5 chains ACCESS EXCLUSIVE, 5 ROW EXCLUSIVE), and per chain one ALTER TABLE queued behind the root and 4 SELECTs queued behind the ALTER" \
		"setup checked before measuring: \`lifeguard.blockers()\` $bl_rows rows, $waiting waiting, $bl_roots roots; the recursive query $tree_rows rows, $tree_roots roots, deepest level $tree_max" \
		"workload: each query in a loop, \`pgbench -n -c 1 -j 1 -T $QUERY_SECONDS -U postgres\` over the Unix socket; value = pgbench tps (queries per second, one session)" \
		"A = the recursive lock-tree query over \`pg_stat_activity\` with \`pg_blocking_pids()\` (script locks-tree.sql in the scratch directory, text in bench/suites/locks.sh), B = \`SELECT * FROM lifeguard.blockers()\`, A2 = the A query again; rounds: $rounds, arms rotated each round; B/A > 1 means \`lifeguard.blockers()\` is faster"

	lg_say "locks: chains, $rounds rounds x 3 arms x ${QUERY_SECONDS} s"
	bench_interleave chains "$rounds" "$QUERY_SECONDS" locks_arm_chains A B A2 || return 1

	# Quiet phase: end the roots, let the chains drain.
	lg_say "locks: ending the $LOCKS_CHAINS roots; nobody should wait afterwards"
	for pid in "${LOCKS_ROOT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${LOCKS_ROOT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if locks_wait_lock_waiters 0 60; then
		total=$(bench_sql locks postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") || return 1
		bl_rows=$(bench_sql locks postgres "SELECT count(*) FROM lifeguard.blockers()") || return 1
		tree_rows=$(bench_sql locks postgres "SELECT count(*) FROM (${LOCKS_TREE_Q%;}) AS t") || return 1
		if ((bl_rows != 0 || tree_rows != 0)); then
			lg_err "locks: quiet phase: blockers() $bl_rows rows, recursive query $tree_rows rows, expected none"
			quiet_ok=0
		fi
	else
		quiet_ok=0
	fi
	if ((quiet_ok)); then
		lg_say "locks: quiet, $rounds rounds x 3 arms x ${QUERY_SECONDS} s ($total client sessions, no waiter)"
		bench_interleave quiet "$rounds" "$QUERY_SECONDS" locks_arm_quiet A B A2 || return 1
	else
		BENCH_NOTES+=("quiet phase not measured: the chains did not drain")
	fi

	bench_table_header "queries/s"
	bench_row chains "$waiting waiters: \`SELECT * FROM lifeguard.blockers()\` vs recursive \`pg_blocking_pids()\` query" 10
	if ((quiet_ok)); then
		bench_row quiet "no waiter ($total sessions): \`SELECT count(*) FROM lifeguard.blockers()\` vs the same recursive query" -
	fi
	bench_report "" "$(bench_latency_line chains "chains")"
	if ((quiet_ok)); then
		bench_report "$(bench_latency_line quiet "quiet")"
	fi
	bench_report_end

	bench_kill_holders
	bench_stop locks
}
