# shellcheck shell=bash
#
# bench/suites/scrape.sh - what one metrics scrape costs at 300 connections,
# pg_lifeguard's against postgres_exporter's, and what being scraped ten
# times a second does to the worker's tick (issue 6).
#
# One cluster, max_connections 400, pg_lifeguard preloaded and created in
# `postgres` (the worker's database), lifeguard.naptime = 100 (ms),
# lifeguard.http_port on a free port (lifeguard.http_listen at its default,
# 127.0.0.1), with SCRAPE_CONNECTIONS idle sessions held open by a
# background pgbench (role lg_idle, `\sleep`).
#
# 1. Cost of one scrape, arms interleaved (rotated) over LIFEGUARD_BENCH_ROUNDS
#    rounds, each arm SCRAPE_SECONDS long:
#
#    A   the query postgres_exporter's stat_activity collector runs (enabled
#        by default): repository prometheus-community/postgres_exporter,
#        file collector/pg_stat_activity.go (statActivityQuery, stored
#        commit 0247e4077b816dfdd1f9bc78e189a43b46b7e619).  The older
#        exporters ran the same shape from cmd/postgres_exporter/queries.go
#        (queryOverrides["pg_stat_activity"]) with fewer GROUP BY columns.
#        The text is in SCRAPE_EXPORTER_Q below, as the collector sends it
#        (simple query protocol, no parameters).
#    B   SELECT lifeguard.metrics();
#        both by `pgbench -n -M simple -c 1 -j 1 -T SCRAPE_SECONDS` as
#        superuser over the Unix socket: mean latency per query;
#    C   GET /metrics from the HTTP worker: one Perl process (IO::Socket::INET)
#        making sequential requests for SCRAPE_SECONDS, each a new TCP
#        connection to 127.0.0.1 (the endpoint answers "Connection: close",
#        as a Prometheus scrape of it would), the whole response read, status
#        200 checked: mean latency per request (wall clock / requests, like
#        pgbench's figure, so no process start-up is counted);
#    A2  A again: the noise floor.
#
#    Per arm: µs per scrape (the value), scrapes per second, and the server's
#    CPU per scrape (bench_server_cpu: postmaster, its live children and the
#    reaped ones, before and after the arm, / scrapes; the client's own CPU
#    is not in it, and it is blind to what other processes on the machine
#    do).  Reported with bench_row: B/A, C/A, A2/A; below 1 = cheaper than
#    the exporter's query.
#
# 2. The worker's tick while scraped: one psql session reads
#    `SELECT ticks, last_tick_us FROM lifeguard.worker_status()` every 0.1 s
#    (pg_sleep); a reading counts only when `ticks` advanced (a new tick),
#    as in tick.sh.  Windows interleaved (rotated) over the same number of
#    rounds:
#
#    A   no scraper, SCRAPE_TICK_SECONDS / (2 x rounds) per round;
#    B   a background Perl client GETs /metrics SCRAPE_RATE times a second
#        (paced, one request at a time), SCRAPE_TICK_SECONDS / rounds per
#        round; stopped (by its pid) when the window ends;
#    A2  no scraper again, as long as A: the A/A floor.
#
#    So with the defaults: 15 s of readings without a scraper (A + A2) and
#    15 s while scraped.  Reported: per-window medians and p90s through
#    bench_row (B/A, A2/A), and the pooled samples of each arm (median, p90,
#    max), scraped over no-scraper.  The worker's errors and restarts must
#    not change during a window.
#
# Settings (default): LIFEGUARD_BENCH_SCRAPE_CONNECTIONS (300),
# LIFEGUARD_BENCH_SCRAPE_SECONDS (2, per arm of the cost comparison),
# LIFEGUARD_BENCH_SCRAPE_TICK_SECONDS (15, readings per state: A + A2
# together, and B), LIFEGUARD_BENCH_SCRAPE_RATE (10 scrapes/s during B),
# LIFEGUARD_BENCH_ROUNDS.  With the defaults the suite takes about 90 s.

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register scrape 90 "scrape cost: postgres_exporter's pg_stat_activity query vs lifeguard.metrics() vs GET /metrics at 300 connections; worker tick while scraped 10/s"

SCRAPE_NAPTIME=100              # lifeguard.naptime, ms
SCRAPE_MAXCONN=400
SCRAPE_INTERVAL=0.1             # seconds between tick readings
SCRAPE_SECONDS=2
SCRAPE_RATE=10
SCRAPE_HTTP_PORT=
SCRAPE_CLIENT=                  # the Perl HTTP client
SCRAPE_CLK_TCK=100
declare -gA SCRAPE_SQL=()       # cost arm -> pgbench script
declare -gA SCRAPE_TICK_SCRIPT=()  # tick arm -> psql sampling script

# The stat_activity collector's query (see the header for where it comes
# from); whitespace aside, the text postgres_exporter sends.
SCRAPE_EXPORTER_Q="SELECT
	pg_database.datname,
	tmp.state,
	tmp2.usename,
	tmp2.application_name,
	tmp2.backend_type,
	tmp2.wait_event_type,
	tmp2.wait_event,
	COALESCE(count,0) as count,
	COALESCE(max_tx_duration,0) as max_tx_duration
FROM
	(
	  VALUES ('active'),
	         ('idle'),
	         ('idle in transaction'),
	         ('idle in transaction (aborted)'),
	         ('fastpath function call'),
	         ('disabled')
	) AS tmp(state) CROSS JOIN pg_database
LEFT JOIN
(
	SELECT
		datname,
		state,
		usename,
		application_name,
		backend_type,
		wait_event_type,
		wait_event,
		count(*) AS count,
		MAX(EXTRACT(EPOCH FROM now() - xact_start))::float AS max_tx_duration
	FROM pg_stat_activity
	WHERE pid <> pg_backend_pid()
	GROUP BY datname,state,usename,application_name,backend_type,wait_event_type,wait_event) AS tmp2
	ON tmp.state = tmp2.state AND pg_database.datname = tmp2.datname;"

# scrape_write_client FILE  - the HTTP client.
#   perl FILE HOST PORT PATH SECONDS INTERVAL
# GETs PATH for at most SECONDS (or until SIGTERM/SIGINT), one request at a
# time, a new connection each; INTERVAL 0: back to back, else paced at one
# request every INTERVAL seconds.  Prints "OK ERRORS ELAPSED_S BUSY_S BYTES"
# (requests answered 200, others, wall clock, time inside requests, bytes
# received).
scrape_write_client() {
	cat >"$1" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my ($host, $port, $path, $seconds, $interval) = @ARGV;
my ($ok, $errors, $busy, $bytes, $stop) = (0, 0, 0, 0, 0);
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };
my $start = time;
my $end = $start + $seconds;
my $next = $start;
my $request = "GET $path HTTP/1.1\r\nHost: $host:$port\r\nConnection: close\r\n\r\n";
while (!$stop && time < $end) {
	my $t0 = time;
	my $resp = '';
	my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	                              Proto => 'tcp', Timeout => 5);
	if ($s) {
		$s->syswrite($request);
		my $buf;
		while ($s->sysread($buf, 65536)) {
			$resp .= $buf;
		}
		$s->close;
	}
	$busy += time - $t0;
	if ($resp =~ m{^HTTP/1\.[01] 200 }) {
		$ok++;
		$bytes += length $resp;
	} else {
		$errors++;
		print STDERR "request failed: ", ($s ? substr($resp, 0, 200) : "connect: $!"), "\n";
	}
	if ($interval > 0) {
		$next += $interval;
		my $d = $next - time;
		sleep($d) if $d > 0 && !$stop;
	}
}
printf "%d %d %.6f %.6f %d\n", $ok, $errors, time - $start, $busy, $bytes;
PERL
	chmod 644 "$1"
}

# scrape_wait_http TIMEOUT  - wait until GET /health answers 200.
scrape_wait_http() {
	local deadline=$((SECONDS + $1)) code=
	while ((SECONDS < deadline)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			"http://127.0.0.1:$SCRAPE_HTTP_PORT/health" 2>/dev/null) || code=
		if [[ $code == 200 ]]; then
			return 0
		fi
		sleep 0.5
	done
	lg_err "scrape: GET http://127.0.0.1:$SCRAPE_HTTP_PORT/health does not answer 200 after $1 s (last: '${code:-no answer}')"
	return 1
}

# scrape_sample_script N  - psql script: N + 1 readings, SCRAPE_INTERVAL apart.
scrape_sample_script() {
	local n=$1 i q lines=()
	q='SELECT ticks, last_tick_us FROM lifeguard.worker_status();'
	lines+=("$q")
	for ((i = 0; i < n; i++)); do
		lines+=("SELECT pg_sleep($SCRAPE_INTERVAL);" "$q")
	done
	bench_script "scrape-sample-$n.sql" "${lines[@]}"
}

# scrape_cost_arm ARM LOG  - one arm of the cost comparison; prints
# "US_PER_SCRAPE SCRAPES_PER_S SERVER_CPU_US_PER_SCRAPE".
scrape_cost_arm() {
	local arm=$1 log=$2 c0 c1 out n tps lat err elapsed
	c0=$(bench_server_cpu scrape) || return 1
	if [[ $arm == C ]]; then
		out=$(perl "$SCRAPE_CLIENT" 127.0.0.1 "$SCRAPE_HTTP_PORT" /metrics "$SCRAPE_SECONDS" 0 2>"$log") || {
			lg_show "$log" "HTTP client output" tail 20 >&2
			lg_err "scrape: the HTTP client failed"
			return 1
		}
		read -r n err elapsed _ <<<"$out"
		printf '%s\n' "$out" >>"$log"
		if ((n == 0 || err != 0)); then
			lg_show "$log" "HTTP client output" tail 20 >&2
			lg_err "scrape: GET /metrics: $n answered 200, $err failed"
			return 1
		fi
		lat=$(bench_calc "$elapsed * 1000000 / $n")
		tps=$(bench_calc "$n / $elapsed")
	else
		out=$(bench_pgbench "$log" -n -M simple -h "${BENCH_SOCK[scrape]}" -p "${BENCH_PORT[scrape]}" \
			-U postgres -c 1 -j 1 -T "$SCRAPE_SECONDS" -f "${SCRAPE_SQL[$arm]}" postgres) || return 1
		read -r tps lat <<<"$out"
		lat=$(bench_calc "$lat * 1000")
		n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log" | head -n 1)
		if [[ -z $n || $n == 0 ]]; then
			lg_err "scrape: no transaction count in $log"
			return 1
		fi
	fi
	# Let pgbench's backend exit and be reaped, so its CPU is in the count.
	if [[ $arm != C ]]; then
		sleep 0.1
	fi
	c1=$(bench_server_cpu scrape) || return 1
	printf '%s %s %s\n' "$lat" "$tps" "$(bench_calc "($c1 - $c0) * 1000000 / $SCRAPE_CLK_TCK / $n")"
}

# scrape_tick_arm ARM LOG  - one tick window; prints "MEDIAN_US P90_US
# NEW_TICKS SKIPPED [SCRAPES_PER_S]"; the new-tick samples are also
# appended to BENCH_WORK/results/scrape-tick-pool/ARM.
scrape_tick_arm() {
	local arm=$1 log=$2 pid='' before after out samples valid skipped med p90 sn serr selapsed extra=''
	samples=$BENCH_WORK/results/scrape-tick-pool/$arm
	before=$(bench_worker_status scrape "errors, restarts") || return 1
	if [[ $arm == B ]]; then
		perl "$SCRAPE_CLIENT" 127.0.0.1 "$SCRAPE_HTTP_PORT" /metrics 600 \
			"$(bench_calc "1 / $SCRAPE_RATE")" </dev/null >"$log.scraper" 2>&1 &
		pid=$!
		sleep 0.2
	fi
	if ! lg_psql "${BENCH_SOCK[scrape]}" "${BENCH_PORT[scrape]}" postgres -At -F ' ' \
		-f "${SCRAPE_TICK_SCRIPT[$arm]}" </dev/null >"$log" 2>&1; then
		if [[ -n $pid ]]; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
		lg_show "$log" "psql output" tail 20 >&2
		lg_err "scrape: tick window $arm: sampling failed"
		return 1
	fi
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		read -r sn serr selapsed _ < <(tail -n 1 "$log.scraper") || true
		if [[ -z ${sn:-} || -z ${selapsed:-} ]] || ((sn == 0 || serr != 0)); then
			lg_show "$log.scraper" "scraper output" tail 20 >&2
			lg_err "scrape: tick window B: the scraper failed"
			return 1
		fi
		extra=" $(bench_calc "$sn / $selapsed")"
	fi
	after=$(bench_worker_status scrape "errors, restarts") || return 1
	if [[ $before != "$after" ]]; then
		lg_err "scrape: the worker failed or restarted during tick window $arm (errors, restarts: $before before, $after after)"
		return 1
	fi
	# Lines are "TICKS LAST_TICK_US"; pg_sleep() prints empty lines.
	read -r valid skipped < <(awk -v out="$log.ticks" '
		NF == 2 && $1 ~ /^[0-9]+$/ {
			if (seen && $1 > prev) { print $2 > out; valid++; prev = $1 }
			else if (seen) skipped++
			else { prev = $1; seen = 1 }
		}
		END { printf "%d %d\n", valid, skipped }' "$log")
	if ((valid == 0)); then
		lg_err "scrape: tick window $arm: no new tick seen"
		return 1
	fi
	cat "$log.ticks" >>"$samples"
	read -r _ med p90 _ < <(bench_dist "$log.ticks")
	printf '%s %s %s %s%s\n' "$med" "$p90" "$valid" "$skipped" "$extra"
}

# scrape_pool_row LABEL FILE...  - one row of the pooled tick table.
scrape_pool_row() {
	local label=$1 n med p90 max
	shift
	read -r n med p90 max < <(cat "$@" | bench_dist /dev/stdin)
	bench_report "| $label | $n | $med | $p90 | $max |"
}

suite_scrape() {
	local rounds conns hold tick_total qn sn sdir tdir cdir metrics_bytes http_bytes samples_lines
	local exporter_rows total med_a med_a2 med_b p90_a p90_a2 p90_b med_q p90_q rate_med
	rounds=$BENCH_ROUNDS
	conns=$(bench_env_int LIFEGUARD_BENCH_SCRAPE_CONNECTIONS 300 1)
	SCRAPE_SECONDS=$(bench_env_int LIFEGUARD_BENCH_SCRAPE_SECONDS 2 1)
	tick_total=$(bench_env_int LIFEGUARD_BENCH_SCRAPE_TICK_SECONDS 15 2)
	SCRAPE_RATE=$(bench_env_int LIFEGUARD_BENCH_SCRAPE_RATE 10 1)
	SCRAPE_CLK_TCK=$(getconf CLK_TCK)
	if ((conns + 20 > SCRAPE_MAXCONN)); then
		lg_err "LIFEGUARD_BENCH_SCRAPE_CONNECTIONS must be at most $((SCRAPE_MAXCONN - 20)) (got $conns)"
		return 1
	fi
	# Readings per window: A and A2 share tick_total, B has it alone.
	qn=$(awk -v t="$tick_total" -v r="$rounds" -v i="$SCRAPE_INTERVAL" \
		'BEGIN { n = int(t / (2 * r) / i + 0.5); print (n < 3) ? 3 : n }')
	sn=$(awk -v t="$tick_total" -v r="$rounds" -v i="$SCRAPE_INTERVAL" \
		'BEGIN { n = int(t / r / i + 0.5); print (n < 3) ? 3 : n }')
	hold=$((rounds * 4 * (SCRAPE_SECONDS + 2) + 2 * tick_total + 600))
	cdir=$BENCH_WORK/results/scrape-cost
	tdir=$BENCH_WORK/results/scrape-tick
	sdir=$BENCH_WORK/results/scrape-tick-pool
	rm -rf "$cdir" "$tdir" "$sdir"
	mkdir -p "$sdir"

	SCRAPE_HTTP_PORT=$(lg_free_port 29432) || return 1
	# shellcheck disable=SC2034  # read by bench_cluster (dynamic scope)
	local BENCH_CLUSTER_CONF=("lifeguard.naptime = $SCRAPE_NAPTIME" "lifeguard.http_port = $SCRAPE_HTTP_PORT")
	lg_say "scrape: starting the cluster (max_connections $SCRAPE_MAXCONN, preloaded, naptime $SCRAPE_NAPTIME ms, HTTP on 127.0.0.1:$SCRAPE_HTTP_PORT)"
	bench_cluster scrape "$SCRAPE_MAXCONN" 1 "CREATE ROLE lg_idle LOGIN" || return 1
	bench_sql scrape postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if ! bench_has_object scrape "to_regprocedure('lifeguard.metrics()')"; then
		lg_err "scrape: the installed $LG_EXTENSION has no lifeguard.metrics() (build the issue-6 code first)"
		return 1
	fi
	bench_wait_worker scrape 30 || return 1
	scrape_wait_http 30 || return 1

	SCRAPE_CLIENT=$BENCH_WORK/scripts/scrape-http.pl
	scrape_write_client "$SCRAPE_CLIENT"
	SCRAPE_SQL=(
		[A]=$(bench_script scrape-exporter.sql "$SCRAPE_EXPORTER_Q")
		[B]=$(bench_script scrape-metrics.sql 'SELECT lifeguard.metrics();')
	)
	SCRAPE_SQL[A2]=${SCRAPE_SQL[A]}
	SCRAPE_TICK_SCRIPT=([A]=$(scrape_sample_script "$qn") [B]=$(scrape_sample_script "$sn"))
	SCRAPE_TICK_SCRIPT[A2]=${SCRAPE_TICK_SCRIPT[A]}

	lg_say "scrape: opening $conns idle sessions"
	bench_hold scrape lg_idle "$conns" "$(bench_script scrape-hold-idle.sql "\\sleep $hold s")" "$hold"
	bench_wait_sessions scrape "usename = 'lg_idle' AND state = 'idle'" "$conns" 90 || return 1
	total=$(bench_sql scrape postgres "SELECT count(*) FROM pg_stat_activity") || return 1

	# What each scrape returns, for the report.
	exporter_rows=$(bench_sql scrape postgres "SELECT count(*) FROM (${SCRAPE_EXPORTER_Q%;}) q") || return 1
	metrics_bytes=$(bench_sql scrape postgres "SELECT octet_length(lifeguard.metrics())") || return 1
	samples_lines=$(bench_sql scrape postgres "SELECT count(*) FROM regexp_split_to_table(lifeguard.metrics(), E'\\n') l WHERE l <> '' AND l !~ '^#'") || return 1
	http_bytes=$(curl -s -o /dev/null -w '%{size_download}' --max-time 5 \
		"http://127.0.0.1:$SCRAPE_HTTP_PORT/metrics") || return 1

	bench_report_begin scrape "scrape: one metrics scrape at $conns connections, and the worker's tick while scraped" \
		"cluster: max_connections $SCRAPE_MAXCONN, shared_buffers 128MB, fsync off, analyzed and frozen before measuring, $LG_EXTENSION preloaded and created in \`postgres\`, \`lifeguard.naptime = $SCRAPE_NAPTIME\`, \`lifeguard.http_port = $SCRAPE_HTTP_PORT\` (listening on 127.0.0.1); $conns idle sessions held by a background pgbench (role lg_idle, \`\\sleep\`), $total rows in pg_stat_activity when measuring" \
		"A = the query of postgres_exporter's stat_activity collector (prometheus-community/postgres_exporter, collector/pg_stat_activity.go; $exporter_rows rows here), B = \`SELECT lifeguard.metrics()\` ($metrics_bytes bytes, $samples_lines samples), both by \`pgbench -n -M simple -c 1 -j 1 -T $SCRAPE_SECONDS -U postgres\` over the Unix socket, mean latency per query; C = \`GET /metrics\` (a $http_bytes-byte body), sequential requests from one Perl process for $SCRAPE_SECONDS s, a new TCP connection each (the endpoint closes it), mean wall-clock latency per request; A2 = A again (noise floor); rounds: $rounds, arms rotated each round" \
		"server CPU per scrape: CPU time of the postmaster and all its children (backends, pg_lifeguard's workers, the HTTP worker) over the arm, divided by the scrapes; clock ticks of 1/$SCRAPE_CLK_TCK s; includes the idle background (worker ticks, ~0)" \
		"tick windows: \`SELECT ticks, last_tick_us FROM lifeguard.worker_status()\` every $SCRAPE_INTERVAL s from one psql session, a reading counting only when \`ticks\` advanced; A = no scraper ($qn readings per window), B = a Perl client GETting /metrics $SCRAPE_RATE times a second ($sn readings per window), A2 = no scraper again ($qn readings); windows rotated over $rounds rounds" \
		"measured while other tests ran on the same 2-core machine: single figures are noisy; compare the ratios with the A/A floor"

	lg_say "scrape: cost per scrape, $rounds rounds x 4 arms x ${SCRAPE_SECONDS} s"
	bench_interleave scrape-cost "$rounds" "$SCRAPE_SECONDS" scrape_cost_arm A B C A2 || return 1
	lg_say "scrape: worker tick with and without a scraper at $SCRAPE_RATE/s, $rounds rounds, windows of $qn / $sn / $qn readings"
	bench_interleave scrape-tick "$rounds" "$(((sn + 9) / 10))" scrape_tick_arm A B A2 || return 1

	bench_report "Cost of one scrape (below 1 = cheaper than the exporter's query):" ""
	bench_table_header "µs per scrape (mean)"
	bench_row scrape-cost "B: \`lifeguard.metrics()\` vs A: postgres_exporter's pg_stat_activity query" - B 2
	bench_row scrape-cost "C: \`GET /metrics\` (HTTP, new connection per request) vs A" - C 2
	bench_report "" "Server CPU per scrape (the same arms):" ""
	bench_table_header "server CPU µs per scrape"
	bench_row scrape-cost "B: \`lifeguard.metrics()\` vs A" - B 4
	bench_row scrape-cost "C: \`GET /metrics\` vs A" - C 4
	bench_report "" "- scrapes per second, one client (median of rounds): A $(bench_fmt "$(bench_stats "$cdir/A" 3 | cut -d' ' -f1)" 0), B $(bench_fmt "$(bench_stats "$cdir/B" 3 | cut -d' ' -f1)" 0), C $(bench_fmt "$(bench_stats "$cdir/C" 3 | cut -d' ' -f1)" 0), A2 $(bench_fmt "$(bench_stats "$cdir/A2" 3 | cut -d' ' -f1)" 0)"

	bench_report "" "The worker's tick without a scraper (A, A2) and while GET /metrics runs $SCRAPE_RATE times a second (B); per-window medians and p90s:" ""
	bench_table_header "tick µs"
	bench_row scrape-tick "median tick: scraped (B) vs no scraper (A)" - B 2
	bench_row scrape-tick "p90 tick: scraped (B) vs no scraper (A)" - B 3
	rate_med=$(bench_stats "$tdir/B" 6 | cut -d' ' -f1)
	bench_report "" "Pooled samples (every new tick read in all windows of the arm):" "" \
		"| window | new ticks | median µs | p90 µs | max µs |" \
		"| --- | --- | --- | --- | --- |"
	scrape_pool_row "A: no scraper" "$sdir/A"
	scrape_pool_row "A2: no scraper again" "$sdir/A2"
	scrape_pool_row "A + A2: no scraper" "$sdir/A" "$sdir/A2"
	scrape_pool_row "B: scraped $SCRAPE_RATE/s" "$sdir/B"
	read -r _ med_q p90_q _ < <(cat "$sdir/A" "$sdir/A2" | bench_dist /dev/stdin)
	read -r _ med_a p90_a _ < <(bench_dist "$sdir/A")
	read -r _ med_b p90_b _ < <(bench_dist "$sdir/B")
	read -r _ med_a2 p90_a2 _ < <(bench_dist "$sdir/A2")
	bench_report "" \
		"- scraped / no scraper (pooled): median $(bench_fmt "$(bench_calc "$med_b / $med_q")" 3), p90 $(bench_fmt "$(bench_calc "$p90_b / $p90_q")" 3); A/A (A2 / A, pooled): median $(bench_fmt "$(bench_calc "$med_a2 / $med_a")" 3), p90 $(bench_fmt "$(bench_calc "$p90_a2 / $p90_a")" 3)" \
		"- scraper: $(bench_fmt "$rate_med" 2) GET /metrics per second achieved (median of the B windows; target $SCRAPE_RATE), every one answered 200; worker errors and restarts unchanged in every window" \
		"- ticks are not filtered: the worker's catalog recheck every 5 s makes some ticks longer, in every arm alike"
	bench_report_end

	bench_kill_holders
	bench_stop scrape
}
