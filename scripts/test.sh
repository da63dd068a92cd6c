#!/usr/bin/env bash
#
# scripts/test.sh - the one test command (CI runs it through .ci/run).
#
# For each tested PostgreSQL version (15 and 18; --pg to choose):
#   1. installs the packages it needs (only when some are missing); for a
#      version other than 15, builds it from Debian's source package, with
#      pgTAP and pg_partman, into a cache outside the clone
#      (scripts/build_pg.sh; only the first run on a machine pays for it),
#   2. copies the source tree to a scratch directory, builds it there
#      (`make`, warnings are errors) and installs it (`make install`),
#   3. runs each suite (all but "shape" on its own throwaway cluster, as the
#      `postgres` user):
#        shape      the source tree's layering (scripts/check_layers.sh),
#                   PostgreSQL internals only in src/core/compat.h
#                   (scripts/check_compat.sh) and the documentation's links
#                   (scripts/check_doc_links.py), one test each
#        regress    pg_regress        make installcheck ISOLATION= TAP_TESTS=
#        isolation  isolation tests   make installcheck REGRESS= TAP_TESTS=
#        pgtap      pg_prove test/pgtap/*.sql on a cluster started here
#        tap        Perl TAP          make installcheck REGRESS= ISOLATION=
#   4. prints "PostgreSQL V: N passed, N failed" for the version,
# and ends with one line "N passed, N failed" for all of them, exiting
# non-zero on any failure.  A component that could not be had for a
# version (pg_cron for 18: its source package is not served) is named with
# the reason, and the tests that need it skip; the version's server itself
# missing is a failure.
#
# Counting: one pg_regress test = 1, one isolation spec = 1, one pgTAP or
# Perl TAP assertion = 1.  A suite that breaks before reporting any test
# (server did not start, harness died) counts as 1 failure; so does a build
# or install failure.
#
# Works from any directory, as root (tests then run as `postgres`) or as a
# user with passwordless sudo.
#
# Environment:
#   LIFEGUARD_SUITES         suites to run (default "shape regress isolation pgtap tap")
#   LIFEGUARD_SUITE_TIMEOUT  seconds per suite before it is killed (default 900)
#   LIFEGUARD_PG_VERSIONS    versions to test (default "15 18")
#   LIFEGUARD_TIME_BUDGET    seconds for the whole run (default 2400); a suite
#                            gets at most what is left, and is not started
#                            (and counted as failed) when less than 30 s remain
#   LIFEGUARD_KEEP=1         keep the scratch directory (build tree + logs) even
#                            when everything passed (it is always kept on failure)
#
# Options:
#   --pg "V ..."             the PostgreSQL versions to test (as
#                            LIFEGUARD_PG_VERSIONS), e.g. --pg 15
# and, to check a suspected flake (the build is made once):
#   --repeat N               run the chosen suites N times in a row, reporting
#                            each run's count and time; the time budget is
#                            then N times LIFEGUARD_TIME_BUDGET
#   --suites "S ..."         the suites to run (as LIFEGUARD_SUITES)
#   --tap GLOB               the TAP files to run, e.g. 'test/t/011_*.pl'
#                            (default: PROVE_TESTS from the Makefile)
#
#   scripts/test.sh --repeat 5 --suites tap --tap 'test/t/01[01]_*.pl'

# Suite functions are called indirectly ("suite_$s"), the EXIT trap too.
# shellcheck disable=SC2317

set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every path below is absolute; the postgres user may not be allowed into the
# caller's directory (e.g. /root/...), so work from /.
cd /

SUITES=${LIFEGUARD_SUITES:-shape regress isolation pgtap tap}
SUITE_TIMEOUT=${LIFEGUARD_SUITE_TIMEOUT:-900}
TIME_BUDGET=${LIFEGUARD_TIME_BUDGET:-2400}
PG_VERSIONS=${LIFEGUARD_PG_VERSIONS:-${LG_PG_TESTED[*]}}
REPEAT=1
TAP_GLOB=            # --tap: TAP files to run instead of the Makefile's
RUN_TAG=             # "#2" while the second of several runs goes on
PG_TAG=              # "18/" while PostgreSQL 18 is tested

usage() {
	echo "usage: scripts/test.sh [--pg \"V ...\"] [--repeat N] [--suites \"S ...\"] [--tap GLOB]" >&2
	exit 2
}
while (($#)); do
	case $1 in
	--repeat)
		if (($# < 2)) || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			usage
		fi
		REPEAT=$2
		shift 2
		;;
	--suites)
		(($# >= 2)) || usage
		SUITES=$2
		shift 2
		;;
	--tap)
		(($# >= 2)) || usage
		TAP_GLOB=$2
		shift 2
		;;
	--pg)
		if (($# < 2)) || ! [[ $2 =~ ^[0-9]+( [0-9]+)*$ ]]; then
			usage
		fi
		PG_VERSIONS=$2
		shift 2
		;;
	*) usage ;;
	esac
done
TIME_BUDGET=$((TIME_BUDGET * REPEAT))
CUR_TIMEOUT=$SUITE_TIMEOUT   # timeout of the running suite (capped by the budget)

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()           # one line per step for the final table
SCRATCH=             # scratch copy of the repository, for this version
SCRATCHES=()         # every version's scratch copy
LOGS=                # $SCRATCH/logs
CLUSTER_DIRS=()      # throwaway clusters started by this script (pgTAP)

# record NAME PASSED FAILED NOTE  - add to the totals and the summary table.
record() {
	local name=$PG_TAG$1$RUN_TAG p=$2 f=$3 note=${4:-}
	TOTAL_PASSED=$((TOTAL_PASSED + p))
	TOTAL_FAILED=$((TOTAL_FAILED + f))
	SUMMARY+=("$(printf '%-13s %4d passed, %4d failed  %s' "$name" "$p" "$f" "$note")")
	printf '[%s] %d passed, %d failed  %s\n' "$name" "$p" "$f" "$note"
}

# skip NAME WHY  - a suite with nothing to run.
skip() {
	SUMMARY+=("$(printf '%-13s skipped: %s' "$PG_TAG$1$RUN_TAG" "$2")")
	printf '[%s] skipped: %s\n' "$PG_TAG$1$RUN_TAG" "$2"
}

# finish  - EXIT trap: stop what we started, tidy up, print the totals.
# Runs on every exit, so the last line is always "N passed, N failed".
finish() {
	local rc=$? line d
	trap - EXIT
	set +e
	for d in "${CLUSTER_DIRS[@]}"; do
		lg_cluster_stop "$d/data"
	done
	for d in "${SCRATCHES[@]}"; do
		lg_stop_all_under "$d"
	done
	if ((rc != 0 && TOTAL_FAILED == 0)); then
		# Stopped by an unexpected error or a signal: that is a failure too.
		TOTAL_FAILED=$((TOTAL_FAILED + 1))
		SUMMARY+=("aborted    (exit $rc, see the messages above)")
	fi
	for d in "${SCRATCHES[@]}"; do
		[[ -d $d ]] || continue
		if ((TOTAL_FAILED == 0)) && [[ ${LIFEGUARD_KEEP:-0} != 1 ]]; then
			rm -rf "$d"
		else
			lg_say "build tree and logs kept in $d"
		fi
	done
	echo
	lg_say "summary"
	for line in "${SUMMARY[@]}"; do
		printf '    %s\n' "$line"
	done
	printf 'Elapsed: %d s\n' "$SECONDS"
	printf '%d passed, %d failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
	if ((TOTAL_FAILED > 0)); then
		exit 1
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_make_suite NAME LOG VAR=... - `make installcheck` with the given
# overrides as the test user, under a timeout; returns make's exit status.
run_make_suite() {
	local log=$1
	shift
	(lg_in_dir "$SCRATCH" timeout -k 30 "$CUR_TIMEOUT" \
		make installcheck PG_CONFIG="$LG_PG_CONFIG" "$@") </dev/null >"$log" 2>&1
}

# pg_regress-style suites: regress and isolation.
# suite_pg_regress NAME MAKEVAR TMPDIR OUTDIR OVERRIDES...
suite_pg_regress() {
	local name=$1 var=$2 tmpdir=$3 outdir=$4
	shift 4
	local log="$LOGS/$name.log" list rc=0 start=$SECONDS p f note
	list=$(lg_make_var "$SCRATCH" "$var")
	if [[ -z ${list// /} ]]; then
		skip "$name" "$var is empty in the Makefile"
		return 0
	fi
	lg_say "$name: make installcheck $* ($list)"
	run_make_suite "$log" "$@" || rc=$?
	read -r p f < <(lg_count_pg_regress "$log")
	note="($((SECONDS - start)) s)"
	if ((p + f == 0)); then
		# No per-test result: pg_regress broke before or during the first
		# test (server did not start, expected file missing, ...).
		f=1
		note="$note no test result (make exit $rc)"
	elif ((rc != 0 && f == 0)); then
		f=1
		note="$note make exited $rc"
	fi
	# Keep the artefacts: the next suite's run may remove tmp_check.
	mkdir -p "$LOGS/$name"
	cp -f "$SCRATCH/$outdir/regression.diffs" "$SCRATCH/$outdir/regression.out" \
		"$LOGS/$name/" 2>/dev/null || true
	cp -rf "$SCRATCH/$tmpdir/log" "$LOGS/$name/" 2>/dev/null || true
	record "$name" "$p" "$f" "$note"
	if ((f > 0)); then
		((rc == 124)) && lg_err "$name: killed after ${CUR_TIMEOUT} s"
		lg_show "$log" "$name: make installcheck output" tail 60
		lg_show "$SCRATCH/$outdir/regression.diffs" "$name: regression.diffs" head 300
		lg_show "$SCRATCH/$tmpdir/log/initdb.log" "$name: initdb.log" tail 20
		lg_show "$SCRATCH/$tmpdir/log/postmaster.log" "$name: postmaster.log" tail 60
	fi
	return 0
}

# The shape of the tree: static checks of the source and the docs.
suite_shape() {
	local p=0 f=0 check log
	for check in check_layers.sh check_compat.sh check_doc_links.py; do
		log="$LOGS/$check.log"
		if (cd "$SCRATCH" && "scripts/$check") >"$log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			lg_show "$log" "shape: scripts/$check" tail 40
		fi
	done
	record shape "$p" "$f"
}

suite_regress() {
	suite_pg_regress regress REGRESS tmp_check . ISOLATION= TAP_TESTS=
}

suite_isolation() {
	suite_pg_regress isolation ISOLATION tmp_check_iso output_iso REGRESS= TAP_TESTS=
}

# pgTAP: our own throwaway cluster with the library preloaded, the pgtap and
# pg_lifeguard extensions created in lifeguard_test, then pg_prove.
suite_pgtap() {
	local name=pgtap log="$LOGS/pgtap.log" files=() dir port sock rc=0 p f
	local start=$SECONDS note
	shopt -s nullglob
	files=("$SCRATCH"/test/pgtap/*.sql)
	shopt -u nullglob
	if ((${#files[@]} == 0)); then
		skip "$name" "no test/pgtap/*.sql"
		return 0
	fi
	if ! lg_pg_has_extension pgtap; then
		# Only for a version built here whose pgtap source was not served
		# (the reason is among the components listed above)
		record "$name" 0 1 "pgTAP is not installed for PostgreSQL $LG_PG_MAJOR"
		return 0
	fi
	files=("${files[@]#"$SCRATCH"/}")
	lg_say "$name: pg_prove ${files[*]}"

	dir=$(lg_as_test_user mktemp -d "$SCRATCH/pgtap_cluster.XXXXXX")
	CLUSTER_DIRS+=("$dir")
	sock=$dir/sock
	if ! port=$(lg_free_port 25432) ||
		! lg_cluster_init "$dir/data" "$sock" "$port" ||
		! lg_cluster_start "$dir/data" "$dir/server.log" ||
		# Create the database before the worker starts, so the worker
		# finds lifeguard.database at its first start.
		! lg_psql "$sock" "$port" postgres -c 'CREATE DATABASE lifeguard_test' ||
		! lg_cluster_conf "$dir/data" \
			"shared_preload_libraries = '$LG_EXTENSION'" \
			"lifeguard.naptime = 100" \
			"lifeguard.database = 'lifeguard_test'" ||
		! lg_cluster_stop "$dir/data" ||
		! lg_cluster_start "$dir/data" "$dir/server.log" ||
		! lg_psql "$sock" "$port" lifeguard_test \
			-c 'CREATE EXTENSION pgtap' -c "CREATE EXTENSION $LG_EXTENSION"; then
		record "$name" 0 1 "($((SECONDS - start)) s) cluster setup failed"
		lg_show "$dir/server.log" "$name: server log" tail 60
		lg_cluster_stop "$dir/data"
		return 0
	fi

	(lg_in_dir "$SCRATCH" timeout -k 30 "$CUR_TIMEOUT" \
		pg_prove -h "$sock" -p "$port" -U postgres -d lifeguard_test "${files[@]}") \
		</dev/null >"$log" 2>&1 || rc=$?
	read -r p f < <(lg_count_tap "$log")
	note="($((SECONDS - start)) s)"
	if ((rc != 0 && f == 0)); then
		f=1
		note="$note pg_prove exited $rc"
	fi
	lg_cluster_stop "$dir/data"
	cp -f "$dir/server.log" "$LOGS/pgtap-server.log" 2>/dev/null || true
	record "$name" "$p" "$f" "$note"
	if ((f > 0)); then
		((rc == 124)) && lg_err "$name: killed after ${CUR_TIMEOUT} s"
		lg_show "$log" "$name: pg_prove output" tail 100
		lg_show "$dir/server.log" "$name: server log" tail 60
	fi
	rm -rf "$dir"
	return 0
}

# Perl TAP: PostgreSQL::Test::Cluster tests through PGXS's prove_installcheck.
suite_tap() {
	local name=tap log="$LOGS/tap.log" enabled pattern files=() rc=0 p f
	local start=$SECONDS note failed_files=() t base s logs=()
	enabled=$(lg_make_var "$SCRATCH" TAP_TESTS)
	if [[ -z ${enabled// /} ]]; then
		skip "$name" "TAP_TESTS is empty in the Makefile"
		return 0
	fi
	local overrides=(REGRESS= ISOLATION=)
	if [[ -n $TAP_GLOB ]]; then
		pattern=$TAP_GLOB
		overrides+=("PROVE_TESTS=$TAP_GLOB")
	else
		pattern=$(lg_make_var "$SCRATCH" PROVE_TESTS)
		[[ -n ${pattern// /} ]] || pattern='t/*.pl'
	fi
	# The pattern is a glob (test/t/*.pl): expand it in the scratch copy.
	mapfile -t files < <(cd "$SCRATCH" && shopt -s nullglob &&
		eval "for f in $pattern; do printf '%s\n' \"\$f\"; done")
	if ((${#files[@]} == 0)); then
		skip "$name" "no files match $pattern"
		return 0
	fi
	lg_say "$name: make installcheck ${overrides[*]} (${files[*]})"
	# Logs of an earlier run must not be counted again.
	rm -rf "$SCRATCH/tmp_check/log"
	run_make_suite "$log" "${overrides[@]}" || rc=$?
	read -r p f < <(lg_count_tap "$log")
	note="($((SECONDS - start)) s)"
	if ! grep -q '^Files=[0-9]' "$log"; then
		# prove never printed its summary (killed, or died): count the
		# assertions the test files logged, plus 1 for the broken run.
		shopt -s nullglob
		logs=("$SCRATCH"/tmp_check/log/regress_log_*)
		shopt -u nullglob
		read -r p f < <(lg_count_tap_lines "${logs[@]}")
		f=$((f + 1))
		note="$note prove did not finish (make exit $rc)"
	elif ((rc != 0 && f == 0)); then
		f=1
		note="$note make exited $rc"
	fi
	mkdir -p "$LOGS/tap"
	cp -rf "$SCRATCH/tmp_check/log/." "$LOGS/tap/" 2>/dev/null || true
	record "$name" "$p" "$f" "$note"
	if ((f > 0)); then
		((rc == 124)) && lg_err "$name: killed after ${CUR_TIMEOUT} s"
		lg_show "$log" "$name: prove output" tail 100
		# Test files named in prove's summary report, else all of them.
		mapfile -t failed_files < <(sed -n 's/^\([^ ]*\.pl\) (Wstat: .*/\1/p' "$log")
		((${#failed_files[@]})) || failed_files=("${files[@]}")
		for t in "${failed_files[@]}"; do
			base=$(basename "$t" .pl)
			lg_show "$SCRATCH/tmp_check/log/regress_log_$base" "$name: regress_log_$base" tail 80
			for s in "$SCRATCH"/tmp_check/log/"${base}"_*.log; do
				lg_show "$s" "$name: $(basename "$s")" tail 40
			done
		done
	fi
	return 0
}

# --------------------------------------------------------------------------
main() {
	lg_say "pg_lifeguard tests (repository $LG_REPO), PostgreSQL $PG_VERSIONS"
	lg_init_privileges sudo
	if ! lg_install_packages "${LG_PACKAGES[@]}"; then
		record install 0 1 "package installation failed"
		return 1
	fi
	local v
	for v in $PG_VERSIONS; do
		test_version "$v"
	done
	PG_TAG=
}

# test_version MAJOR  - get that version, build and install pg_lifeguard for
# it, run the suites, and print the version's own count.
test_version() {
	local v=$1 passed=$TOTAL_PASSED failed=$TOTAL_FAILED start=$SECONDS log line
	PG_TAG="$v/"
	lg_say "PostgreSQL $v"
	if [[ $v != 15 ]]; then
		log=$(mktemp "/tmp/pg_lifeguard_build_pg$v.XXXXXX.log")
		if ! (lg_as_root "$LG_REPO/scripts/build_pg.sh" "$v") </dev/null >"$log" 2>&1; then
			lg_show "$log" "scripts/build_pg.sh $v" tail 40
			record server 0 1 "PostgreSQL $v could not be fetched or built"
			version_line "$v" "$passed" "$failed" "$start"
			return 0
		fi
		grep -E '^==> PostgreSQL .*: (building|cached)' "$log" | sed 's/^==> /    /' || true
		rm -f "$log"
		# Components that could not be had, and why: the tests needing
		# them skip
		while read -r line; do
			SUMMARY+=("$(printf '%-13s %s' "$PG_TAG${line%% *}" "${line#* }")")
			lg_warn "PostgreSQL $v: ${line%% *} ${line#* }"
		done < <(grep ' skipped: ' "$LG_PG_CACHE/pg$v/lifeguard-components" 2>/dev/null || true)
	elif [[ ! -x $(lg_pg_config_of 15) ]]; then
		record server 0 1 "PostgreSQL 15 is not installed"
		version_line "$v" "$passed" "$failed" "$start"
		return 0
	fi
	lg_use_pg "$v"
	lg_info "$("$LG_PG_CONFIG" --version), $LG_PG_CONFIG"

	SCRATCH=$(lg_make_scratch "pg_lifeguard_test_pg$v")
	SCRATCHES+=("$SCRATCH")
	LOGS=$SCRATCH/logs
	lg_say "scratch copy: $SCRATCH"
	if ! lg_build_install "$SCRATCH" "$LOGS"; then
		record build 0 1 "build or install failed"
		version_line "$v" "$passed" "$failed" "$start"
		return 0
	fi
	SUMMARY+=("$(printf '%-13s ok' "${PG_TAG}build")")

	# A failing suite is counted and the next one still runs; a suite
	# function itself only fails on an error in this script.
	local run
	for ((run = 1; run <= REPEAT; run++)); do
		if ((REPEAT > 1)); then
			RUN_TAG="#$run"
			LOGS=$SCRATCH/logs/run$run
			mkdir -p "$LOGS"
			lg_say "run $run of $REPEAT"
		fi
		run_suites
	done
	RUN_TAG=
	version_line "$v" "$passed" "$failed" "$start"
}

# version_line MAJOR PASSED0 FAILED0 START  - the version's own count line.
version_line() {
	local line
	line=$(printf 'PostgreSQL %s: %d passed, %d failed (%d s)' "$1" \
		$((TOTAL_PASSED - $2)) $((TOTAL_FAILED - $3)) $((SECONDS - $4)))
	SUMMARY+=("$line")
	lg_say "$line"
}

# run_suites  - each of $SUITES once; with --repeat, also one summary line
# for the run.
run_suites() {
	local s remaining start=$SECONDS passed=$TOTAL_PASSED failed=$TOTAL_FAILED
	for s in $SUITES; do
		case $s in
		shape | regress | isolation | pgtap | tap)
			remaining=$((TIME_BUDGET - SECONDS))
			if ((remaining < 30)); then
				record "$s" 0 1 "not run: the ${TIME_BUDGET} s time budget is used up"
				continue
			fi
			CUR_TIMEOUT=$((remaining < SUITE_TIMEOUT ? remaining : SUITE_TIMEOUT))
			"suite_$s" || record "$s" 0 1 "error in scripts/test.sh (exit $?)"
			;;
		*)
			lg_err "unknown suite '$s'"
			record "$s" 0 1 "unknown suite"
			;;
		esac
	done
	if ((REPEAT > 1)); then
		SUMMARY+=("$(printf 'run %-6s %4d passed, %4d failed  (%d s)' "$RUN_TAG" \
			$((TOTAL_PASSED - passed)) $((TOTAL_FAILED - failed)) $((SECONDS - start)))")
		lg_say "${SUMMARY[-1]}"
	fi
}

main
exit 0
