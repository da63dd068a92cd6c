# shellcheck shell=bash
#
# bench/suites/login.sh - what pg_lifeguard's login hook costs.
#
# pgbench -C (a new TCP connection for every transaction) running
# `SELECT 1`, so the connection is nearly all the work, against three
# clusters running side by side with identical settings, over TCP on ::1
# by default (LIFEGUARD_BENCH_LOGIN_HOST).  Why not 127.0.0.1: every
# connection pgbench closes leaves its client port in TIME_WAIT for 60 s
# (10,000 and more at a time here), and on Linux a server cannot bind
# 127.0.0.1:PORT while a client socket of 127.0.0.1:PORT is in TIME_WAIT;
# test clusters that other work on the machine starts on 127.0.0.1 then
# fail with "could not bind".  Over ::1 the TIME_WAITs stay on ::1.
#
#   A    no pg_lifeguard
#   B    pg_lifeguard preloaded, the extension created in `postgres` (the
#        worker's database), LOGIN_POLICIES rows in lifeguard.policies, two
#        of which match the benchmark connections (by role and by
#        application_name) with caps that never refuse, so the hook matches
#        and counts on every login
#   A2   a second cluster like A: the noise floor
#   B0   only with LIFEGUARD_BENCH_LOGIN_NOPOLICY=1: like B but without
#        policies, to tell the hook's fixed cost from policy matching
#
# Goal (issue 3): B keeps at least 98% of A's TPS, connection time included.
#
# Settings (default): LIFEGUARD_BENCH_LOGIN_HOST (::1),
# LIFEGUARD_BENCH_LOGIN_SECONDS (8), LIFEGUARD_BENCH_LOGIN_CLIENTS (8),
# LIFEGUARD_BENCH_LOGIN_POLICIES (20), LIFEGUARD_BENCH_LOGIN_NOPOLICY (0),
# LIFEGUARD_BENCH_ROUNDS.

# Called indirectly (suite_NAME, bench_interleave's ARMFUNC).
# shellcheck disable=SC2317

bench_register login 130 "login cost: pgbench -C, no pg_lifeguard vs preloaded with policies"

LOGIN_SCRIPT=                   # the pgbench script, set by suite_login
CLK_TCK=$(getconf CLK_TCK)      # units of /proc/PID/stat CPU times
LOGIN_SECONDS=8
LOGIN_HOST=::1
LOGIN_CLIENTS=8
declare -gA LOGIN_CLUSTER=([A]=login_a [B]=login_b [A2]=login_a2 [B0]=login_b0)

# login_arm ARM LOG  - one pgbench -C run against ARM's cluster, over TCP.
# Prints "TPS LATENCY_MS CPU_US": CPU_US is the server's CPU time per
# login (all its processes, user + system, microseconds), which other load
# on the machine disturbs much less than TPS.
login_arm() {
	local name=${LOGIN_CLUSTER[$1]} cpu0 cpu1 out n
	cpu0=$(bench_server_cpu "$name") || return 1
	out=$(bench_pgbench "$2" -n -C -h "$LOGIN_HOST" -p "${BENCH_PORT[$name]}" -U lg_bench \
		-c "$LOGIN_CLIENTS" -j 2 -T "$LOGIN_SECONDS" -f "$LOGIN_SCRIPT" postgres) || return 1
	cpu1=$(bench_server_cpu "$name") || return 1
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$2")
	if [[ -z $n || $n == 0 ]]; then
		lg_err "login: no transaction count in $2"
		return 1
	fi
	printf '%s %s\n' "$out" "$(bench_calc "($cpu1 - $cpu0) * 1000000 / $CLK_TCK / $n")"
}

# login_policies N  - SQL inserting N policies: N-2 that match no benchmark
# login (other existing roles; or database postgres with another
# application_name pattern, so the matcher gets past the database), one for
# the bench role and one for pgbench's application_name, all with caps far
# above what the benchmark opens.
login_policies() {
	local n=$1
	cat <<EOF
INSERT INTO lifeguard.policies (name, role_name, database_name, application_name, max_connections)
SELECT 'bench_other_' || i,
       CASE WHEN i % 3 = 0 THEN 'app_role_' || i END,
       CASE WHEN i % 3 = 1 THEN 'postgres' END,
       CASE WHEN i % 3 <> 0 THEN 'app' || i || '%' END,
       1000
FROM generate_series(1, $((n - 2))) AS i;
INSERT INTO lifeguard.policies (name, role_name, application_name, max_connections)
VALUES ('bench_role', 'lg_bench', NULL, 10000),
       ('bench_app', NULL, 'pgbench%', 10000);
EOF
}

suite_login() {
	local rounds policies arm have extension_note problems counted arms=(A B A2)
	rounds=$BENCH_ROUNDS
	if [[ ${LIFEGUARD_BENCH_LOGIN_NOPOLICY:-0} == 1 ]]; then
		arms+=(B0)
	fi
	LOGIN_SECONDS=$(bench_env_int LIFEGUARD_BENCH_LOGIN_SECONDS 8 1)
	LOGIN_CLIENTS=$(bench_env_int LIFEGUARD_BENCH_LOGIN_CLIENTS 8 1)
	policies=$(bench_env_int LIFEGUARD_BENCH_LOGIN_POLICIES 20 2)
	LOGIN_SCRIPT=$(bench_script login.sql 'SELECT 1;')
	LOGIN_HOST=${LIFEGUARD_BENCH_LOGIN_HOST:-::1}
	# shellcheck disable=SC2034  # read by bench_cluster (dynamic scope)
	local BENCH_CLUSTER_CONF=("listen_addresses = '$LOGIN_HOST'")

	lg_say "login: starting clusters ${arms[*]} (B* preloaded)"
	# The same roles everywhere, created before bench_cluster vacuums:
	# lg_bench logs in; app_role_N are named by policies that must not
	# match it.
	for arm in "${arms[@]}"; do
		bench_cluster "${LOGIN_CLUSTER[$arm]}" 200 "$([[ $arm == B* ]] && echo 1 || echo 0)" \
			"CREATE ROLE lg_bench LOGIN" \
			"DO \$\$ BEGIN FOR i IN 3..$((policies - 2)) BY 3 LOOP EXECUTE format('CREATE ROLE %I NOLOGIN', 'app_role_' || i); END LOOP; END \$\$" ||
			return 1
	done
	bench_sql login_b postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	if [[ -n ${BENCH_PORT[login_b0]:-} ]]; then
		bench_sql login_b0 postgres "CREATE EXTENSION $LG_EXTENSION" >/dev/null || return 1
	fi

	# The policies need the table and the hook the C code provides.
	if bench_has_object login_b "to_regclass('lifeguard.policies')" &&
		bench_has_object login_b "to_regprocedure('lifeguard.policy_status()')"; then
		login_policies "$policies" | lg_psql "${BENCH_SOCK[login_b]}" "${BENCH_PORT[login_b]}" postgres || return 1
		# The worker publishes the table to shared memory at its next
		# tick; measure only once the hook sees all of them.
		if ! have=$(bench_wait_policies login_b "$policies"); then
			lg_err "login: the worker published $have of $policies policies after 30 s"
			bench_sql login_b postgres "SELECT * FROM lifeguard.policy_status()" || true
			return 1
		fi
		problems=$(bench_sql login_b postgres "SELECT string_agg(name || ': ' || problem, '; ') FROM lifeguard.policy_status() WHERE problem IS NOT NULL") || return 1
		if [[ -n $problems ]]; then
			BENCH_NOTES+=("policy_status() reports problems: $problems")
		fi
		# Make sure the hook does count logins: a session whose
		# application_name matches 'pgbench%' must see itself counted.
		counted=$(bench_sql login_b "dbname=postgres application_name=pgbench_check" \
			"SELECT connections FROM lifeguard.policy_status() WHERE name = 'bench_app'") || return 1
		if [[ $counted != 1 ]]; then
			lg_err "login: the login hook did not count a matching session (policy bench_app shows '$counted' connections, expected 1)"
			return 1
		fi
		extension_note="B: $LG_EXTENSION preloaded and created in \`postgres\`, $policies rows in lifeguard.policies (2 match every benchmark login: role lg_bench cap 10000, application_name 'pgbench%' cap 10000; the rest match nothing), all published by the worker before measuring"
	elif [[ $BENCH_STANDIN == 1 ]]; then
		BENCH_NOTES+=("STAND-IN RUN: lifeguard.policies / policy_status() do not exist in the installed extension; B was measured with the library preloaded and the extension created, WITHOUT policies. These are not the issue-3 figures.")
		extension_note="B: $LG_EXTENSION preloaded and created in \`postgres\`, NO policies (stand-in: the installed extension has no lifeguard.policies)"
	else
		lg_err "login: the installed $LG_EXTENSION has no lifeguard.policies table or lifeguard.policy_status() function"
		lg_err "login: build the connection-slots code first, or set LIFEGUARD_BENCH_STANDIN=1 to measure without policies"
		return 1
	fi

	bench_report_begin login "login: connection cost with and without pg_lifeguard" \
		"workload: \`pgbench -n -C -h $LOGIN_HOST -U lg_bench -c $LOGIN_CLIENTS -j 2 -T $LOGIN_SECONDS -f login.sql\` (login.sql = \`SELECT 1;\`), a new TCP connection (loopback, $LOGIN_HOST) per transaction, trust auth, non-superuser role" \
		"clusters (all running side by side, same settings: max_connections 200, shared_buffers 128MB, fsync off, analyzed and frozen before measuring): A without $LG_EXTENSION; $extension_note; A2 = a second cluster like A$([[ ${#arms[@]} == 4 ]] && echo "; B0 = $LG_EXTENSION preloaded and created, no policies")" \
		"rounds: $rounds, arms rotated each round (${arms[*]}, then shifted by one, ...); value = pgbench tps including connection time"

	lg_say "login: $rounds rounds x ${#arms[@]} arms x ${LOGIN_SECONDS} s"
	bench_interleave login "$rounds" "$LOGIN_SECONDS" login_arm "${arms[@]}" || return 1

	bench_table_header "TPS incl. connection"
	bench_row login "login, $LOGIN_CLIENTS clients, pgbench -C SELECT 1" 0.98
	if [[ ${#arms[@]} == 4 ]]; then
		bench_row login "B0 (preloaded, no policies) as B, same rounds" 0.98 B0
	fi
	bench_report "" "Server CPU per login (µs, all server processes, user + system; lower is better, so B/A > 1 is a cost):" ""
	bench_table_header "µs CPU per login"
	bench_row login "server CPU per login" - B 4
	if [[ ${#arms[@]} == 4 ]]; then
		bench_row login "B0 (preloaded, no policies) as B, server CPU per login" - B0 4
	fi
	bench_report "" "$(bench_latency_line login "login")"
	# The hook's own cost, measured in the server (finer than the noise)
	if bench_has_object login_b "to_regprocedure('lifeguard.worker_status()')" &&
		hook=$(bench_sql login_b postgres \
			"SELECT login_hook_calls || ' ' || round(login_hook_avg_us::numeric, 2) FROM lifeguard.worker_status()" 2>/dev/null) &&
		[[ -n $hook ]]; then
		read -r hook_calls hook_us <<<"$hook"
		bench_report "- in-process: pg_lifeguard's login hook took ${hook_us} µs per login on average over ${hook_calls} logins of B (\`worker_status().login_hook_avg_us\`); compare with the server CPU per login above"
	fi
	bench_report_end

	for arm in "${arms[@]}"; do
		bench_stop "${LOGIN_CLUSTER[$arm]}"
	done
}
