#!/usr/bin/env bash
#
# scripts/demo.sh - see pg_lifeguard running.
#
#   scripts/demo.sh [start]   install packages if missing, build and install
#                             pg_lifeguard, (re)start a sandbox cluster with it
#                             preloaded, wait for the worker's first ticks and
#                             show what it reports; the sandbox keeps running
#   scripts/demo.sh status    show whether the sandbox runs and how to connect
#   scripts/demo.sh stop      stop the sandbox and remove its directory
#
# The sandbox lives in /tmp/pg_lifeguard_demo (LIFEGUARD_DEMO_DIR to change
# it), listens on 127.0.0.1 and on a socket in that directory, on the first
# free port from 25440 up, and belongs to the `postgres` OS user (or to the
# calling user when run without root through passwordless sudo).  It never
# touches Debian's own cluster on 5432.

set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every path below is absolute; the postgres user may not be allowed into the
# caller's directory (e.g. /root/...), so work from /.
cd /

DEMO_DIR=${LIFEGUARD_DEMO_DIR:-/tmp/pg_lifeguard_demo}
DEMO_DATA=$DEMO_DIR/data
DEMO_SOCK=$DEMO_DIR/sock
DEMO_LOG=$DEMO_DIR/server.log
DEMO_STATE=$DEMO_DIR/demo.env      # PORT=..., HTTP_PORT=..., written at start
DEMO_MARKER=$DEMO_DIR/.pg_lifeguard_demo  # only a dir with this is ever removed
WAIT_SECONDS=${LIFEGUARD_DEMO_WAIT:-30}
DEMO_PORT=
DEMO_HTTP_PORT=

BUILD_DIR=
cleanup() {
	if [[ -n $BUILD_DIR && -d $BUILD_DIR ]]; then
		rm -rf "$BUILD_DIR"
	fi
}
trap cleanup EXIT

# demo_psql ARGS...  - psql into the sandbox's postgres database.
demo_psql() {
	lg_psql "$DEMO_SOCK" "$DEMO_PORT" postgres -P pager=off "$@"
}

# demo_stop  - stop the sandbox (if one runs) and remove its directory.
demo_stop() {
	[[ -e $DEMO_DIR ]] || return 0
	if [[ ! -e $DEMO_MARKER ]]; then
		lg_err "$DEMO_DIR exists but was not made by scripts/demo.sh; not touching it"
		return 1
	fi
	if [[ -f $DEMO_DATA/postmaster.pid ]]; then
		lg_say "stopping the sandbox in $DEMO_DIR"
		lg_cluster_stop "$DEMO_DATA"
		if [[ -f $DEMO_DATA/postmaster.pid ]] &&
			kill -0 "$(head -n 1 "$DEMO_DATA/postmaster.pid")" 2>/dev/null; then
			lg_err "the sandbox server is still running; not removing $DEMO_DIR"
			return 1
		fi
	fi
	rm -rf "$DEMO_DIR"
}

# print_connect_help  - how to get in and how to stop.
print_connect_help() {
	local psql_cmd="psql -h $DEMO_SOCK -p $DEMO_PORT -U postgres postgres"
	cat <<EOF

Sandbox running: PostgreSQL $LG_PG_MAJOR with $LG_EXTENSION preloaded
  data directory   $DEMO_DATA
  server log       $DEMO_LOG
  connect          $psql_cmd
EOF
	if [[ $LG_TEST_USER == postgres ]]; then
		printf '  %-16s %s\n' "or, as root" "runuser -u postgres -- $psql_cmd"
	fi
	cat <<EOF
  over TCP         psql -h 127.0.0.1 -p $DEMO_PORT -U postgres postgres
  try              SELECT * FROM lifeguard.report();
                   SELECT * FROM lifeguard.worker_status();
                   SELECT * FROM lifeguard.events ORDER BY id;
  HTTP (no slot)   curl http://127.0.0.1:$DEMO_HTTP_PORT/metrics
                   curl http://127.0.0.1:$DEMO_HTTP_PORT/health
                   curl 'http://127.0.0.1:$DEMO_HTTP_PORT/events?since=0'
  stop             $LG_REPO/scripts/demo.sh stop
EOF
}

# ==========================================================================
# Outage replays.
#
# Later features add their scenarios here: each one drives the sandbox into
# one of the outages pg_lifeguard exists for (every client slot taken, a
# lock queue jam behind a waiting DDL, an idle-in-transaction blocker, a
# partition job missing its cadence, ...) and shows what pg_lifeguard did
# about it (events, refusals, cancels), using demo_psql against the sandbox.
# ==========================================================================
replay_outage() {
	replay_slot_exhaustion
	replay_stuck_maintenance
	replay_partition_job
	show_aftermath
}

# show_http PATH  - GET the sandbox's HTTP endpoint, body and status code.
show_http() {
	lg_say "curl -s http://127.0.0.1:$DEMO_HTTP_PORT$1"
	curl -s -w 'HTTP %{http_code}\n' "http://127.0.0.1:$DEMO_HTTP_PORT$1" | sed 's/^/    /'
}

# After the replays: the report an engineer reads first, and the history
# the worker wrote to lifeguard.events.
show_aftermath() {
	lg_say "SELECT * FROM lifeguard.report();"
	demo_psql -XAt -c 'SELECT * FROM lifeguard.report(8)' | sed 's/^/    /'
	lg_say "the history the worker wrote: SELECT kind, count(*) FROM lifeguard.events GROUP BY kind;"
	demo_wait 10 "SELECT events_pending = 0 FROM lifeguard.worker_status()"
	demo_psql -c "SELECT kind, count(*), max(event_time)::time(0) AS last
	              FROM lifeguard.events GROUP BY kind ORDER BY min(id)"
	show_http /health
}

# demo_wait SECONDS SQL  - poll SQL (a boolean) until true, with a deadline.
demo_wait() {
	local deadline=$((SECONDS + $1)) out=
	while ((SECONDS < deadline)); do
		out=$(demo_psql -tA -c "$2" 2>/dev/null) && [[ $out == t ]] && return 0
		sleep 0.2
	done
	lg_err "still false after $1 s: $2"
	return 1
}

# Replay 1: an old deployment leaks idle connections until every ordinary
# slot is taken.  The application is refused, an operator who is not a
# superuser still gets in, and a policy sheds the leaked sessions.
REPLAY_PIDS=()
replay_slot_exhaustion() {
	local free i err pid
	lg_say "outage replay 1: an old deployment leaks connections until every slot is taken"
	demo_psql -q <<'SQL'
CREATE ROLE app LOGIN;
CREATE ROLE dba_team NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE dba_team;  -- an operator, not a superuser
SQL
	# slots().used counts the session asking: leave it out
	free=$(demo_psql -tAc 'SELECT usable - (used - 1) FROM lifeguard.slots()')
	lg_info "max_connections = 20, superuser_reserved_connections = 2, lifeguard.reserved_admin_slots = 3"
	lg_info "opening $free idle sessions as role app, application_name old-deploy-v1"
	# The last ones may race the demo's own short connections (which are
	# still exiting) for the last slots and be refused by the admin reserve:
	# top up until the slots are full.
	for ((i = 0; i < free + 5; i++)); do
		(sleep 300 | lg_as_test_user env PGAPPNAME=old-deploy-v1 \
			psql -X -q -h "$DEMO_SOCK" -p "$DEMO_PORT" -U app postgres >/dev/null 2>&1) 2>/dev/null &
		REPLAY_PIDS+=($!)
		if ((i >= free - 1)); then
			sleep 1
			[[ $(demo_psql -tAc 'SELECT used - 1 >= usable FROM lifeguard.slots()') == t ]] && break
		fi
	done
	demo_wait 30 "SELECT used - 1 >= usable FROM lifeguard.slots()"
	demo_wait 10 "SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'slot_critical'"

	lg_say "SELECT * FROM lifeguard.slots();"
	demo_psql -c 'SELECT used, free, usable, used_pct, idle, authenticating, status FROM lifeguard.slots()'
	lg_say "SELECT * FROM lifeguard.slot_usage('application');"
	demo_psql -c "SELECT * FROM lifeguard.slot_usage('application')"

	lg_say "the application tries one more connection:"
	err=$(lg_as_test_user psql -X -h "$DEMO_SOCK" -p "$DEMO_PORT" -U app postgres -c 'SELECT 1' 2>&1 || true)
	printf '    %s\n' "${err//$'\n'/$'\n'    }"
	lg_say "monitoring needs no client slot: the HTTP endpoint answers from its own worker"
	show_http /health
	lg_say "curl -s http://127.0.0.1:$DEMO_HTTP_PORT/metrics | grep -E 'slots_(used|free|status) |old-deploy'"
	curl -s "http://127.0.0.1:$DEMO_HTTP_PORT/metrics" |
		grep -E '^pg_lifeguard_(slots_(used|free|status) |application_sessions\{application_name="old-deploy)' |
		sed 's/^/    /'
	lg_say "the operator alice (member of lifeguard.admin_roles, not a superuser) logs in:"
	lg_as_test_user psql -X -h "$DEMO_SOCK" -p "$DEMO_PORT" -U alice postgres \
		-c "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"

	lg_say "alice adds a policy: idle sessions of the old deployment go first when slots run short"
	demo_psql -c "INSERT INTO lifeguard.policies (name, application_name, shed_idle_after)
	              VALUES ('old_deploy', 'old-deploy%', '2 s')"
	demo_wait 30 "SELECT (used - 1) * 100 < usable * current_setting('lifeguard.slot_warning')::int
	              FROM lifeguard.slots()"
	lg_say "SELECT * FROM lifeguard.slots();   (used counts this psql session too)"
	demo_psql -c 'SELECT used, free, usable, used_pct, idle, status FROM lifeguard.slots()'
	lg_say "what pg_lifeguard saw and did: SELECT * FROM lifeguard.recent_events();"
	demo_psql -c "SELECT seq, to_char(event_time, 'HH24:MI:SS.MS') AS at, kind, severity,
	                     role, application_name AS app, policy, action, detail
	              FROM lifeguard.recent_events() WHERE kind <> 'worker_started' ORDER BY seq"

	# end the rest of the old deployment's sessions, and their clients
	demo_psql -qtAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	                 WHERE application_name = 'old-deploy-v1'" >/dev/null
	for pid in "${REPLAY_PIDS[@]}"; do
		pkill -P "$pid" 2>/dev/null || true
	done
	kill "${REPLAY_PIDS[@]}" 2>/dev/null || true
	wait "${REPLAY_PIDS[@]}" 2>/dev/null || true
	REPLAY_PIDS=()
	demo_wait 10 "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'old-deploy-v1'"
}

# Replay 2: a maintenance job takes ACCESS EXCLUSIVE on a hot table and
# hangs; the application's queries queue behind it.  A blocking_timeout
# policy on the job's role has the worker cancel it, and the job's client is
# told why.
replay_stuck_maintenance() {
	local out=$DEMO_DIR/maintenance-job.out i
	lg_say "outage replay 2: a maintenance job hangs holding a lock on a hot table"
	demo_psql -q <<'SQL'
CREATE ROLE maint LOGIN;
CREATE TABLE hot (id int PRIMARY KEY, v int);
INSERT INTO hot SELECT g, 0 FROM generate_series(1, 1000) g;
GRANT SELECT ON hot TO app;
GRANT ALL ON hot TO maint;
CREATE FUNCTION maintenance_job() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	LOCK TABLE hot IN ACCESS EXCLUSIVE MODE;
	PERFORM pg_sleep(600);  -- stuck
END $$;
GRANT EXECUTE ON FUNCTION maintenance_job() TO maint;
SQL
	lg_say "the DBA's policy: maintenance may keep others waiting 3 s at most"
	demo_psql -c "INSERT INTO lifeguard.policies (name, role_name, blocking_timeout)
	              VALUES ('maintenance', 'maint', '3 s')"
	(lg_as_test_user psql -X -h "$DEMO_SOCK" -p "$DEMO_PORT" -U maint postgres \
		-c 'SELECT maintenance_job()' >"$out" 2>&1) &
	REPLAY_PIDS+=($!)
	demo_wait 10 "SELECT count(*) = 1 FROM pg_locks WHERE relation = 'hot'::regclass AND mode = 'AccessExclusiveLock' AND granted"
	lg_info "the job holds ACCESS EXCLUSIVE on hot; 4 application queries arrive"
	for ((i = 0; i < 4; i++)); do
		(lg_as_test_user env PGAPPNAME=api psql -X -q -h "$DEMO_SOCK" -p "$DEMO_PORT" -U app postgres \
			-c 'SELECT count(*) FROM hot' >/dev/null 2>&1) &
		REPLAY_PIDS+=($!)
	done
	demo_wait 10 "SELECT count(*) = 4 FROM pg_stat_activity WHERE application_name = 'api' AND wait_event_type = 'Lock'"
	lg_say "SELECT * FROM lifeguard.blockers();   (while it is stuck)"
	demo_psql -c "SELECT pid, role, blocked_total AS behind, is_root, waiting, mode, relation, state
	              FROM lifeguard.blockers()"
	demo_wait 15 "SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'blocking_timeout'"
	demo_wait 10 "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'api'"
	lg_say "the worker cancelled the job; the queries went through. What the job's client got:"
	sed 's/^/    /' "$out"
	lg_say "SELECT * FROM lifeguard.recent_events() WHERE kind = 'blocking_timeout';"
	demo_psql -c "SELECT to_char(event_time, 'HH24:MI:SS.MS') AS at, kind, role, policy, action, detail
	              FROM lifeguard.recent_events() WHERE kind = 'blocking_timeout'"
	wait "${REPLAY_PIDS[@]}" 2>/dev/null || true
	REPLAY_PIDS=()
}

# Replay 3: the partition manager fails for weeks.  Nobody created today's
# partitions, rows pile into the DEFAULT partition, and every maintenance run
# fails on them.  lifeguard.partitions() says so, the job goes failing then
# escalated (on a clock compressed for the demo), the DBA moves the rows
# out, and run_maintenance, bounded by lock_timeout, gives up instead of
# queueing the application behind a long report.
replay_partition_job() {
	local i err out=$DEMO_DIR/maintenance-run.out t0 ms call_pid
	lg_say "outage replay 3: the partition job fails for weeks, rows pile into the DEFAULT partition"
	demo_psql -q <<'SQL'
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE events (id bigint, at timestamptz NOT NULL, payload text) PARTITION BY RANGE (at);
GRANT SELECT, INSERT ON events TO app;
SELECT partman.create_parent('public.events', 'at', 'native', 'daily', p_premake := 3) \gset
-- the job, on a clock compressed for the demo: expected every 2 s, escalated after 8 s
INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
VALUES ('partman', 'pg_partman', '2 s', '8 s');
SQL
	lg_say "pg_partman manages public.events, daily, premake 3. SELECT ... FROM lifeguard.partitions();"
	demo_psql -c "SELECT parent, partition_count, covered_until, horizon, premake_ok, managed_by, status
	              FROM lifeguard.partitions()"
	lg_info "weeks without maintenance: today's and later partitions were never made, today's rows land in the DEFAULT partition"
	demo_psql -q <<'SQL'
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT i.inhrelid::regclass AS p FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	          WHERE i.inhparent = 'events'::regclass AND c.relname <> 'events_default'
	            AND c.relname >= 'events_p' || to_char(now(), 'YYYY_MM_DD')
	LOOP
		EXECUTE 'DROP TABLE ' || r.p;
	END LOOP;
END $$;
INSERT INTO events SELECT g, now() - g * interval '1 s', 'order placed' FROM generate_series(1, 500) g;
SQL
	lg_say "SELECT ... FROM lifeguard.partitions();"
	demo_psql -c "SELECT parent, default_has_rows, default_checked_by, covered_until, status, problems
	              FROM lifeguard.partitions()"
	lg_say "the scheduler calls, every 2 s: CALL lifeguard.run_maintenance('partman', 'SELECT partman.run_maintenance()')"
	for ((i = 0; i < 20; i++)); do
		err=$(demo_psql -c "CALL lifeguard.run_maintenance('partman', 'SELECT partman.run_maintenance()')" 2>&1 | head -1 || true)
		((i == 0)) && printf '    %s\n' "$err"
		[[ $(demo_psql -tAc "SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'job_escalated'") == t ]] && break
		sleep 2
	done
	lg_say "SELECT name, status, consecutive_failures, last_succeeded FROM lifeguard.jobs;"
	demo_psql -c "SELECT name, kind, status, consecutive_failures, last_succeeded, left(last_error, 60) AS last_error
	              FROM lifeguard.jobs"
	lg_say "what the worker reported (lifeguard.check_interval = 1 s here):"
	demo_psql -c "SELECT to_char(event_time, 'HH24:MI:SS') AS at, kind, severity, left(detail, 90) AS detail
	              FROM lifeguard.recent_events()
	              WHERE kind LIKE 'job%' OR kind LIKE '%partition%' ORDER BY seq"

	lg_say "the DBA moves the rows out of the DEFAULT partition: CALL partman.partition_data_proc('public.events');"
	demo_psql -q -c "CALL partman.partition_data_proc('public.events')" 2>/dev/null
	demo_psql -q -c "VACUUM ANALYZE events"

	lg_say "a long report holds a lock on events while maintenance needs one more partition (premake 3 -> 4):"
	demo_psql -q -c "UPDATE partman.part_config SET premake = 4 WHERE parent_table = 'public.events'"
	(lg_as_test_user psql -X -q -h "$DEMO_SOCK" -p "$DEMO_PORT" -U app postgres \
		-c "BEGIN; SELECT count(*) FROM events; SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1) &
	REPLAY_PIDS+=($!)
	demo_wait 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(6)%' AND state = 'active' AND pid <> pg_backend_pid()"
	demo_psql -c "CALL lifeguard.run_maintenance('partman', 'SELECT partman.run_maintenance()',
	                                             lock_timeout => '300ms', retries => 2)" >"$out" 2>&1 &
	call_pid=$!
	sleep 0.5
	t0=$(date +%s%N)
	lg_as_test_user psql -X -q -h "$DEMO_SOCK" -p "$DEMO_PORT" -U app postgres \
		-c "SELECT count(*) FROM events" >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait "$call_pid" || true
	sed 's/^/    /' "$out" | grep -v '^    CONTEXT\|^    PL/pgSQL\|^    SQL statement\|^    DETAIL: *$\|^    HINT: *$' | head -8
	lg_info "while it retried, the application's SELECT on events took ${ms} ms (a query can queue behind an attempt for at most its lock_timeout, 300 ms; unbounded, the maintenance would have queued it behind the report's 6 s)"
	wait "${REPLAY_PIDS[@]}" 2>/dev/null || true
	REPLAY_PIDS=()
	lg_say "the report is over; the next run succeeds:"
	demo_psql -c "CALL lifeguard.run_maintenance('partman', 'SELECT partman.run_maintenance()')"
	demo_wait 10 "SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'job_recovered'"
	demo_wait 10 "SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'partition_ok'"
	demo_psql -c "SELECT parent, partition_count, default_has_rows, covered_until, horizon, premake_ok, status
	              FROM lifeguard.partitions()"
	demo_psql -c "SELECT run_id, source, status, attempts, left(error, 60) AS error FROM lifeguard.job_runs
	              ORDER BY run_id DESC LIMIT 3"
	demo_psql -c "SELECT to_char(event_time, 'HH24:MI:SS') AS at, kind, severity, left(detail, 90) AS detail
	              FROM lifeguard.recent_events() WHERE kind IN ('job_recovered', 'partition_ok') ORDER BY seq"
}

# wait_for_ticks  - poll until the worker reports ticks, with a deadline.
# The worker may tick before it notices CREATE EXTENSION (its state then
# reads "waiting for extension"), so while a `state` column says "waiting",
# keep polling; without such a column, ticks > 0 is enough.
WAIT_QUERY="SELECT coalesce(bool_or(w.ticks > 0
               AND coalesce(to_jsonb(w) ->> 'state', '') NOT LIKE 'waiting%'), false)
            FROM lifeguard.worker_status() w"
wait_for_ticks() {
	local deadline=$((SECONDS + WAIT_SECONDS)) out=
	lg_say "waiting for the worker's first ticks (up to ${WAIT_SECONDS} s)"
	while ((SECONDS < deadline)); do
		if out=$(demo_psql -tA -c "$WAIT_QUERY" 2>&1) && [[ $out == t ]]; then
			return 0
		fi
		sleep 0.2
	done
	lg_err "the worker reported no tick within ${WAIT_SECONDS} s (last answer: ${out:-none})"
	lg_show "$DEMO_LOG" "server log" tail 40
	return 1
}

# show_log_lines  - the last server log lines that mention the extension
# (not counting the sandbox's own path, which may contain its name too).
show_log_lines() {
	local lines
	lines=$(awk -v dir="$DEMO_DIR" -v ext="$LG_EXTENSION" '{
		l = $0
		while ((i = index(l, dir)) > 0)
			l = substr(l, 1, i - 1) substr(l, i + length(dir))
		if (index(l, ext)) print
	}' "$DEMO_LOG" | tail -n 30)
	if [[ -n $lines ]]; then
		printf '%s\n' "$lines"
	else
		lg_info "(none yet)"
	fi
}

demo_start() {
	lg_say "pg_lifeguard demo (repository $LG_REPO)"
	lg_init_privileges sudo
	lg_install_packages "${LG_PACKAGES[@]}"

	# Build and install from a scratch copy, so the clone stays clean.
	BUILD_DIR=$(lg_make_scratch pg_lifeguard_demo_build)
	lg_build_install "$BUILD_DIR" "$BUILD_DIR/logs"
	rm -rf "$BUILD_DIR"
	BUILD_DIR=

	# A fresh sandbox every time.
	demo_stop
	mkdir -p "$DEMO_DIR"
	touch "$DEMO_MARKER"
	if ((EUID == 0)); then
		chown -R "$LG_TEST_USER:" "$DEMO_DIR"
	fi
	DEMO_PORT=$(lg_free_port 25440)
	DEMO_HTTP_PORT=$(lg_free_port $((DEMO_PORT + 1)))
	printf 'PORT=%s\nHTTP_PORT=%s\n' "$DEMO_PORT" "$DEMO_HTTP_PORT" >"$DEMO_STATE"

	lg_say "sandbox: initdb in $DEMO_DATA, port $DEMO_PORT"
	lg_cluster_init "$DEMO_DATA" "$DEMO_SOCK" "$DEMO_PORT"
	lg_cluster_conf "$DEMO_DATA" \
		"shared_preload_libraries = '$LG_EXTENSION'" \
		"lifeguard.naptime = 500" \
		"lifeguard.check_interval = 1" \
		"lifeguard.database = 'postgres'" \
		"max_connections = 20" \
		"superuser_reserved_connections = 2" \
		"lifeguard.reserved_admin_slots = 3" \
		"lifeguard.admin_roles = 'dba_team'" \
		"lifeguard.http_port = $DEMO_HTTP_PORT"
	lg_say "sandbox: starting (log: $DEMO_LOG)"
	lg_cluster_start "$DEMO_DATA" "$DEMO_LOG"
	demo_psql -c "CREATE EXTENSION $LG_EXTENSION"
	wait_for_ticks

	lg_say "SELECT * FROM lifeguard.worker_status();"
	demo_psql -x -c 'SELECT * FROM lifeguard.worker_status()'
	lg_say "SELECT * FROM lifeguard.recent_events();"
	demo_psql -c 'SELECT * FROM lifeguard.recent_events()'
	lg_say "server log lines mentioning $LG_EXTENSION ($DEMO_LOG)"
	show_log_lines

	replay_outage
	print_connect_help
}

demo_status() {
	lg_init_privileges no-sudo
	if [[ ! -f $DEMO_STATE || ! -f $DEMO_DATA/postmaster.pid ]]; then
		lg_say "no sandbox running in $DEMO_DIR (start one with scripts/demo.sh)"
		return 1
	fi
	DEMO_PORT=$(sed -n 's/^PORT=//p' "$DEMO_STATE")
	DEMO_HTTP_PORT=$(sed -n 's/^HTTP_PORT=//p' "$DEMO_STATE")
	lg_as_test_user pg_ctl -D "$DEMO_DATA" status
	print_connect_help
}

case ${1:-start} in
start) demo_start ;;
stop)
	lg_init_privileges no-sudo
	if [[ -e $DEMO_DIR ]]; then
		demo_stop
		lg_say "sandbox stopped, $DEMO_DIR removed"
	else
		lg_say "no sandbox in $DEMO_DIR"
	fi
	;;
status) demo_status ;;
-h | --help | help) sed -n '3,16p' "$LG_REPO/scripts/demo.sh" | sed 's/^# \{0,1\}//' ;;
*)
	lg_err "unknown command '$1' (use start, status or stop)"
	exit 2
	;;
esac
