# shellcheck shell=bash
#
# bench/lib/bench.sh - the benchmark engine behind bench/run.sh.  Source it
# after scripts/lib.sh; bench/run.sh does both.
#
# What it provides, in the order a suite uses it:
#
#   bench_register NAME SECONDS TEXT   declare a suite (its file defines
#                                      suite_NAME); SECONDS is its expected
#                                      run time with the default settings
#   bench_cluster NAME MAXCONN PRELOAD [SQL...]
#                                      init and start a throwaway cluster
#                                      (as the test user), remembered for the
#                                      cleanup; PRELOAD=1 preloads pg_lifeguard
#   bench_sql NAME DB SQL              run SQL on that cluster as `postgres`
#   bench_hold NAME ROLE CLIENTS SCRIPT SECONDS
#                                      hold CLIENTS connections open in the
#                                      background (killed by the cleanup)
#   bench_wait_sessions NAME COND N TIMEOUT
#                                      wait until N sessions match COND
#   bench_pgbench LOG ARGS...          run pgbench, print "TPS LATENCY_MS"
#   bench_server_cpu NAME              CPU ticks used by a cluster's server
#   bench_interleave CMP ROUNDS ARMSECONDS ARMFUNC ARM...
#                                      run the arms in rotated order, round
#                                      after round, keeping every result
#   bench_report_begin / bench_table_header / bench_row /
#   bench_latency_line / bench_report / bench_report_end
#                                      the markdown report of one suite
#
# Every comparison has at least three arms, run interleaved in the same
# rounds: A (baseline), B (with pg_lifeguard) and A2 (A again).  B/A is
# the effect, A2/A is the noise floor measured under the very same
# conditions.  A suite may add arms (login's optional B0), each reported
# against A next to the same A2/A.
#
# Globals: see "Set by bench/run.sh" below.  BENCH_BUDGET is checked before
# every round: a round that would not fit is skipped, and the report says so.

# Variables are read by bench/run.sh and the suite files.
# shellcheck disable=SC2034

# Set by bench/run.sh before any suite runs.
BENCH_WORK=                     # scratch directory of this run
BENCH_OUT=                      # where the reports go (bench/out)
BENCH_STAMP=                    # timestamp in report file names
BENCH_COMMAND=                  # the command line, for the reports
BENCH_BUILD_INFO=               # which pg_lifeguard build is measured
BENCH_BUDGET=870                # seconds the whole run may take
BENCH_ROUNDS=5                  # rounds per comparison
BENCH_STANDIN=0                 # 1: time stand-ins for missing functions
BENCH_NOTES=()                  # notes for the current suite's report

# --------------------------------------------------------------------------
# Suite registry
# --------------------------------------------------------------------------
BENCH_SUITES=()                 # names, in registration order
declare -gA BENCH_SUITE_SECONDS=()
declare -gA BENCH_SUITE_TEXT=()

# bench_register NAME SECONDS TEXT  - add a suite; its file must define
# suite_NAME.  SECONDS is what it takes with the default settings: shown by
# `bench/run.sh list`, and a warning is printed when it does not fit in
# what remains of the budget.
bench_register() {
	BENCH_SUITES+=("$1")
	BENCH_SUITE_SECONDS[$1]=$2
	BENCH_SUITE_TEXT[$1]=$3
}

# --------------------------------------------------------------------------
# Settings from the environment
# --------------------------------------------------------------------------

# bench_env_int VAR DEFAULT MIN  - print the integer in environment variable
# VAR (DEFAULT when unset); exit with an error when it is not an integer
# >= MIN.
bench_env_int() {
	local var=$1 def=$2 min=$3 val
	val=${!var:-$def}
	if ! [[ $val =~ ^[0-9]+$ ]] || ((val < min)); then
		lg_err "$var must be an integer >= $min (got '$val')"
		exit 2
	fi
	printf '%s\n' "$val"
}

# --------------------------------------------------------------------------
# Throwaway clusters.  Each has a name; its directory is BENCH_WORK/NAME.
# --------------------------------------------------------------------------
declare -gA BENCH_PORT=() BENCH_SOCK=() BENCH_DATA=()
BENCH_CLUSTERS=()               # names of clusters started (for the cleanup)
BENCH_HOLD_PIDS=()              # background pgbench processes holding connections

# Extra postgresql.conf lines for the clusters a suite creates: set it
# with `local BENCH_CLUSTER_CONF=(...)` in the suite function.
BENCH_CLUSTER_CONF=()

# Settings every bench cluster shares.  Durability is off: these clusters
# measure CPU paths (login, catalog reads), not the disk.
BENCH_BASE_CONF=(
	"shared_buffers = 128MB"
	"fsync = off"
	"synchronous_commit = off"
	"full_page_writes = off"
	"log_autovacuum_min_duration = 0"
	"log_line_prefix = '%m [%p] '"
)

# bench_cluster NAME MAXCONN PRELOAD [SQL...]  - a throwaway cluster in
# BENCH_WORK/NAME with max_connections = MAXCONN, the common settings and
# BENCH_CLUSTER_CONF, on the first free port from 56432 up (another one if
# someone took it meanwhile).  Sets BENCH_PORT[NAME], BENCH_SOCK[NAME],
# BENCH_DATA[NAME].
#   1. init and start without pg_lifeguard;
#   2. run the SQL statements (roles, ...) in `postgres`;
#   3. ANALYZE, then VACUUM FREEZE every database, so that autovacuum has
#      nothing to do during the measured rounds;
#   4. when PRELOAD is 1, add pg_lifeguard to shared_preload_libraries;
#      restart (every cluster, so all start alike) and wait until a login
#      succeeds.
bench_cluster() {
	local name=$1 maxconn=$2 preload=$3 dir port attempt started=0
	shift 3
	dir=$BENCH_WORK/$name
	lg_as_test_user mkdir -p "$dir"
	port=$(lg_free_port 56432) || return 1
	lg_cluster_init "$dir/data" "$dir/sock" "$port" || return 1
	lg_cluster_conf "$dir/data" "max_connections = $maxconn" "${BENCH_BASE_CONF[@]}" \
		"${BENCH_CLUSTER_CONF[@]}" || return 1
	BENCH_CLUSTERS+=("$name")
	BENCH_DATA[$name]=$dir/data
	BENCH_SOCK[$name]=$dir/sock
	for attempt in 1 2 3; do
		BENCH_PORT[$name]=$port
		if lg_cluster_start "$dir/data" "$dir/server.log" >/dev/null 2>&1; then
			started=1
			break
		fi
		if ! grep -q 'could not bind\|could not create lock file' "$dir/server.log"; then
			break
		fi
		# Lost a race for the port with another process: take the next one.
		port=$(lg_free_port $((port + 1))) || return 1
		lg_cluster_conf "$dir/data" "port = $port" || return 1
	done
	if ((!started)); then
		lg_show "$dir/server.log" "server log of $name" tail 40
		lg_err "cluster $name did not start"
		return 1
	fi
	if (($#)); then
		bench_sql "$name" postgres "$@" >/dev/null || return 1
	fi
	# ANALYZE first, then VACUUM FREEZE: the vacuum also removes the
	# pg_statistic rows the analyze replaced, which autovacuum would
	# otherwise come back for a minute later.
	(lg_as_test_user vacuumdb -h "$dir/sock" -p "$port" -U postgres --all --analyze-only --quiet &&
		lg_as_test_user vacuumdb -h "$dir/sock" -p "$port" -U postgres --all --freeze --quiet) \
		</dev/null >"$dir/vacuumdb.log" 2>&1 || {
		lg_show "$dir/vacuumdb.log" "vacuumdb output" tail 20
		lg_err "cluster $name: vacuumdb failed"
		return 1
	}
	if [[ $preload == 1 ]]; then
		lg_cluster_conf "$dir/data" "shared_preload_libraries = '$LG_EXTENSION'" || return 1
	fi
	# Restart every cluster, preloaded or not, so all start measuring alike.
	lg_cluster_stop "$dir/data"
	lg_cluster_start "$dir/data" "$dir/server.log" || return 1
	bench_wait_login "$name" 30 || return 1
	lg_info "cluster $name: port $port, max_connections $maxconn, preload $preload"
}

# bench_wait_login NAME TIMEOUT  - wait until `postgres` can log in, so a
# server that refuses logins for a while after its start (pg_lifeguard
# before git 6daece7 did, see bench/RESULTS.md) fails here, clearly.
bench_wait_login() {
	local name=$1 deadline=$((SECONDS + $2)) err
	while ! err=$(bench_sql "$name" postgres "SELECT 1" 2>&1 >/dev/null); do
		if ((SECONDS >= deadline)); then
			lg_err "cluster $name: no login possible within $2 s: $err"
			return 1
		fi
		sleep 0.5
	done
}

# bench_sql NAME DB SQL...  - run SQL (each argument one -c) as `postgres`
# on cluster NAME, unaligned and without headers.
bench_sql() {
	local name=$1 db=$2 arg args=()
	shift 2
	for arg in "$@"; do
		args+=(-c "$arg")
	done
	lg_psql "${BENCH_SOCK[$name]}" "${BENCH_PORT[$name]}" "$db" -At "${args[@]}"
}

# bench_worker_status NAME COLUMNS  - COLUMNS of lifeguard.worker_status() in
# cluster NAME (database postgres), separated by spaces.
bench_worker_status() {
	bench_sql "$1" postgres "SELECT $2 FROM lifeguard.worker_status()" | tr '|' ' '
}

# bench_wait_worker NAME TIMEOUT  - wait until the worker of cluster NAME
# runs (it found the extension) and has ticked at least twice more since.
bench_wait_worker() {
	local name=$1 deadline=$((SECONDS + $2)) state='' ticks='' first=-1
	while ((SECONDS < deadline)); do
		read -r state ticks < <(bench_worker_status "$name" "state, ticks") || return 1
		if [[ $state == running ]]; then
			if ((first < 0)); then
				first=$ticks
			elif ((ticks >= first + 2)); then
				return 0
			fi
		fi
		sleep 0.2
	done
	lg_err "$name: the worker is not ticking in state 'running' after $2 s (state '$state', ticks $ticks)"
	return 1
}

# bench_wait_policies NAME N [WHERE]  - wait up to 30 s until
# lifeguard.policy_status() in cluster NAME has N rows (matching WHERE, a
# condition on its columns): the worker publishes the table at its next
# tick.  Prints the last count; fails when it never got there.
bench_wait_policies() {
	local name=$1 want=$2 where=${3:-true} have=0
	for _ in $(seq 1 60); do
		have=$(bench_sql "$name" postgres "SELECT count(*) FROM lifeguard.policy_status() WHERE $where") || have=0
		if ((have == want)); then
			break
		fi
		sleep 0.5
	done
	printf '%s\n' "$have"
	((have == want))
}

# bench_stop NAME  - stop one cluster.
bench_stop() {
	lg_cluster_stop "${BENCH_DATA[$1]}"
}

# bench_hold NAME ROLE CLIENTS SCRIPT SECONDS  - open CLIENTS connections as
# ROLE to cluster NAME through pgbench running SCRIPT (a file) for at most
# SECONDS, in the background.  One process per call, its pid kept for the
# cleanup; stopping the server ends it too.
bench_hold() {
	local name=$1 role=$2 clients=$3 script=$4 seconds=$5 log jobs
	log=$BENCH_WORK/logs/hold-$name-$role.log
	jobs=$((clients < 10 ? clients : 10))
	pgbench -n -h "${BENCH_SOCK[$name]}" -p "${BENCH_PORT[$name]}" -U "$role" \
		-c "$clients" -j "$jobs" -T "$seconds" -f "$script" postgres \
		</dev/null >"$log" 2>&1 &
	BENCH_HOLD_PIDS+=($!)
}

# bench_wait_sessions NAME SQLCOND N TIMEOUT  - wait until at least N rows
# of pg_stat_activity on cluster NAME satisfy SQLCOND.
bench_wait_sessions() {
	local name=$1 cond=$2 want=$3 timeout=$4 have=0 deadline
	deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		have=$(bench_sql "$name" postgres "SELECT count(*) FROM pg_stat_activity WHERE $cond") || have=0
		if ((have >= want)); then
			return 0
		fi
		sleep 0.5
	done
	lg_err "cluster $name: only $have of $want sessions ($cond) after ${timeout} s"
	return 1
}

# bench_kill_holders  - end the background connection holders.
bench_kill_holders() {
	local pid
	for pid in "${BENCH_HOLD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_HOLD_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	BENCH_HOLD_PIDS=()
}

# bench_cleanup_clusters  - kill the holders and stop every cluster started.
bench_cleanup_clusters() {
	local name
	bench_kill_holders
	for name in "${BENCH_CLUSTERS[@]}"; do
		lg_cluster_stop "${BENCH_DATA[$name]}"
	done
	BENCH_CLUSTERS=()
}

# bench_show_server_errors  - print the last FATAL / ERROR / PANIC lines
# of every running cluster's server log (after a suite failed).
bench_show_server_errors() {
	local name log
	for name in "${BENCH_CLUSTERS[@]}"; do
		log=$(dirname "${BENCH_DATA[$name]}")/server.log
		if grep -qE '(FATAL|ERROR|PANIC):' "$log" 2>/dev/null; then
			printf -- '----- errors in the server log of %s (%s, last 10) -----\n' "$name" "$log" >&2
			grep -E '(FATAL|ERROR|PANIC):' "$log" | tail -n 10 >&2
			printf -- '----- end -----\n' >&2
		fi
	done
}

# bench_has_object NAME SQLEXPR  - true when SQLEXPR (e.g.
# "to_regprocedure('lifeguard.slots()')") is not NULL in the postgres
# database of cluster NAME.
bench_has_object() {
	[[ $(bench_sql "$1" postgres "SELECT $2 IS NOT NULL") == t ]]
}

# bench_script FILE LINE...  - write a pgbench script into BENCH_WORK/scripts.
bench_script() {
	local file=$BENCH_WORK/scripts/$1
	shift
	printf '%s\n' "$@" >"$file"
	chmod 644 "$file"
	printf '%s\n' "$file"
}

# --------------------------------------------------------------------------
# pgbench
# --------------------------------------------------------------------------

# bench_pgbench LOG ARGS...  - run pgbench ARGS, output to LOG; print
# "TPS LATENCY_MS".  With -C, pgbench's tps includes the connection time.
# Fails (and shows the log) when pgbench fails, a transaction failed, or
# the output cannot be parsed.
bench_pgbench() {
	local log=$1 rc=0 tps lat failed
	shift
	(pgbench "$@") </dev/null >"$log" 2>&1 || rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | head -n 1)
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$log" | head -n 1)
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if ((rc != 0)) || [[ -z $tps || -z $lat ]] || [[ -n $failed && $failed != 0 ]]; then
		lg_show "$log" "pgbench output" tail 30 >&2
		lg_err "pgbench failed (exit $rc, tps '${tps}', failed transactions '${failed:-?}')"
		return 1
	fi
	printf '%s %s\n' "$tps" "$lat"
}

# bench_server_cpu NAME  - print the CPU time (clock ticks, user + system)
# used so far by cluster NAME's server: the postmaster, its children that
# have exited (reaped, so counted in its cutime/cstime: every backend of a
# pgbench -C run) and its children still running (worker, checkpointer,
# ...).  The difference over a run is the server's CPU for that run,
# whatever else the machine is doing meanwhile.
bench_server_cpu() {
	local pmpid
	pmpid=$(head -n 1 "${BENCH_DATA[$1]}/postmaster.pid") || return 1
	# /proc/PID/stat: field 1 is the pid, field 2 "(comm)" may hold spaces;
	# strip up to the last ")" so that f[2] is ppid and f[12..15] are
	# utime stime cutime cstime.  Processes may end while this reads
	# (cat skips them; mawk would stop).
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pmpid" '
		{
			pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
			if (pid == pm) total += f[12] + f[13] + f[14] + f[15]
			else if (f[2] == pm) total += f[12] + f[13]
		}
		END { printf "%d\n", total }'
}

# --------------------------------------------------------------------------
# Interleaved measurement
# --------------------------------------------------------------------------

# bench_interleave CMP ROUNDS ARMSECONDS ARMFUNC ARM...  - measure every ARM
# ROUNDS times.  Round r runs the arms rotated by r (A B A2, B A2 A,
# A2 A B, ...), so each arm takes each position equally often and slow
# drifts of the machine hit every arm alike.  `ARMFUNC ARM LOG` measures
# once and prints "VALUE LATENCY_MS [EXTRA...]" (VALUE e.g. TPS).  Results
# go to BENCH_WORK/results/CMP/ARM, one line "ROUND VALUE LATENCY [EXTRA...]".
# Before each round the remaining time budget is checked against
# ARMSECONDS per arm plus the slowest round so far; a round that would not
# fit is skipped and a note says so.
bench_interleave() {
	local cmp=$1 rounds=$2 armsec=$3 fn=$4
	shift 4
	local arms=("$@") n=$# r i arm out dir start slowest=0 need
	dir=$BENCH_WORK/results/$cmp
	mkdir -p "$dir"
	for ((r = 0; r < rounds; r++)); do
		need=$((n * (armsec + 2)))
		if ((slowest > need)); then
			need=$slowest
		fi
		if ((SECONDS + need > BENCH_BUDGET)); then
			BENCH_NOTES+=("$cmp: only $r of $rounds rounds run, the ${BENCH_BUDGET} s time budget was used up")
			lg_warn "$cmp: stopping after $r rounds (time budget)"
			break
		fi
		start=$SECONDS
		printf '    %s round %d/%d:' "$cmp" $((r + 1)) "$rounds"
		for ((i = 0; i < n; i++)); do
			arm=${arms[(r + i) % n]}
			out=$("$fn" "$arm" "$BENCH_WORK/logs/$cmp-$arm-$((r + 1)).log") || {
				printf '\n'
				lg_err "$cmp: arm $arm failed in round $((r + 1))"
				return 1
			}
			printf '%s %s\n' "$r" "$out" >>"$dir/$arm"
			printf ' %s=%.1f' "$arm" "${out%% *}"
		done
		printf '\n'
		if ((SECONDS - start > slowest)); then
			slowest=$((SECONDS - start))
		fi
	done
}

# --------------------------------------------------------------------------
# Statistics.  Plain awk over the result files.
# --------------------------------------------------------------------------

# bench_stats FILE COL  - print "MEDIAN MIN MAX N" of column COL (2 =
# value, 3 = latency, 4... = what the arm function printed after them) of
# a result file.
bench_stats() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan nan nan 0"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6f %.6f %.6f %d\n", m, v[1], v[NR], NR
		}'
}

# bench_round_ratios FILE_B FILE_A [COL]  - print "MEDIAN MIN MAX N" of the
# per-round ratios B/A of column COL (default 2; rounds present in both).
bench_round_ratios() {
	awk -v c="${3:-2}" 'NR == FNR { a[$1] = $c; next } ($1 in a) && a[$1] > 0 { print $c / a[$1] }' "$2" "$1" |
		sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan nan nan 0"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6f %.6f %.6f %d\n", m, v[1], v[NR], NR
		}'
}

# bench_dist FILE  - print "N MEDIAN P90 MAX" of the numbers in FILE, one
# per line (p90 by nearest rank); "0 nan nan nan" when there are none.
# For distributions of single measurements (tick times, reaction times),
# not for rounds.
bench_dist() {
	{ cat "$1" 2>/dev/null || true; } | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "0 nan nan nan"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			k = int(0.9 * NR); if (k < 0.9 * NR) k++; if (k < 1) k = 1
			printf "%d %s %s %s\n", NR, m, v[k], v[NR]
		}'
}

# bench_calc EXPR  - print an awk arithmetic expression's value.
bench_calc() {
	awk "BEGIN { printf \"%.6f\", $1 }"
}

# bench_fmt NUMBER DECIMALS  - round for display.
bench_fmt() {
	awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'
}

# --------------------------------------------------------------------------
# Report: one markdown fragment per suite, to stdout and to
# bench/out/SUITE-TIMESTAMP.md.
# --------------------------------------------------------------------------
BENCH_REPORT=                   # file being written for the current suite
BENCH_REPORT_OUT=               # where bench_report_end copied it

# bench_machine_lines  - markdown lines describing where and how this ran.
bench_machine_lines() {
	local mem
	mem=$(free -g | awk '/^Mem:/ { printf "%s GiB total, %s GiB available", $2, $7 }')
	printf -- '- command: %s\n' "\`$BENCH_COMMAND\`"
	printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	printf -- '- PostgreSQL: %s\n' "$(postgres --version)"
	printf -- '- machine: %s CPUs (nproc), memory %s (free -g), load average at start %s\n' \
		"$(nproc)" "$mem" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf -- '- pg_lifeguard: %s\n' "$BENCH_BUILD_INFO"
}

# bench_report_begin SUITE TITLE LINE...  - start the suite's report with a
# heading, the machine lines and the suite's own description lines.  It is
# written in BENCH_WORK and reaches bench/out only when complete.
bench_report_begin() {
	local suite=$1 title=$2
	shift 2
	BENCH_REPORT=$BENCH_WORK/$suite.md
	BENCH_REPORT_OUT=$BENCH_OUT/$suite-$BENCH_STAMP.md
	{
		printf '### %s\n\n' "$title"
		bench_machine_lines
		printf -- '- %s\n' "$@"
		printf '\n'
	} >"$BENCH_REPORT"
}

# bench_report LINE...  - append lines to the current report.
bench_report() {
	printf '%s\n' "$@" >>"$BENCH_REPORT"
}

# bench_table_header UNIT  - the comparison table's header.  UNIT names the
# measured value (e.g. "TPS incl. connection").
bench_table_header() {
	bench_report \
		"| comparison | A: $1, median (min–max) | B: $1, median (min–max) | B/A (per-round min–max) | noise A2/A (per-round min–max) | verdict |" \
		"| --- | --- | --- | --- | --- | --- |"
}

# bench_row CMP LABEL GOAL [BARM] [COL]  - one table row from the results
# of comparison CMP: arm BARM (default B) against A, next to the A2/A
# noise, on column COL of the result files (default 2, the arm's main
# value).  GOAL is the lowest acceptable B/A ("0.98") or "-".
#
# Verdict rules (also in bench/RESULTS.md):
#   - the effect is |B/A - 1|, the noise floor is |A2/A - 1| (ratios of
#     medians, measured in the same rounds);
#   - "within noise" when the effect is not larger than the noise floor;
#   - "above the A/A floor, rounds overlap" when it is larger, but the
#     per-round ranges of B/A and A2/A overlap (a single round could not
#     tell B from A2);
#   - "beyond noise" when it is larger and the per-round ranges are apart;
#   - with a GOAL: "goal met" when B/A >= GOAL, else "goal MISSED".
bench_row() {
	local cmp=$1 label=$2 goal=$3 barm=${4:-B} col=${5:-2} d=$BENCH_WORK/results/$1
	local am amin amax an bm bmin bmax bn ratio rmin rmax noise nmin nmax nn
	local effect floor verdict dec sizes
	read -r am amin amax an < <(bench_stats "$d/A" "$col")
	read -r bm bmin bmax bn < <(bench_stats "$d/$barm" "$col")
	read -r _ rmin rmax _ < <(bench_round_ratios "$d/$barm" "$d/A" "$col")
	read -r _ nmin nmax nn < <(bench_round_ratios "$d/A2" "$d/A" "$col")
	if ((an == 0 || bn == 0 || nn == 0)); then
		bench_report "| $label | no result | no result | | | not measured |"
		return 0
	fi
	ratio=$(bench_calc "$bm / $am")
	noise=$(bench_calc "$(bench_stats "$d/A2" "$col" | cut -d' ' -f1) / $am")
	effect=$(bench_calc "($ratio > 1) ? $ratio - 1 : 1 - $ratio")
	floor=$(bench_calc "($noise > 1) ? $noise - 1 : 1 - $noise")
	sizes="effect $(bench_fmt "$(bench_calc "$effect * 100")" 1)%, A/A floor $(bench_fmt "$(bench_calc "$floor * 100")" 1)%"
	if awk -v e="$effect" -v f="$floor" 'BEGIN { exit !(e <= f) }'; then
		verdict="within noise ($sizes)"
	elif awk -v rlo="$rmin" -v rhi="$rmax" -v nlo="$nmin" -v nhi="$nmax" \
		'BEGIN { exit !(rlo > nhi || rhi < nlo) }'; then
		verdict="beyond noise ($sizes, per-round ranges apart)"
	else
		verdict="above the A/A floor, rounds overlap ($sizes)"
	fi
	if [[ $goal != - ]]; then
		if awk -v r="$ratio" -v g="$goal" 'BEGIN { exit !(r >= g) }'; then
			verdict="goal B/A ≥ $goal met; $verdict"
		else
			verdict="goal B/A ≥ $goal **MISSED**; $verdict"
		fi
	fi
	if ((an < 5 || bn < 5)); then
		verdict="$verdict; only $an round(s)"
	fi
	dec=1
	if awk -v x="$am" 'BEGIN { exit !(x < 100) }'; then
		dec=2
	fi
	bench_report "| $label | $(bench_fmt "$am" "$dec") ($(bench_fmt "$amin" "$dec")–$(bench_fmt "$amax" "$dec")) | $(bench_fmt "$bm" "$dec") ($(bench_fmt "$bmin" "$dec")–$(bench_fmt "$bmax" "$dec")) | $(bench_fmt "$ratio" 3) ($(bench_fmt "$rmin" 3)–$(bench_fmt "$rmax" 3)) | $(bench_fmt "$noise" 3) ($(bench_fmt "$nmin" 3)–$(bench_fmt "$nmax" 3)) | $verdict |"
}

# bench_latency_line CMP LABEL  - the mean latencies (ms, medians over
# rounds) of every arm of CMP, as a line below the table.
bench_latency_line() {
	local d=$BENCH_WORK/results/$1 f sep='' line
	line="- $2: mean latency per transaction (median of rounds):"
	for f in "$d"/*; do
		line+="$sep $(basename "$f") $(bench_fmt "$(bench_stats "$f" 3 | cut -d' ' -f1)" 3) ms"
		sep=,
	done
	printf '%s\n' "$line"
}

# bench_report_end  - add the notes (and how often autovacuum ran on the
# suite's clusters: a source of noise), print the report, forget the notes.
bench_report_end() {
	local note name n
	for name in "${BENCH_CLUSTERS[@]}"; do
		n=$(grep -cE 'automatic (aggressive )?(vacuum|analyze)' \
			"$(dirname "${BENCH_DATA[$name]}")/server.log" 2>/dev/null) || n=0
		if ((n > 0)); then
			BENCH_NOTES+=("autovacuum ran $n time(s) on cluster $name during the suite (see its server log)")
		fi
	done
	if ((${#BENCH_NOTES[@]})); then
		bench_report ""
		for note in "${BENCH_NOTES[@]}"; do
			bench_report "- note: $note"
		done
	fi
	BENCH_NOTES=()
	mkdir -p "$BENCH_OUT"
	cp "$BENCH_REPORT" "$BENCH_REPORT_OUT"
	printf '\n'
	cat "$BENCH_REPORT"
	printf '\n'
	lg_say "written to $BENCH_REPORT_OUT"
}
