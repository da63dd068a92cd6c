#!/usr/bin/env bash
#
# bench/run.sh - pg_lifeguard benchmarks.
#
#   bench/run.sh              run every suite
#   bench/run.sh SUITE...     run only these suites (see `bench/run.sh list`)
#   bench/run.sh list         list the suites
#   bench/run.sh --pg 18 ...  against PostgreSQL 18 (default 15); a version
#                             other than 15 is built by scripts/build_pg.sh
#                             (cached, see docs/development.md)
#
# Like scripts/test.sh it installs the packages it needs, copies the source
# tree to a scratch directory, builds and installs pg_lifeguard from there,
# then starts throwaway clusters as the `postgres` user (never touching
# Debian's own cluster) and stops them at the end, whatever happens.
#
# Every comparison runs three arms interleaved in the same rounds: A
# (baseline), B (with pg_lifeguard) and A2 (the baseline again, the noise
# floor).  Each suite prints a markdown fragment (medians, min-max, B/A and
# A2/A) and writes it to bench/out/SUITE-TIMESTAMP.md.  bench/RESULTS.md
# holds the recorded figures.
#
# With the defaults (5 rounds) the whole run took 741 s (12.4 minutes) on 2
# cores at git 469f0bf: locks 94 s, login 124 s, memory 3 s, partitions
# 64 s, reaction 23 s, scrape 78 s, snapshot 92 s, steady 161 s, tick 97 s,
# plus the build and install (`bench/run.sh list` shows each estimate).  It is
# held under LIFEGUARD_BENCH_BUDGET seconds (default 870, i.e. 14.5 min):
# a round that would not fit is not started, and the report says so.
#
# Environment:
#   LIFEGUARD_BENCH_SKIP_BUILD=1   use the pg_lifeguard already installed
#   LIFEGUARD_BENCH_ROUNDS         rounds per comparison (default 5; below 5
#                                  the report warns)
#   LIFEGUARD_BENCH_BUDGET         seconds for the whole run (default 870)
#   LIFEGUARD_BENCH_STANDIN=1      when the installed extension lacks what a
#                                  suite measures, time a stand-in and mark
#                                  the report STAND-IN instead of failing
#                                  (to test the harness itself)
#   LIFEGUARD_KEEP=1               keep the scratch directory (clusters, logs,
#                                  raw results); it is always kept on failure
#   suite settings: LIFEGUARD_BENCH_LOGIN_HOST, _LOGIN_SECONDS,
#   _LOGIN_CLIENTS, _LOGIN_POLICIES, _LOGIN_NOPOLICY, _QUERY_SECONDS,
#   _SNAPSHOT_CONNECTIONS, _TICK_SAMPLES, _TICK_LOADS, _TICK_QUERY_ROUNDS,
#   _PARTITIONS_SECONDS, _PARTITIONS_ROUNDS, _STEADY_SECONDS,
#   _STEADY_CLIENTS, _STEADY_SCALE, _REACTION_SESSIONS, _REACTION_BATCHES
#   (see the suite files in bench/suites/)
#
# Adding a suite: a file bench/suites/NAME.sh that calls
# `bench_register NAME SECONDS TEXT` and defines suite_NAME, using the
# engine in bench/lib/bench.sh (clusters, interleaving, report rows).

# The EXIT trap and suite functions are called indirectly.
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../scripts/lib.sh
. "$BENCH_DIR/../scripts/lib.sh"
# shellcheck source=lib/bench.sh
. "$BENCH_DIR/lib/bench.sh"
for suite_file in "$BENCH_DIR"/suites/*.sh; do
	# shellcheck source=/dev/null
	. "$suite_file"
done
unset suite_file

# Every path below is absolute; the postgres user may not be allowed into the
# caller's directory, so work from /.
cd /

BENCH_COMMAND="bench/run.sh${*:+ $*}"
# Record the settings that change what is measured, so the command line in
# a report reproduces it.
while IFS= read -r setting; do
	BENCH_COMMAND="$setting $BENCH_COMMAND"
done < <(env | grep -E '^LIFEGUARD_(BENCH_[A-Z_]+|EXTENSION)=' | sort -r || true)
unset setting

BENCH_ROUNDS=$(bench_env_int LIFEGUARD_BENCH_ROUNDS 5 1)
BENCH_BUDGET=$(bench_env_int LIFEGUARD_BENCH_BUDGET 870 60)
# shellcheck disable=SC2034  # read by the suite files
BENCH_STANDIN=${LIFEGUARD_BENCH_STANDIN:-0}
BENCH_SKIP_BUILD=${LIFEGUARD_BENCH_SKIP_BUILD:-0}
BENCH_STAMP=$(date -u +%Y%m%dT%H%M%SZ)
BENCH_OUT=$LG_REPO/bench/out

SCRATCH=
SUMMARY=()
FAILED=0

usage() {
	sed -n '3,7p' "$BENCH_DIR/run.sh" | sed 's/^# \{0,1\}//'
}

# finish  - EXIT trap: stop every cluster and holder, tidy up, summarise.
finish() {
	local rc=$? line
	trap - EXIT
	set +e
	bench_cleanup_clusters
	if [[ -n $BENCH_WORK ]]; then
		lg_stop_all_under "$BENCH_WORK"
	fi
	if ((rc != 0)); then
		FAILED=1
	fi
	if [[ -n $SCRATCH && -d $SCRATCH ]]; then
		if ((FAILED == 0)) && [[ ${LIFEGUARD_KEEP:-0} != 1 ]]; then
			rm -rf "$SCRATCH"
		else
			lg_say "scratch directory kept: $SCRATCH (logs in $BENCH_WORK/logs, raw results in $BENCH_WORK/results)"
		fi
	fi
	if ((${#SUMMARY[@]})); then
		echo
		lg_say "summary"
		for line in "${SUMMARY[@]}"; do
			printf '    %s\n' "$line"
		done
	fi
	if [[ -n $SCRATCH ]]; then
		printf 'Elapsed: %d s\n' "$SECONDS"
	fi
	if ((FAILED)); then
		exit 1
	fi
	exit "$rc"
}

# git_describe  - short commit of the repository, "+ uncommitted changes"
# when the work tree differs from it.
git_describe() {
	local g=(git -c safe.directory="$LG_REPO" -C "$LG_REPO") sha
	sha=$("${g[@]}" rev-parse --short HEAD 2>/dev/null) || {
		echo "not a git checkout"
		return 0
	}
	if [[ -n $("${g[@]}" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
		echo "git $sha + uncommitted changes"
	else
		echo "git $sha"
	fi
}

# prepare  - packages, the PostgreSQL version, scratch directory, build and
# install.
prepare() {
	lg_init_privileges sudo
	lg_install_packages "${LG_PACKAGES[@]}"
	if [[ $BENCH_PG != 15 ]]; then
		lg_say "PostgreSQL $BENCH_PG: scripts/build_pg.sh $BENCH_PG"
		lg_as_root "$LG_REPO/scripts/build_pg.sh" "$BENCH_PG" </dev/null |
			sed 's/^/    /'
	fi
	lg_use_pg "$BENCH_PG"
	if [[ $BENCH_SKIP_BUILD == 1 ]]; then
		SCRATCH=$(mktemp -d /tmp/pg_lifeguard_bench.XXXXXX)
		chmod 755 "$SCRATCH"
		if ((EUID == 0)); then
			chown "$LG_TEST_USER:" "$SCRATCH"
		fi
		if [[ ! -f $("$LG_PG_CONFIG" --sharedir)/extension/$LG_EXTENSION.control ]]; then
			lg_err "LIFEGUARD_BENCH_SKIP_BUILD=1 but $LG_EXTENSION is not installed"
			return 1
		fi
		BENCH_BUILD_INFO="the installed build, not rebuilt (LIFEGUARD_BENCH_SKIP_BUILD=1; $LG_EXTENSION.so of $(date -u -r "$("$LG_PG_CONFIG" --pkglibdir)/$LG_EXTENSION.so" '+%Y-%m-%d %H:%M UTC'))"
	else
		SCRATCH=$(lg_make_scratch pg_lifeguard_bench)
		lg_say "scratch copy: $SCRATCH"
		lg_build_install "$SCRATCH" "$SCRATCH/logs"
		BENCH_BUILD_INFO="built from $LG_REPO ($(git_describe)) and installed by this run"
	fi
	BENCH_WORK=$SCRATCH/bench
	lg_as_test_user mkdir -p "$BENCH_WORK"
	mkdir -p "$BENCH_WORK/logs" "$BENCH_WORK/scripts" "$BENCH_WORK/results"
}

BENCH_PG=15
main() {
	local selected=() s start
	if (($# >= 2)) && [[ $1 == --pg ]]; then
		if ! [[ $2 =~ ^1[5-9]$ ]]; then
			lg_err "--pg takes a major version (15, 18)"
			exit 2
		fi
		BENCH_PG=$2
		shift 2
	fi
	if (($# == 1)) && [[ $1 == list ]]; then
		for s in "${BENCH_SUITES[@]}"; do
			printf '%-10s ~%4d s  %s\n' "$s" "${BENCH_SUITE_SECONDS[$s]}" "${BENCH_SUITE_TEXT[$s]}"
		done
		return 0
	fi
	if (($# == 1)) && [[ $1 == -h || $1 == --help ]]; then
		usage
		return 0
	fi
	if (($# == 0)); then
		selected=("${BENCH_SUITES[@]}")
	else
		for s in "$@"; do
			if [[ -z ${BENCH_SUITE_TEXT[$s]+set} ]]; then
				lg_err "unknown suite '$s' (known: ${BENCH_SUITES[*]})"
				exit 2
			fi
			selected+=("$s")
		done
	fi
	if ((BENCH_ROUNDS < 5)); then
		BENCH_NOTES+=("only $BENCH_ROUNDS rounds per comparison (LIFEGUARD_BENCH_ROUNDS); 5 or more are needed for figures worth recording")
	fi

	lg_say "pg_lifeguard benchmarks: ${selected[*]} ($BENCH_ROUNDS rounds, budget ${BENCH_BUDGET} s)"
	prepare
	lg_say "pg_lifeguard: $BENCH_BUILD_INFO"

	local notes=("${BENCH_NOTES[@]}")
	for s in "${selected[@]}"; do
		BENCH_NOTES=("${notes[@]}")
		if ((SECONDS + 60 > BENCH_BUDGET)); then
			lg_err "$s: not started, the ${BENCH_BUDGET} s time budget is used up"
			SUMMARY+=("$(printf '%-10s NOT RUN (time budget)' "$s")")
			FAILED=1
			continue
		fi
		if ((SECONDS + BENCH_SUITE_SECONDS[$s] > BENCH_BUDGET)); then
			lg_warn "$s: usually takes ${BENCH_SUITE_SECONDS[$s]} s, $((BENCH_BUDGET - SECONDS)) s of the budget remain; rounds that do not fit will be skipped"
		fi
		start=$SECONDS
		lg_say "suite $s: ${BENCH_SUITE_TEXT[$s]}"
		if "suite_$s"; then
			SUMMARY+=("$(printf '%-10s done (%d s): %s' "$s" $((SECONDS - start)) "$BENCH_REPORT_OUT")")
		else
			SUMMARY+=("$(printf '%-10s FAILED (%d s), see the messages above' "$s" $((SECONDS - start)))")
			FAILED=1
			bench_show_server_errors
		fi
		bench_cleanup_clusters
		BENCH_REPORT=
		BENCH_REPORT_OUT=
	done
}

trap finish EXIT
trap 'printf "\n"; lg_err "interrupted"; exit 130' INT
trap 'printf "\n"; lg_err "terminated"; exit 143' TERM
main "$@"
