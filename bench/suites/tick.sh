# shellcheck shell=bash
#
# bench/suites/tick.sh - what one tick of the pg_lifeguard worker costs,
# as the worker itself times it, and how that grows with the connections.
#
# One cluster, max_connections 1000 (so that 900 sessions fit, and the same
# number of backend slots is scanned at every load), lifeguard.naptime = 100
# (ms), pg_lifeguard preloaded and created in `postgres` (the worker's
# database).  One psql session samples
#
#     SELECT ticks, last_tick_us FROM lifeguard.worker_status()
#
# with `SELECT pg_sleep(0.1)` in between.  A sample counts only when
# `ticks` advanced since the previous one (a new tick); otherwise it is
# skipped, and the report says how many were.  The loads, in this order:
#
#   idle-N      for each N of TICK_LOADS (0 100 300 900): N idle sessions
#               held by background pgbench processes (role lg_idle,
#               `\sleep`), opened 100, 200, 600 at a time on the way up and
#               ended in the same steps on the way down; half of
#               TICK_SAMPLES readings per load each way, pooled, so that a
#               drift of the machine during the series (other work starting
#               or ending) weighs on every load alike.  No policy, nobody
#               waiting.  The series.
#   then with TICK_GOAL_LOAD (300) idle sessions opened again,
#   TICK_SAMPLES readings each:
#   policies    plus 3 enabled policies that set only max_connections and
#               idle_timeout ('1 hour', so nobody is shed): one matches every
#               held session by role, one by application_name ('pgbench%'),
#               one matches none (role lg_other).  An idle_timeout makes the
#               worker describe every session and match it against the
#               policies on each tick.
#   limits      the same, plus 2 policies setting statement_timeout,
#               idle_in_transaction_timeout, transaction_timeout and
#               blocking_timeout ('1 hour': nobody is acted on), one
#               matching by role, one by application_name: the worker also
#               checks every session against the time limits.
#
# Goals (issue 7): median tick under 100 us at 300 idle connections and no
# waiters (the idle-300 load), and growth with the connections linear or
# better.  The report gives the growth per 100 connections between the
# loads, and the ratio of the growth from 300 to 900 to the growth from 0
# to 300 (per 100 connections), pooled and for each pass: about 1 for a
# cost linear in the sessions, above 1 for a cost that grows faster
# (n log n: about 1.3; quadratic: about 4); counted as linear up to 1.1.
#
# Ticks are not filtered: the worker rechecks the catalogs in a short
# transaction every 5 s, and those ticks are longer.  About 1 sample in 50
# lands on one; they count in the median and p90 like any other tick, and
# the max is most likely one of them.
#
# Side by side, at the TICK_GOAL_LOAD load without policies: the query a
# DBA would poll instead, `SELECT state, count(*) FROM pg_stat_activity
# GROUP BY state`, and `SELECT 1` as the client round-trip floor, each in a
# loop by `pgbench -n -c 1 -j 1 -T QUERY_SECONDS` as superuser over the
# Unix socket, interleaved for TICK_QUERY_ROUNDS rounds; reported: mean
# latency per query (pgbench), median over the rounds.  Not the same
# measure as the tick: the tick is timed inside the worker (its own work
# only, no client, no parse or plan), the query through a client round
# trip.
#
# Settings (default): LIFEGUARD_BENCH_TICK_SAMPLES (100),
# LIFEGUARD_BENCH_TICK_LOADS ("0 100 300 900", increasing, must include
# 300), LIFEGUARD_BENCH_TICK_QUERY_ROUNDS (3), LIFEGUARD_BENCH_QUERY_SECONDS
# (3).  With the defaults the suite takes about 100 s.

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register tick 100 "worker tick: last_tick_us at 0, 100, 300 and 900 idle sessions (max_connections 1000), with and without policies, vs the pg_stat_activity query"

TICK_INTERVAL=0.1               # seconds between samples
TICK_NAPTIME=100                # lifeguard.naptime, ms
TICK_MAXCONN=1000
TICK_GOAL_LOAD=300              # idle sessions of the goal, and of the policy loads
TICK_GOAL_US=100                # the goal: median tick under this
TICK_SCRIPT=                    # the sampling psql script
declare -gA TICK_QSCRIPT=()     # query arm -> pgbench script file
declare -gA TICK_SKIPPED=()     # load -> samples skipped (no new tick)
declare -gA TICK_CLIENTS=()     # load -> client backends when sampled
TICK_STAT_Q='SELECT state, count(*) FROM pg_stat_activity GROUP BY state;'

# tick_sample_script FILE N  - the psql script taking N + 1 readings (the
# first one is the reference for "new tick"), with a pause between two.
tick_sample_script() {
	local file=$1 n=$2 i q lines=()
	q='SELECT ticks, last_tick_us FROM lifeguard.worker_status();'
	lines+=("$q")
	for ((i = 0; i < n; i++)); do
		lines+=("SELECT pg_sleep($TICK_INTERVAL);" "$q")
	done
	bench_script "$file" "${lines[@]}"
}

# tick_sample LOAD PASS SCRIPT N  - sample last_tick_us with SCRIPT (N
# readings); one value per new tick goes to BENCH_WORK/results/tick/LOAD
# (every pass of that load) and .../LOAD.PASS; TICK_SKIPPED[LOAD] counts
# the readings that saw no new tick.  Fails when the worker restarted or
# failed meanwhile, or when fewer than half the readings saw a new tick.
tick_sample() {
	local load=$1 pass=$2 script=$3 n=$4 raw out valid skipped before after
	raw=$BENCH_WORK/logs/tick-samples-$load-$pass.log
	out=$BENCH_WORK/results/tick/$load
	mkdir -p "$BENCH_WORK/results/tick"
	before=$(bench_worker_status tick "errors, restarts") || return 1
	TICK_CLIENTS[$load]=$(bench_sql tick postgres \
		"SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'") || return 1
	lg_say "tick: $load ($pass): ${TICK_CLIENTS[$load]} client sessions besides the sampler, $n samples every $TICK_INTERVAL s"
	if ! lg_psql "${BENCH_SOCK[tick]}" "${BENCH_PORT[tick]}" postgres -At -F ' ' \
		-f "$script" </dev/null >"$raw" 2>&1; then
		lg_show "$raw" "psql output" tail 20
		lg_err "tick: $load: sampling failed"
		return 1
	fi
	after=$(bench_worker_status tick "errors, restarts") || return 1
	if [[ $before != "$after" ]]; then
		lg_err "tick: $load: the worker failed or restarted while sampled (errors, restarts: $before before, $after after)"
		return 1
	fi
	# Lines are "TICKS LAST_TICK_US"; pg_sleep() prints empty lines.
	read -r valid skipped < <(awk -v pass="$out.$pass" '
		NF == 2 && $1 ~ /^[0-9]+$/ {
			if (seen && $1 > prev) { print $2 > pass; valid++; prev = $1 }
			else if (seen) skipped++
			else { prev = $1; seen = 1 }
		}
		END { printf "%d %d\n", valid, skipped }' "$raw")
	cat "$out.$pass" >>"$out"
	TICK_SKIPPED[$load]=$((${TICK_SKIPPED[$load]:-0} + skipped))
	lg_info "tick: $load ($pass): $valid new ticks sampled, $skipped readings skipped (no new tick)"
	if ((valid * 2 < n)); then
		lg_err "tick: $load: only $valid of $n readings saw a new tick"
		return 1
	fi
}

# tick_hold TAG N SECONDS  - N more idle sessions of lg_idle, held by one
# background pgbench for at most SECONDS; its pid is left in
# TICK_LAST_HOLDER (and in BENCH_HOLD_PIDS, for the cleanup).
tick_hold() {
	local tag=$1 n=$2 seconds=$3 jobs
	jobs=$((n < 10 ? n : 10))
	pgbench -n -h "${BENCH_SOCK[tick]}" -p "${BENCH_PORT[tick]}" -U lg_idle \
		-c "$n" -j "$jobs" -T "$seconds" -f "$BENCH_WORK/scripts/tick-hold-idle.sql" postgres \
		</dev/null >"$BENCH_WORK/logs/hold-tick-$tag.log" 2>&1 &
	BENCH_HOLD_PIDS+=($!)
	TICK_LAST_HOLDER=$!
}

# tick_wait_idle N TIMEOUT  - wait until exactly N sessions of lg_idle are
# there, all idle.
tick_wait_idle() {
	local want=$1 deadline=$((SECONDS + $2)) have=-1 idle=-1
	while ((SECONDS < deadline)); do
		read -r have idle < <(bench_sql tick postgres "SELECT count(*), count(*) FILTER (WHERE state = 'idle')
			FROM pg_stat_activity WHERE usename = 'lg_idle'" | tr '|' ' ') || have=-1
		if ((have == want && idle == want)); then
			return 0
		fi
		sleep 0.5
	done
	lg_err "tick: $have sessions of lg_idle ($idle idle) after $2 s, expected $want idle"
	return 1
}

# tick_arm_query ARM LOG  - one pgbench loop of ARM's query.
tick_arm_query() {
	bench_pgbench "$2" -n -h "${BENCH_SOCK[tick]}" -p "${BENCH_PORT[tick]}" -U postgres \
		-c 1 -j 1 -T "$QUERY_SECONDS" -f "${TICK_QSCRIPT[$1]}" postgres
}

# tick_row LOAD LABEL GOAL  - one table row; GOAL "-" or the median (us)
# to stay under.
tick_row() {
	local load=$1 label=$2 goal=$3 n med p90 max verdict=-
	read -r n med p90 max < <(bench_dist "$BENCH_WORK/results/tick/$load")
	if [[ $goal != - ]]; then
		if awk -v m="$med" -v g="$goal" 'BEGIN { exit !(m < g) }'; then
			verdict="goal median < $goal µs met"
		else
			verdict="goal median < $goal µs **MISSED** ($(bench_fmt "$(bench_calc "$med / $goal")" 2)× the goal)"
		fi
	fi
	bench_report "| $label | ${TICK_CLIENTS[$load]} | $n (${TICK_SKIPPED[$load]} skipped) | $med | $p90 | $max | $verdict |"
}

# tick_median LOAD  - the median of a load's samples.
tick_median() {
	bench_dist "$BENCH_WORK/results/tick/$1" | cut -d' ' -f2
}

# tick_p10 LOAD  - the lower decile (nearest rank) of a load's samples.
tick_p10() {
	sort -n "$BENCH_WORK/results/tick/$1" | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan"; exit }
			k = int(0.1 * NR); if (k < 0.1 * NR) k++; if (k < 1) k = 1
			print v[k]
		}'
}

# tick_growth SUFFIX LAST [STAT]  - print "G1 G2 RATIO": the growth of the
# median tick (STAT tick_median, the default) or of its lower decile (STAT
# tick_p10) per 100 sessions from 0 to TICK_GOAL_LOAD (G1) and from there
# to LAST (G2), and G2 / G1 ("nan" unless G1 > 0), from the samples
# idle-N.SUFFIX ("" for every pass pooled, ".up", ".down").
tick_growth() {
	local stat=${3:-tick_median} m0 mg ml
	m0=$("$stat" "idle-0$1")
	mg=$("$stat" "idle-$TICK_GOAL_LOAD$1")
	ml=$("$stat" "idle-$2$1")
	awk -v a="$m0" -v b="$mg" -v c="$ml" -v g="$TICK_GOAL_LOAD" -v l="$2" 'BEGIN {
		g1 = (b - a) * 100 / g; g2 = (c - b) * 100 / (l - g)
		if (g1 > 0) printf "%.6f %.6f %.6f\n", g1, g2, g2 / g1
		else printf "%.6f %.6f nan\n", g1, g2
	}'
}

suite_tick() {
	local qrounds hold i n med p90 max qlat qmin qmax slat smin smax published want
	local loads=() holders=() load prev held half half_script growth fit mlast g1 g2 ratio verdict pass
	TICK_SAMPLES=$(bench_env_int LIFEGUARD_BENCH_TICK_SAMPLES 100 10)
	qrounds=$(bench_env_int LIFEGUARD_BENCH_TICK_QUERY_ROUNDS 3 1)
	QUERY_SECONDS=$(bench_env_int LIFEGUARD_BENCH_QUERY_SECONDS 3 1)
	read -r -a loads <<<"${LIFEGUARD_BENCH_TICK_LOADS:-0 100 300 900}"
	prev=-1
	for load in "${loads[@]}"; do
		if ! [[ $load =~ ^[0-9]+$ ]] || ((load <= prev || load + 20 > TICK_MAXCONN)); then
			lg_err "LIFEGUARD_BENCH_TICK_LOADS must be increasing integers under $((TICK_MAXCONN - 20)) (got '${loads[*]}')"
			return 1
		fi
		prev=$load
	done
	if [[ " ${loads[*]} " != *" $TICK_GOAL_LOAD "* || ${loads[0]} != 0 ]]; then
		lg_err "LIFEGUARD_BENCH_TICK_LOADS must start with 0 and include $TICK_GOAL_LOAD (got '${loads[*]}')"
		return 1
	fi
	# The holders outlive the measurement with a margin; the cleanup kills
	# them earlier, and stopping the server ends them in any case.
	hold=$(((${#loads[@]} + 2) * (TICK_SAMPLES / 5 + 10) + 2 * qrounds * (QUERY_SECONDS + 2) + 300))
	TICK_SKIPPED=()
	TICK_CLIENTS=()
	rm -rf "$BENCH_WORK/results/tick"

	# shellcheck disable=SC2034  # read by bench_cluster (dynamic scope)
	local BENCH_CLUSTER_CONF=("lifeguard.naptime = $TICK_NAPTIME")
	lg_say "tick: starting the cluster (max_connections $TICK_MAXCONN, preloaded, naptime $TICK_NAPTIME ms)"
	bench_cluster tick "$TICK_MAXCONN" 1 "CREATE ROLE lg_idle LOGIN" "CREATE ROLE lg_other LOGIN" || return 1
	bench_sql tick postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if ! bench_has_object tick "to_regprocedure('lifeguard.worker_status()')"; then
		lg_err "tick: the installed $LG_EXTENSION has no lifeguard.worker_status()"
		return 1
	fi
	bench_wait_worker tick 30 || return 1

	TICK_SCRIPT=$(tick_sample_script tick-sample.sql "$TICK_SAMPLES")
	half=$(((TICK_SAMPLES + 1) / 2))
	half_script=$(tick_sample_script tick-sample-half.sql "$half")
	TICK_QSCRIPT=(
		[stat]=$(bench_script tick-stat.sql "$TICK_STAT_Q")
		[select1]=$(bench_script tick-select1.sql 'SELECT 1;')
	)
	bench_script tick-hold-idle.sql "\\sleep $hold s" >/dev/null

	# 1. The series, no policy: up through the loads, then down again
	# (half the samples each way), so that a drift of the machine during
	# the series weighs on every load alike.
	held=0
	holders=()
	for load in "${loads[@]}"; do
		if ((load > held)); then
			lg_say "tick: opening $((load - held)) more idle sessions ($load in all)"
			tick_hold "$held-$load" $((load - held)) "$hold"
			holders+=("$TICK_LAST_HOLDER")
			held=$load
			tick_wait_idle "$held" 120 || return 1
		fi
		sleep 1
		tick_sample "idle-$load" up "$half_script" "$half" || return 1
	done
	for ((i = ${#loads[@]} - 1; i >= 0; i--)); do
		load=${loads[i]}
		if ((load < held)); then
			lg_say "tick: ending $((held - load)) idle sessions ($load left)"
			kill "${holders[-1]}" 2>/dev/null || true
			wait "${holders[-1]}" 2>/dev/null || true
			unset 'holders[-1]'
			held=$load
			tick_wait_idle "$held" 60 || return 1
			sleep 1
		fi
		tick_sample "idle-$load" down "$half_script" "$half" || return 1
	done

	# 2. The goal's load again, for the rest.
	lg_say "tick: opening $TICK_GOAL_LOAD idle sessions again"
	tick_hold "0-$TICK_GOAL_LOAD-again" "$TICK_GOAL_LOAD" "$hold"
	tick_wait_idle "$TICK_GOAL_LOAD" 120 || return 1

	# The query a DBA would poll, at the same load, and SELECT 1.
	lg_say "tick: pg_stat_activity query and SELECT 1 at $TICK_GOAL_LOAD idle sessions, $qrounds rounds x 2 x ${QUERY_SECONDS} s"
	bench_interleave query "$qrounds" "$QUERY_SECONDS" tick_arm_query stat select1 || return 1

	# 3. The same sessions, with policies the worker matches every tick.
	lg_say "tick: adding 3 policies (max_connections, idle_timeout 1 hour)"
	bench_sql tick postgres "INSERT INTO lifeguard.policies (name, role_name, application_name, max_connections, idle_timeout)
		VALUES ('tick_role', 'lg_idle', NULL, 1000, '1 hour'),
		       ('tick_app', NULL, 'pgbench%', 1000, '1 hour'),
		       ('tick_none', 'lg_other', NULL, 10, '1 hour')" >/dev/null || return 1
	want="tick_app=$TICK_GOAL_LOAD tick_none=0 tick_role=$TICK_GOAL_LOAD"
	published=
	for ((i = 0; i < 50; i++)); do
		published=$(bench_sql tick postgres "SELECT string_agg(name || '=' || connections, ' ' ORDER BY name)
			FROM lifeguard.policy_status() WHERE problem IS NULL") || return 1
		if [[ $published == "$want" ]]; then
			break
		fi
		sleep 0.2
	done
	if [[ $published != "$want" ]]; then
		lg_err "tick: policies not in force as expected: '$published' (want $want)"
		return 1
	fi
	lg_info "tick: policies in force, sessions counted: $published"
	sleep 2
	tick_sample policies all "$TICK_SCRIPT" "$TICK_SAMPLES" || return 1
	n=$(bench_sql tick postgres "SELECT count(*) FROM pg_stat_activity WHERE usename = 'lg_idle'") || return 1
	if ((n != TICK_GOAL_LOAD)); then
		lg_err "tick: $n of the $TICK_GOAL_LOAD idle sessions are left after the policies phase (some were shed?)"
		return 1
	fi

	# 4. Time limits on top: every session is checked against them each tick.
	lg_say "tick: adding 2 policies with time limits (statement, idle in transaction, transaction, blocking: 1 hour)"
	bench_sql tick postgres "INSERT INTO lifeguard.policies (name, role_name, application_name, statement_timeout,
			idle_in_transaction_timeout, transaction_timeout, blocking_timeout)
		VALUES ('tick_limits_role', 'lg_idle', NULL, '1 hour', '1 hour', '1 hour', '1 hour'),
		       ('tick_limits_app', NULL, 'pgbench%', '1 hour', '1 hour', '1 hour', '1 hour')" >/dev/null || return 1
	for ((i = 0; i < 50; i++)); do
		published=$(bench_sql tick postgres "SELECT count(*) FROM lifeguard.policy_status()
			WHERE statement_timeout = interval '1 hour'") || return 1
		[[ $published == 2 ]] && break
		sleep 0.2
	done
	if [[ $published != 2 ]]; then
		lg_err "tick: the time-limit policies are not in force"
		return 1
	fi
	sleep 2
	tick_sample limits all "$TICK_SCRIPT" "$TICK_SAMPLES" || return 1

	bench_report_begin tick "tick: the worker's tick at ${loads[*]} idle sessions" \
		"cluster: max_connections $TICK_MAXCONN (at every load, so the worker has the same number of slots to scan), shared_buffers 128MB, fsync off, analyzed and frozen before measuring, $LG_EXTENSION preloaded and created in \`postgres\`, \`lifeguard.naptime = $TICK_NAPTIME\`" \
		"series (no policy, nobody waiting): idle sessions held by background \`pgbench\` processes (role lg_idle, application_name pgbench, script \`\\sleep\`), opened in steps up through the loads (${loads[*]}), then ended in steps back down; $half readings per load on the way up and $half on the way down, pooled, so that a drift of the machine during the series weighs on every load alike; every session checked idle before sampling" \
		"policy loads, with $TICK_GOAL_LOAD idle sessions opened again: 3 enabled policies with max_connections and idle_timeout '1 hour' only (role lg_idle, application_name 'pgbench%', role lg_other), checked in force with $TICK_GOAL_LOAD sessions counted on the first two before sampling, nobody shed; then 2 more with four time limits of '1 hour' each; $TICK_SAMPLES readings each" \
		"measure: \`SELECT ticks, last_tick_us FROM lifeguard.worker_status()\` from one psql session, readings $TICK_INTERVAL s apart (\`pg_sleep\`); a reading counts only when \`ticks\` advanced (a new tick), else it is skipped; \`last_tick_us\` is the wall-clock time of the worker's last tick, measured by the worker itself" \
		"not filtered: every 5 s the worker rechecks the catalogs in a short transaction; those ticks count in the median and p90 like the others, and the max includes them" \
		"client sessions: client backends in \`pg_stat_activity\` besides the sampling psql session (which is there at every load)"
	bench_report "| load | client sessions | samples | median µs | p90 µs | max µs | goal |" \
		"| --- | --- | --- | --- | --- | --- | --- |"
	for load in "${loads[@]}"; do
		if ((load == 0)); then
			tick_row idle-0 "no client session held" -
		elif ((load == TICK_GOAL_LOAD)); then
			tick_row "idle-$load" "$load idle sessions, no policy, no waiter" "$TICK_GOAL_US"
		else
			tick_row "idle-$load" "$load idle sessions, no policy, no waiter" -
		fi
	done
	tick_row policies "$TICK_GOAL_LOAD idle sessions + 3 policies (max_connections, idle_timeout)" -
	tick_row limits "the same + 2 policies with 4 time limits each, matching every session" -

	# Growth with the connections, from the medians of the series.
	growth=
	prev=
	for load in "${loads[@]}"; do
		if [[ -n $prev ]]; then
			growth+="${growth:+, }$prev→$load: $(bench_fmt "$(bench_calc "($(tick_median "idle-$load") - $(tick_median "idle-$prev")) * 100 / ($load - $prev)")" 1)"
		fi
		prev=$load
	done
	# least-squares slope of median against sessions, per 100 sessions
	fit=$(for load in "${loads[@]}"; do printf '%s %s\n' "$load" "$(tick_median "idle-$load")"; done |
		awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
			END { d = n * sxx - sx * sx; if (n < 2 || d == 0) print "nan"; else printf "%.2f\n", 100 * (n * sxy - sx * sy) / d }')
	bench_report "" "Growth with the connections (medians of the series above, no policy):" "" \
		"- medians on the way up / on the way down: $(for load in "${loads[@]}"; do printf '%s: %s / %s µs; ' "$load" "$(tick_median "idle-$load.up")" "$(tick_median "idle-$load.down")"; done | sed 's/; $//')" \
		"- per 100 more idle sessions, between loads: $growth µs; least-squares slope over the ${#loads[@]} loads: $fit µs per 100 sessions"
	mlast=${loads[-1]}
	if ((mlast > TICK_GOAL_LOAD)); then
		read -r g1 g2 ratio < <(tick_growth "" "$mlast")
		if [[ $ratio != nan ]]; then
			if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.1) }'; then
				verdict="linear or better (goal met)"
			else
				verdict="faster than linear (goal **MISSED**)"
			fi
			pass=
			for load in up down; do
				pass+="${pass:+, }$load $(tick_growth ".$load" "$mlast" | awk '{ if ($3 == "nan") print "nan"; else printf "%.2f", $3 }')"
			done
			bench_report "- growth per 100 sessions from $TICK_GOAL_LOAD to $mlast ($(bench_fmt "$g2" 1) µs) over that from 0 to $TICK_GOAL_LOAD ($(bench_fmt "$g1" 1) µs): **$(bench_fmt "$ratio" 2)** (each pass alone: $pass); 1 is linear, below 1 better than linear, a cost in n log n about 1.3, a quadratic cost about 4; counted as linear or better up to 1.1: $verdict"
			# Other work on the machine only ever adds to a tick's wall-clock
			# time, so the lower decile shows the tick's own cost more
			# steadily than the median.
			read -r g1 g2 ratio < <(tick_growth "" "$mlast" tick_p10)
			bench_report "- the same from the lower deciles (other work on the machine only adds to a tick's wall-clock time, so the lower decile is the steadier measure of the tick's own cost): p10 $(for load in "${loads[@]}"; do printf '%s: %s µs, ' "$load" "$(tick_p10 "idle-$load")"; done)growth $(bench_fmt "$g1" 1) then $(bench_fmt "$g2" 1) µs per 100 sessions, ratio $(awk -v r="$ratio" 'BEGIN { if (r == "nan") print "nan"; else printf "%.2f", r }')"
		else
			bench_report "- no growth measured from 0 to $TICK_GOAL_LOAD sessions (growth per 100 sessions $(bench_fmt "$g1" 1) µs); from $TICK_GOAL_LOAD to $mlast: $(bench_fmt "$g2" 1) µs per 100 sessions"
		fi
	fi

	med=$(tick_median "idle-$TICK_GOAL_LOAD")
	read -r qlat qmin qmax _ < <(bench_stats "$BENCH_WORK/results/query/stat" 3)
	read -r slat smin smax _ < <(bench_stats "$BENCH_WORK/results/query/select1" 3)
	bench_report "" \
		"Side by side at the $TICK_GOAL_LOAD-idle load (no policy), \`pgbench -n -c 1 -j 1 -T $QUERY_SECONDS -U postgres\` over the Unix socket, $qrounds rounds interleaved; mean latency per query from pgbench, median over the rounds (min–max):" \
		"" \
		"| what | µs, median (min–max) | measured |" \
		"| --- | --- | --- |" \
		"| worker tick (median of the idle-$TICK_GOAL_LOAD samples above) | $med | inside the worker: its own work, no client |" \
		"| \`$TICK_STAT_Q\` | $(bench_fmt "$(bench_calc "$qlat * 1000")" 0) ($(bench_fmt "$(bench_calc "$qmin * 1000")" 0)–$(bench_fmt "$(bench_calc "$qmax * 1000")" 0)) | pgbench latency: client round trip, parse, plan, execute |" \
		"| \`SELECT 1;\` (round-trip floor) | $(bench_fmt "$(bench_calc "$slat * 1000")" 0) ($(bench_fmt "$(bench_calc "$smin * 1000")" 0)–$(bench_fmt "$(bench_calc "$smax * 1000")" 0)) | pgbench latency, same path |" \
		"" \
		"- ratio: the \`pg_stat_activity\` query's mean latency / the tick's median = $(bench_fmt "$(bench_calc "$qlat * 1000 / $med")" 2); over \`SELECT 1\`, the query takes $(bench_fmt "$(bench_calc "($qlat - $slat) * 1000")" 0) µs more, $(bench_fmt "$(bench_calc "($qlat - $slat) * 1000 / $med")" 2)× the tick's median" \
		"- not the same measure: the tick is timed by the worker around its own work; the query's figure is what a client waits for, round trip included"
	bench_report_end

	bench_kill_holders
	bench_stop tick
}
