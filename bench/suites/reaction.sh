# shellcheck shell=bash
#
# bench/suites/reaction.sh - how soon pg_lifeguard acts once a time limit
# is broken, at three naptimes.
#
# One cluster, max_connections 100 (at most about 45 sessions at once
# here), pg_lifeguard preloaded and created in `postgres`, three enabled
# policies, each with a limit of REACT_LIMIT_MS (1000 ms) and action
# `cancel`, each naming its own role:
#
#   statement_timeout            role lg_r_stmt: sessions running
#                                `SELECT pg_sleep(60)`; cancelled
#   idle_in_transaction_timeout  role lg_r_itx: sessions that run `BEGIN;
#                                SELECT 1;` and then wait (pgbench `\sleep`);
#                                terminated (a cancel is ignored there)
#   blocking_timeout             role lg_r_root: roots that `LOCK TABLE
#                                react_K IN ACCESS EXCLUSIVE MODE` and run
#                                `SELECT pg_sleep(60)` in that transaction,
#                                each blocking one waiter (role lg_r_wait,
#                                no policy) that runs `SELECT count(*) FROM
#                                react_K`; cancelled
#
# For each lifeguard.naptime in REACT_NAPTIMES (100, 250, 1000 ms; set with
# ALTER SYSTEM and a reload, and checked in force both in a new session's
# SHOW and in worker_status().settings before measuring), REACT_BATCHES (2)
# batches.  In a batch, REACT_SESSIONS (10) roots take their locks first;
# then REACT_SESSIONS sessions of each kind start (the waiters, the
# statements, the idle transactions), each after its own random delay in
# [0, 1 s), so their limits run out at random phases of the worker's tick.
#
# What is measured: reaction - limit, where
#
#   reaction = event_time of the session's event in lifeguard.recent_events()
#              (recorded by the worker right after it signalled)
#            - the start of the violation, as the worker measures it and
#              PostgreSQL records it:
#                statement            pg_stat_activity.query_start
#                idle in transaction  pg_stat_activity.state_change (the
#                                     last time it became idle in its
#                                     transaction)
#                blocking             pg_locks.waitstart of the waiter the
#                                     root blocks (its oldest direct waiter:
#                                     it has only one)
#
# All of these are timestamps taken by the server's own clock in the
# processes concerned, so neither client round trips nor the observer's
# polling enter the result.  The observer (one superuser psql session, in a
# PL/pgSQL loop every 20 ms) only has to see each session once while its
# violation lasts (at least a second), to read the start.
#
# Goal (issue 7): reaction - limit <= one naptime at every percentile
# measured (n, median, p90 by nearest rank, max).  Sessions of the three
# kinds run together: the worker acts on each offence in the tick that
# finds it, one after the other, so a tick that finds several delays the
# later ones by the few hundred microseconds each act takes; with starts
# spread over a second, few share a tick.
#
# Settings (default): LIFEGUARD_BENCH_REACTION_SESSIONS (10),
# LIFEGUARD_BENCH_REACTION_BATCHES (2).  With the defaults the suite takes
# about 30 s.

# Called indirectly (suite_NAME).
# shellcheck disable=SC2317

bench_register reaction 30 "reaction time: statement, idle-in-transaction and blocking limits, naptime 100, 250 and 1000 ms"

REACT_LIMIT_MS=1000
REACT_SPREAD_MS=1000
REACT_NAPTIMES=(100 250 1000)
REACT_KINDS=(statement_timeout idle_in_transaction_timeout blocking_timeout)
REACT_SESSIONS=10
REACT_BATCHES=2
REACT_OBSERVER=                 # the observer's psql script

# react_observer_script  - the observer: records the start of every
# violation it sees and the events that answer them, until it has
# react.want events or react.deadline seconds have passed; then prints
# one line per violation: "KIND PID EXCESS_MS ACTION" (EXCESS_MS =
# reaction - limit; "none" when no event came).
# shellcheck disable=SC2016  # $$ and $q$ are SQL dollar quotes
react_observer_script() {
	bench_script react-observer.sql \
		"SELECT set_config('react.want', :'want', false), set_config('react.deadline', :'deadline', false), set_config('react.limit_ms', :'limit_ms', false) \\g /dev/null" \
		'CREATE TEMP TABLE seen (kind text, pid int, start timestamptz, PRIMARY KEY (kind, pid));' \
		'CREATE TEMP TABLE acted (kind text, pid int, event_time timestamptz, action text, PRIMARY KEY (kind, pid));' \
		'DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
  want int := current_setting($q$react.want$q$)::int;
  deadline interval := make_interval(secs => current_setting($q$react.deadline$q$)::float8);
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO seen
      SELECT $q$statement_timeout$q$, pid, query_start
        FROM pg_stat_activity
       WHERE usename = $q$lg_r_stmt$q$ AND state = $q$active$q$ AND query LIKE $q$SELECT pg_sleep%$q$
      UNION ALL
      SELECT $q$idle_in_transaction_timeout$q$, pid, state_change
        FROM pg_stat_activity
       WHERE usename = $q$lg_r_itx$q$ AND state = $q$idle in transaction$q$
      UNION ALL
      SELECT $q$blocking_timeout$q$, r.pid, l.waitstart
        FROM pg_stat_activity AS r
        JOIN pg_stat_activity AS w
          ON w.usename = $q$lg_r_wait$q$
         AND w.application_name = replace(r.application_name, $q$root$q$, $q$wait$q$)
        JOIN pg_locks AS l ON l.pid = w.pid AND NOT l.granted AND l.waitstart IS NOT NULL
       WHERE r.usename = $q$lg_r_root$q$
    ON CONFLICT (kind, pid) DO UPDATE SET start = EXCLUDED.start;
    INSERT INTO acted
      SELECT kind, pid, event_time, action
        FROM lifeguard.recent_events(t0)
       WHERE kind IN ($q$statement_timeout$q$, $q$idle_in_transaction_timeout$q$, $q$blocking_timeout$q$)
    ON CONFLICT (kind, pid) DO NOTHING;
    EXIT WHEN (SELECT count(*) FROM acted) >= want OR clock_timestamp() - t0 > deadline;
    PERFORM pg_sleep(0.02);
  END LOOP;
END
$$;' \
		"SELECT kind, pid,
       coalesce(round((extract(epoch FROM a.event_time - s.start) * 1000
                       - current_setting('react.limit_ms')::numeric), 1)::text, 'none'),
       coalesce(a.action, 'none')
  FROM seen AS s FULL JOIN acted AS a USING (kind, pid)
 ORDER BY 1, 2;"
}

# react_launch TAG ROLE DELAY_MS SCRIPT  - start one pgbench client running
# SCRIPT once as ROLE with application_name TAG, after DELAY_MS; its pid
# goes to BENCH_HOLD_PIDS (the cleanup ends it, whatever happens).
react_launch() {
	local tag=$1 role=$2 delay=$3 script=$4
	(
		sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
		PGAPPNAME=$tag exec pgbench -n -h "${BENCH_SOCK[react]}" -p "${BENCH_PORT[react]}" -U "$role" \
			-c 1 -t 1 -f "$script" postgres
	) </dev/null >"$BENCH_WORK/logs/react-$tag.log" 2>&1 &
	BENCH_HOLD_PIDS+=($!)
}

# react_wait_gone TIMEOUT  - wait until no session of the lg_r_* roles is
# left.
react_wait_gone() {
	local deadline=$((SECONDS + $1)) left=-1
	while ((SECONDS < deadline)); do
		left=$(bench_sql react postgres "SELECT count(*) FROM pg_stat_activity WHERE usename LIKE 'lg\\_r\\_%'") || left=-1
		if ((left == 0)); then
			return 0
		fi
		sleep 0.2
	done
	lg_err "reaction: $left sessions of the lg_r_* roles left after $1 s"
	return 1
}

# react_set_naptime MS  - reload with lifeguard.naptime = MS and wait
# until a new session's SHOW and the worker's settings both have it.
react_set_naptime() {
	local ms=$1 show worker i
	bench_sql react postgres "ALTER SYSTEM SET lifeguard.naptime = '${ms}ms'" "SELECT pg_reload_conf()" >/dev/null || return 1
	for ((i = 0; i < 50; i++)); do
		show=$(bench_sql react postgres \
			"SELECT current_setting('lifeguard.naptime') || ' ' || (extract(epoch FROM current_setting('lifeguard.naptime')::interval) * 1000)::int") || return 1
		worker=$(bench_sql react postgres "SELECT settings->>'naptime' FROM lifeguard.worker_status()") || return 1
		if [[ ${show#* } == "$ms" && $worker == "${show% *}" ]]; then
			REACT_SHOWN[$ms]="SHOW lifeguard.naptime = ${show% *}, worker_status().settings->>'naptime' = $worker"
			lg_info "reaction: naptime in force: ${REACT_SHOWN[$ms]}"
			return 0
		fi
		sleep 0.2
	done
	lg_err "reaction: naptime ${ms} ms not in force after 10 s (SHOW: '$show', worker: '$worker')"
	return 1
}

# react_batch NAPTIME BATCH  - one batch; appends EXCESS_MS values to
# BENCH_WORK/results/reaction/NAPTIME-KIND, the actions taken to
# .../NAPTIME-KIND.actions, and counts what was not measured.
react_batch() {
	local nap=$1 b=$2 k tag deadline out line kind pid excess action obs_pid
	local dir=$BENCH_WORK/results/reaction
	mkdir -p "$dir"
	# roots first: each takes its lock and sleeps in that transaction
	for ((k = 0; k < REACT_SESSIONS; k++)); do
		react_launch "react_root_$k" lg_r_root 0 "$BENCH_WORK/scripts/react-root-$k.sql"
	done
	bench_wait_sessions react "usename = 'lg_r_root' AND state = 'active' AND query LIKE 'SELECT pg_sleep%'" \
		"$REACT_SESSIONS" 30 || return 1

	# the observer, then the violations at random delays
	deadline=$(((REACT_SPREAD_MS + REACT_LIMIT_MS + nap) / 1000 + 5))
	out=$BENCH_WORK/logs/react-observer-$nap-$b.log
	(PGAPPNAME=react_observer lg_psql "${BENCH_SOCK[react]}" "${BENCH_PORT[react]}" postgres -At -F ' ' \
		-v want=$((3 * REACT_SESSIONS)) -v deadline="$deadline" -v limit_ms="$REACT_LIMIT_MS" \
		-f "$REACT_OBSERVER") </dev/null >"$out" 2>&1 &
	obs_pid=$!
	bench_wait_sessions react "application_name = 'react_observer' AND state = 'active' AND query LIKE 'DO%'" 1 20 || return 1
	for ((k = 0; k < REACT_SESSIONS; k++)); do
		react_launch "react_wait_$k" lg_r_wait $((RANDOM % REACT_SPREAD_MS)) "$BENCH_WORK/scripts/react-wait-$k.sql"
		react_launch "react_stmt_$k" lg_r_stmt $((RANDOM % REACT_SPREAD_MS)) "$BENCH_WORK/scripts/react-stmt.sql"
		react_launch "react_itx_$k" lg_r_itx $((RANDOM % REACT_SPREAD_MS)) "$BENCH_WORK/scripts/react-itx.sql"
	done
	if ! wait "$obs_pid"; then
		lg_show "$out" "observer output" tail 20
		lg_err "reaction: the observer failed (naptime $nap, batch $b)"
		return 1
	fi
	# the told-why check reads the statement clients' logs: they have
	# ended (cancelled) or are ended now
	bench_kill_holders
	for ((k = 0; k < REACT_SESSIONS; k++)); do
		if grep -q 'due to pg_lifeguard policy "react_statement"' "$BENCH_WORK/logs/react-react_stmt_$k.log"; then
			REACT_TOLD=$((REACT_TOLD + 1))
		fi
	done
	while read -r kind pid excess action; do
		[[ -n $kind ]] || continue
		if [[ $excess == none ]]; then
			if [[ $action == none ]]; then
				REACT_NOTACTED=$((REACT_NOTACTED + 1))
				lg_warn "reaction: naptime $nap: no event for $kind of pid $pid within ${deadline} s"
			else
				REACT_NOSTART=$((REACT_NOSTART + 1))
				lg_warn "reaction: naptime $nap: $kind of pid $pid acted on ($action) but its start was not seen"
			fi
			continue
		fi
		printf '%s\n' "$excess" >>"$dir/$nap-$kind"
		printf '%s\n' "$action" >>"$dir/$nap-$kind.actions"
	done <"$out"
	react_wait_gone 20
}

suite_reaction() {
	local k nap b kind n med p90 max min verdict actions line shown sql=() miss=()
	REACT_SESSIONS=$(bench_env_int LIFEGUARD_BENCH_REACTION_SESSIONS 10 1)
	REACT_BATCHES=$(bench_env_int LIFEGUARD_BENCH_REACTION_BATCHES 2 1)
	REACT_TOLD=0
	REACT_NOTACTED=0
	REACT_NOSTART=0
	declare -gA REACT_SHOWN=()
	rm -rf "$BENCH_WORK/results/reaction"

	sql=("CREATE ROLE lg_r_stmt LOGIN" "CREATE ROLE lg_r_itx LOGIN" "CREATE ROLE lg_r_root LOGIN"
		"CREATE ROLE lg_r_wait LOGIN")
	for ((k = 0; k < REACT_SESSIONS; k++)); do
		sql+=("CREATE TABLE react_$k (id int)" "ALTER TABLE react_$k OWNER TO lg_r_root"
			"GRANT SELECT ON react_$k TO lg_r_wait")
		bench_script "react-root-$k.sql" 'BEGIN;' "LOCK TABLE react_$k IN ACCESS EXCLUSIVE MODE;" \
			'SELECT pg_sleep(60);' 'END;' >/dev/null
		bench_script "react-wait-$k.sql" "SELECT count(*) FROM react_$k;" >/dev/null
	done
	bench_script react-stmt.sql 'SELECT pg_sleep(60);' >/dev/null
	bench_script react-itx.sql 'BEGIN;' 'SELECT 1;' '\sleep 60 s' 'END;' >/dev/null
	REACT_OBSERVER=$(react_observer_script)

	lg_say "reaction: starting the cluster (max_connections 100, preloaded)"
	bench_cluster react 100 1 "${sql[@]}" || return 1
	bench_sql react postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if ! bench_has_object react "to_regprocedure('lifeguard.recent_events(timestamptz)')" ||
		! bench_has_object react "to_regclass('lifeguard.policies')"; then
		lg_err "reaction: the installed $LG_EXTENSION has no lifeguard.policies or recent_events()"
		return 1
	fi
	bench_sql react postgres "INSERT INTO lifeguard.policies (name, role_name, statement_timeout, idle_in_transaction_timeout, blocking_timeout, action)
		VALUES ('react_statement', 'lg_r_stmt', make_interval(secs => $REACT_LIMIT_MS / 1000.0), NULL, NULL, 'cancel'),
		       ('react_idle_in_transaction', 'lg_r_itx', NULL, make_interval(secs => $REACT_LIMIT_MS / 1000.0), NULL, 'cancel'),
		       ('react_blocking', 'lg_r_root', NULL, NULL, make_interval(secs => $REACT_LIMIT_MS / 1000.0), 'cancel')" >/dev/null || return 1
	for ((k = 0; k < 50; k++)); do
		n=$(bench_sql react postgres "SELECT count(*) FROM lifeguard.policy_status() WHERE name LIKE 'react\\_%' AND problem IS NULL") || return 1
		((n == 3)) && break
		sleep 0.2
	done
	if ((n != 3)); then
		lg_err "reaction: the 3 policies are not in force ($n)"
		return 1
	fi

	for nap in "${REACT_NAPTIMES[@]}"; do
		react_set_naptime "$nap" || return 1
		# let a few ticks pass at the new cadence
		sleep "$(bench_calc "3 * $nap / 1000")"
		for ((b = 1; b <= REACT_BATCHES; b++)); do
			lg_say "reaction: naptime $nap ms, batch $b/$REACT_BATCHES: $REACT_SESSIONS sessions of each kind"
			react_batch "$nap" "$b" || return 1
		done
	done

	shown=
	for nap in "${REACT_NAPTIMES[@]}"; do
		shown+="${shown:+; }${REACT_SHOWN[$nap]}"
	done
	bench_report_begin reaction "reaction: time from a broken limit to pg_lifeguard's action" \
		"cluster: max_connections 100 (at most $((4 * REACT_SESSIONS + 5)) sessions at once here), shared_buffers 128MB, fsync off, $LG_EXTENSION preloaded and created in \`postgres\`; 3 enabled policies, limit $REACT_LIMIT_MS ms each, action \`cancel\`: \`statement_timeout\` (role lg_r_stmt, \`SELECT pg_sleep(60)\`), \`idle_in_transaction_timeout\` (role lg_r_itx, \`BEGIN; SELECT 1;\` then idle; terminated, as a cancel is ignored there), \`blocking_timeout\` (role lg_r_root: \`LOCK TABLE ... IN ACCESS EXCLUSIVE MODE\` then \`SELECT pg_sleep(60)\` in that transaction, one waiter \`SELECT count(*)\` behind each)" \
		"\`lifeguard.naptime\` set with ALTER SYSTEM and a reload, checked in force before measuring: $shown" \
		"per naptime: $REACT_BATCHES batch(es); per batch $REACT_SESSIONS roots take their locks, then $REACT_SESSIONS sessions of each kind (waiters, statements, idle transactions) start, each after a random delay in [0, $REACT_SPREAD_MS ms), so limits run out at random phases of the tick; the three kinds run together" \
		"measure: reaction − limit = \`event_time\` of the session's event in \`lifeguard.recent_events()\` (recorded by the worker right after the signal) − the violation's start − the limit; start = \`pg_stat_activity.query_start\` (statement), \`pg_stat_activity.state_change\` (idle in transaction), \`pg_locks.waitstart\` of the blocked waiter (blocking): all server timestamps, read by an observer session polling every 20 ms while the violation lasts; no client round trip enters the figure" \
		"goal: reaction − limit ≤ one naptime at every percentile measured (median, p90 by nearest rank, max)"
	bench_report "| naptime | limit | n | median ms | p90 ms | max ms | min ms | actions | goal ≤ naptime |" \
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for nap in "${REACT_NAPTIMES[@]}"; do
		for kind in "${REACT_KINDS[@]}"; do
			read -r n med p90 max < <(bench_dist "$BENCH_WORK/results/reaction/$nap-$kind")
			min=$({ sort -g "$BENCH_WORK/results/reaction/$nap-$kind" 2>/dev/null || true; } | head -n 1)
			actions=$({ sort "$BENCH_WORK/results/reaction/$nap-$kind.actions" 2>/dev/null || true; } | uniq -c |
				awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
			if ((n == 0)); then
				verdict="not measured"
				miss+=("$nap ms $kind: not measured")
			else
				verdict=$(awk -v m="$med" -v p="$p90" -v x="$max" -v g="$nap" 'BEGIN {
					bad = ""
					if (m > g) bad = bad " median"
					if (p > g) bad = bad " p90"
					if (x > g) bad = bad " max"
					if (bad == "") print "met"
					else printf "**MISSED** at%s (max %.1f ms over)\n", bad, x - g
				}')
				if [[ $verdict != met ]]; then
					miss+=("$nap ms $kind: ${verdict#\*\*MISSED\*\* }")
				fi
			fi
			bench_report "| $nap ms | \`$kind\` $REACT_LIMIT_MS ms | $n | $med | $p90 | $max | ${min:-} | ${actions:-none} | $verdict |"
		done
	done
	bench_report "" "- how to read: reaction − limit is how long after its limit a session was acted on. A worker that has seen the limit running wakes up just after it runs out, so this is the wake-up and the action (a transaction, re-reading the session, the signal, the event): milliseconds, whatever the naptime. Before that wake-up existed (up to git ff2d2b9) it was the wait for the next tick, up to one naptime (median about half a naptime), plus the action, so the max could exceed the naptime by a few milliseconds"
	line="- clients told why: $REACT_TOLD of $((REACT_SESSIONS * REACT_BATCHES * ${#REACT_NAPTIMES[@]})) cancelled statement clients got the error naming policy \"react_statement\" (pgbench logs)"
	bench_report "$line"
	if ((REACT_NOTACTED + REACT_NOSTART)); then
		bench_report "- not measured: $REACT_NOTACTED violations without an event within the observer's deadline, $REACT_NOSTART acted on whose start the observer did not see"
	fi
	if ((${#miss[@]})); then
		bench_report "- goal missed: $(printf '%s; ' "${miss[@]}" | sed 's/; $//')"
	else
		bench_report "- goal met at every naptime, for every policy and percentile"
	fi
	bench_report_end

	bench_stop react
}
