#!/usr/bin/env bash
#
# scripts/test.sh - the one test command (CI runs it through .ci/run).
#
#   1. installs the packages it needs (only when some are missing),
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
#   4. ends with one line "N passed, N failed" and exits non-zero on any
#      failure.
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
#   LIFEGUARD_TIME_BUDGET    seconds for the whole run (default 1800); a suite
#                            gets at most what is left, and is not started
#                            (and counted as failed) when less than 30 s remain
#   LIFEGUARD_KEEP=1         keep the scratch directory (build tree + logs) even
#                            when everything passed (it is always kept on failure)
#
# Options, to check a suspected flake (the build is made once):
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
TIME_BUDGET=${LIFEGUARD_TIME_BUDGET:-1800}
REPEAT=1
TAP_GLOB=            # --tap: TAP files to run instead of the Makefile's
RUN_TAG=             # "#2" while the second of several runs goes on

usage() {
	echo "usage: scripts/test.sh [--repeat N] [--suites \"S ...\"] [--tap GLOB]" >&2
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
	*) usage ;;
	esac
done
TIME_BUDGET=$((TIME_BUDGET * REPEAT))
CUR_TIMEOUT=$SUITE_TIMEOUT   # timeout of the running suite (capped by the budget)

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()           # one line per step for the final table
SCRATCH=             # scratch copy of the repository
LOGS=                # $SCRATCH/logs
CLUSTER_DIRS=()      # throwaway clusters started by this script (pgTAP)

# record NAME PASSED FAILED NOTE  - add to the totals and the summary table.
record() {
	local name=$1$RUN_TAG p=$2 f=$3 note=${4:-}
	TOTAL_PASSED=$((TOTAL_PASSED + p))
	TOTAL_FAILED=$((TOTAL_FAILED + f))
	SUMMARY+=("$(printf '%-10s %4d passed, %4d failed  %s' "$name" "$p" "$f" "$note")")
	printf '[%s] %d passed, %d failed  %s\n' "$name" "$p" "$f" "$note"
}

# skip NAME WHY  - a suite with nothing to run.
skip() {
	SUMMARY+=("$(printf '%-10s skipped: %s' "$1$RUN_TAG" "$2")")
	printf '[%s] skipped: %s\n' "$1$RUN_TAG" "$2"
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
	if [[ -n $SCRATCH ]]; then
		lg_stop_all_under "$SCRATCH"
	fi
	if ((rc != 0 && TOTAL_FAILED == 0)); then
		# Stopped by an unexpected error or a signal: that is a failure too.
		TOTAL_FAILED=$((TOTAL_FAILED + 1))
		SUMMARY+=("aborted    (exit $rc, see the messages above)")
	fi
	if [[ -n $SCRATCH && -d $SCRATCH ]]; then
		if ((TOTAL_FAILED == 0)) && [[ ${LIFEGUARD_KEEP:-0} != 1 ]]; then
			rm -rf "$SCRATCH"
		else
			lg_say "build tree and logs kept in $SCRATCH"
		fi
	fi
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
	lg_say "pg_lifeguard tests (repository $LG_REPO)"
	lg_init_privileges sudo
	if ! lg_install_packages "${LG_PACKAGES[@]}"; then
		record install 0 1 "package installation failed"
		return 1
	fi

	SCRATCH=$(lg_make_scratch pg_lifeguard_test)
	LOGS=$SCRATCH/logs
	lg_say "scratch copy: $SCRATCH"
	if ! lg_build_install "$SCRATCH" "$LOGS"; then
		record build 0 1 "build or install failed"
		return 1
	fi
	SUMMARY+=("build      ok")

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
