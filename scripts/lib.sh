# shellcheck shell=bash
#
# scripts/lib.sh - shared helpers for scripts/test.sh, scripts/demo.sh and
# the bench scripts.  Source it, do not run it:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here is a variable or a function prefixed with LG_ / lg_, so a
# script can source it without surprises.  Nothing runs at source time except
# the variable and environment (PATH, locale) settings below.
#
# Convention: a function call whose output goes to a file is wrapped in a
# subshell, `(lg_as_test_user cmd ...) >log`.  A redirection on a plain
# function call is made by the calling shell itself, and if a signal or an
# error makes that shell exit meanwhile, its EXIT trap (the final summary of
# test.sh) would write into the log file instead of to the terminal.

# The LG_ variables are used by the scripts that source this file.
# shellcheck disable=SC2034

# --------------------------------------------------------------------------
# Packages.  The ONE list every script installs from.  To add a package for
# later work (postgresql-15-partman, postgresql-15-cron, pgbouncer, ...),
# append a line here; lg_install_packages picks it up everywhere.
# --------------------------------------------------------------------------
LG_PACKAGES=(
	postgresql-15                           # server, initdb, pg_ctl, psql, pgbench
	postgresql-server-dev-15                # PGXS, server headers, pg_regress, pg_isolation_regress
	libkrb5-dev                             # gssapi/gssapi.h, pulled in by libpq/libpq-be.h
	postgresql-15-pgtap                     # the pgtap extension
	libtap-parser-sourcehandler-pgtap-perl  # pg_prove
	libipc-run-perl                         # needed by PostgreSQL::Test::Cluster (Perl TAP)
	postgresql-15-partman                   # pg_partman 4.x: partition job tests and demo
	postgresql-15-cron                      # pg_cron: job run tests
	curl                                    # the demo fetches the HTTP endpoint
	python3                                 # scripts/check_doc_links.py
	make
	gcc
)

# --------------------------------------------------------------------------
# PostgreSQL locations.  Pin major version 15 so another installed version
# (or Debian's pg_wrapper) never gets picked by accident.
# --------------------------------------------------------------------------
LG_PG_MAJOR=15
LG_PG_BIN=/usr/lib/postgresql/${LG_PG_MAJOR}/bin
if [[ -x ${LG_PG_BIN}/pg_config ]]; then
	LG_PG_CONFIG=${LG_PG_BIN}/pg_config
else
	LG_PG_CONFIG=/usr/bin/pg_config
fi

# The versions scripts/test.sh runs the suites on.  15 comes from Debian's
# packages; every other version is built from Debian's source package by
# scripts/build_pg.sh into LG_PG_CACHE/pgMAJOR (16 and 17 are written for,
# in src/core/compat.h, but their sources are not served here).
LG_PG_TESTED=(15 18)
LG_PG_CACHE=${LIFEGUARD_PG_CACHE:-/var/cache/pg_lifeguard}

# lg_pg_config_of MAJOR  - the pg_config of that version (which may not be
# installed yet).
lg_pg_config_of() {
	if [[ $1 == 15 ]]; then
		printf '%s\n' /usr/lib/postgresql/15/bin/pg_config
	else
		printf '%s\n' "$LG_PG_CACHE/pg$1/bin/pg_config"
	fi
}

# lg_use_pg MAJOR  - make that installed version the one every later
# command uses: LG_PG_MAJOR, LG_PG_CONFIG, LG_PG_BIN and PATH.
lg_use_pg() {
	LG_PG_MAJOR=$1
	LG_PG_CONFIG=$(lg_pg_config_of "$1")
	LG_PG_BIN=$("$LG_PG_CONFIG" --bindir)
	export PATH="${LG_PG_BIN}:${PATH}"
}

# lg_pg_has_extension NAME  - is extension NAME installed for LG_PG_CONFIG?
lg_pg_has_extension() {
	[[ -f $("$LG_PG_CONFIG" --sharedir)/extension/$1.control ]]
}

# The extension the scripts preload and create.  Overridable only so these
# scripts can be tried against a stand-in extension.
LG_EXTENSION=${LIFEGUARD_EXTENSION:-pg_lifeguard}

# The repository root: the parent of the directory holding this file.
LG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Messages from PostgreSQL tools are translated; the parsers below need the
# English ones, and initdb needs a locale that exists on every Debian
# machine (C.UTF-8 is built into glibc).
export LC_ALL=C.UTF-8 LANG=C.UTF-8
unset LANGUAGE
export PATH="${LG_PG_BIN}:${PATH}"

# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
lg_say()  { printf '==> %s\n' "$*"; }
lg_info() { printf '    %s\n' "$*"; }
lg_warn() { printf 'WARNING: %s\n' "$*" >&2; }
lg_err()  { printf 'ERROR: %s\n' "$*" >&2; }

# lg_show FILE TITLE [head|tail] [LINES]
# Print (part of) a file between markers, so CI logs explain a failure.
lg_show() {
	local file=$1 title=$2 how=${3:-tail} n=${4:-60} total
	[[ -f $file ]] || return 0
	total=$(wc -l <"$file")
	if ((total <= n)); then
		printf -- '----- %s (%s) -----\n' "$title" "$file"
		cat "$file"
	else
		printf -- '----- %s (%s, %s %d of %d lines) -----\n' \
			"$title" "$file" "$([[ $how == head ]] && echo first || echo last)" "$n" "$total"
		"$how" -n "$n" "$file"
	fi
	printf -- '----- end of %s -----\n' "$title"
}

# --------------------------------------------------------------------------
# Privileges.  Root is the main case: root installs, the `postgres` OS user
# builds and runs every test (initdb and postgres refuse to run as root).
# A non-root user with passwordless sudo also works: sudo for apt and
# `make install`, everything else as that user.
# --------------------------------------------------------------------------
#
# lg_init_privileges sudo|no-sudo  - set LG_TEST_USER and LG_SUDO.  With
# `sudo`, a non-root user without passwordless sudo is an error; `no-sudo`
# is for commands that never install anything.
LG_SUDO=()
LG_TEST_USER=
lg_init_privileges() {
	if ((EUID == 0)); then
		LG_SUDO=()
		LG_TEST_USER=postgres
	else
		LG_TEST_USER=$(id -un)
		[[ $1 == no-sudo ]] && return 0
		if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
			lg_err "run as root, or as a user with passwordless sudo"
			return 1
		fi
		LG_SUDO=(sudo -n)
	fi
}

# lg_as_root CMD...  - run CMD as root (directly, or through sudo -n).
lg_as_root() {
	"${LG_SUDO[@]}" "$@"
}

# lg_as_test_user CMD...  - run CMD as the unprivileged test user.  It runs
# from the current directory, so cd somewhere that user can read first.
lg_as_test_user() {
	if ((EUID == 0)); then
		runuser -u "$LG_TEST_USER" -- "$@"
	else
		"$@"
	fi
}

# lg_in_dir DIR CMD...  - run CMD as the test user inside DIR.
lg_in_dir() {
	local dir=$1
	shift
	(cd "$dir" && lg_as_test_user "$@")
}

# --------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------

# lg_missing_packages PKG...  - print the packages that are not installed.
lg_missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[[ $status == installed ]] || printf '%s\n' "$pkg"
	done
}

# lg_install_packages [PKG...]  - install what is missing, quietly.
# Defaults to LG_PACKAGES.  Does nothing at all (no apt-get update) when
# every package is already installed.  Prints apt's output only on failure.
lg_install_packages() {
	local pkgs=("$@") missing log rc=0
	((${#pkgs[@]})) || pkgs=("${LG_PACKAGES[@]}")
	mapfile -t missing < <(lg_missing_packages "${pkgs[@]}")
	if ((${#missing[@]} == 0)); then
		lg_say "packages: all ${#pkgs[@]} already installed"
		return 0
	fi
	lg_say "packages: installing ${missing[*]}"
	log=$(mktemp /tmp/pg_lifeguard_apt.XXXXXX.log)
	(
		lg_as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -q -o DPkg::Lock::Timeout=300 update &&
			lg_as_root env DEBIAN_FRONTEND=noninteractive \
				apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 \
				install "${missing[@]}"
	) </dev/null >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		lg_show "$log" "apt-get output" tail 80
		lg_err "package installation failed (exit $rc)"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	mapfile -t missing < <(lg_missing_packages "${pkgs[@]}")
	if ((${#missing[@]})); then
		lg_err "still not installed after apt-get: ${missing[*]}"
		return 1
	fi
}

# --------------------------------------------------------------------------
# Source tree, build, install
# --------------------------------------------------------------------------

# lg_copy_tree SRC DST  - copy the source tree without .git and without build
# artefacts.  In a git checkout: tracked files plus untracked files that
# .gitignore does not exclude.  Otherwise (tarball, or git refuses the
# directory's owner): everything but the usual artefacts.
lg_copy_tree() {
	local src=$1 dst=$2
	if command -v git >/dev/null 2>&1 &&
		git -c safe.directory="$src" -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Files deleted from the work tree but still in the index are skipped.
		git -c safe.directory="$src" -C "$src" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[[ -e $src/$f || -L $src/$f ]] && printf '%s\0' "$f"
			done |
			tar -C "$src" --null -T - -cf - | tar -C "$dst" -xf -
	else
		tar -C "$src" \
			--exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
			--exclude=./results --exclude=./output_iso --exclude=./tmp_check \
			--exclude=./tmp_check_iso --exclude=./log --exclude=./regression.diffs \
			--exclude=./regression.out --exclude=./bench/out \
			-cf - . | tar -C "$dst" -xf -
	fi
}

# lg_make_scratch PREFIX  - make a scratch copy of the repository owned by the
# test user; prints its path.  The caller removes it.
lg_make_scratch() {
	local prefix=$1 dir
	dir=$(mktemp -d "/tmp/${prefix}.XXXXXX")
	lg_copy_tree "$LG_REPO" "$dir"
	mkdir -p "$dir/logs"
	if ((EUID == 0)); then
		chown -R "$LG_TEST_USER:" "$dir"
	fi
	chmod 755 "$dir"
	printf '%s\n' "$dir"
}

# lg_make_var DIR VAR  - print the value of a variable of DIR/Makefile as make
# sees it (after PGXS is included).
lg_make_var() {
	local dir=$1 var=$2 helper
	helper=$(mktemp /tmp/pg_lifeguard_print.XXXXXX.mk)
	# shellcheck disable=SC2016  # $($*) is make syntax, not shell
	printf 'lg-print-%%:\n\t@echo $($*)\n' >"$helper"
	chmod 644 "$helper"
	lg_in_dir "$dir" make -s --no-print-directory -f Makefile -f "$helper" \
		PG_CONFIG="$LG_PG_CONFIG" "lg-print-$var" 2>/dev/null || true
	rm -f "$helper"
}

# lg_build_install DIR LOGDIR  - `make` as the test user, `make install` as
# root.  Output goes to LOGDIR/build.log and LOGDIR/install.log and is
# printed when a step fails.
lg_build_install() {
	local dir=$1 logdir=$2 rc=0
	lg_say "build: make (in $dir)"
	(lg_in_dir "$dir" make PG_CONFIG="$LG_PG_CONFIG") </dev/null >"$logdir/build.log" 2>&1 || rc=$?
	if ((rc != 0)); then
		lg_show "$logdir/build.log" "compiler output" tail 200
		lg_err "build failed (make exit $rc)"
		return 1
	fi
	lg_say "build: make install"
	(cd "$dir" && lg_as_root make PG_CONFIG="$LG_PG_CONFIG" install) \
		>"$logdir/install.log" 2>&1 || rc=$?
	if ((rc != 0)); then
		lg_show "$logdir/install.log" "make install output" tail 80
		lg_err "install failed (make install exit $rc)"
		return 1
	fi
}

# --------------------------------------------------------------------------
# Throwaway / sandbox clusters
# --------------------------------------------------------------------------

# lg_port_in_use PORT  - true if something accepts TCP connections on
# 127.0.0.1:PORT, a PostgreSQL socket for PORT exists in the usual places,
# or 127.0.0.1:PORT cannot be bound.
lg_port_in_use() {
	local port=$1
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		return 0
	fi
	[[ -e /tmp/.s.PGSQL.$port || -e /var/run/postgresql/.s.PGSQL.$port ]] && return 0
	# Nothing listens, but the server must also be able to bind it (a
	# client's source port or a socket waiting to close can hold it): try,
	# as PostgreSQL does, with SO_REUSEADDR.
	! perl -MIO::Socket::INET -e '
		IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
		                      Listen => 1, ReuseAddr => 1) or exit 1' "$port" 2>/dev/null
}

# lg_free_port [START]  - print the first free port from START (25432) up.
# Keep START below the kernel's ephemeral range (32768-60999 on Debian):
# there a busy client (pgbench -C) can hold the port as its source port, and
# the server then fails to bind it although nothing listens on it.
lg_free_port() {
	local port=${1:-25432} last
	last=$((port + 200))
	while ((port <= last)); do
		if ! lg_port_in_use "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
		port=$((port + 1))
	done
	lg_err "no free TCP port in ${1:-25432}..$last"
	return 1
}

# lg_cluster_init DATADIR SOCKDIR PORT  - initdb (superuser `postgres`, trust
# auth, UTF8) and point the server at 127.0.0.1:PORT and SOCKDIR.  Further
# settings: append lines to DATADIR/postgresql.conf (lg_cluster_conf).
lg_cluster_init() {
	local datadir=$1 sockdir=$2 port=$3 log rc=0
	log=$(dirname "$datadir")/initdb.log
	lg_as_test_user mkdir -p "$sockdir"
	(lg_as_test_user initdb -D "$datadir" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 -N) </dev/null >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		lg_show "$log" "initdb output" tail 40
		lg_err "initdb failed (exit $rc)"
		return 1
	fi
	lg_cluster_conf "$datadir" \
		"# --- added by scripts/lib.sh ---" \
		"listen_addresses = '127.0.0.1'" \
		"port = $port" \
		"unix_socket_directories = '$sockdir'"
}

# lg_cluster_conf DATADIR LINE...  - append lines to postgresql.conf.
lg_cluster_conf() {
	local datadir=$1
	shift
	printf '%s\n' "$@" | lg_as_test_user tee -a "$datadir/postgresql.conf" >/dev/null
}

# lg_cluster_start DATADIR LOGFILE  - start and wait until it accepts
# connections; prints the log tail on failure.
lg_cluster_start() {
	local datadir=$1 logfile=$2 rc=0
	(lg_as_test_user pg_ctl -D "$datadir" -l "$logfile" -w -t 60 start) </dev/null >/dev/null 2>&1 || rc=$?
	if ((rc != 0)); then
		lg_show "$logfile" "server log" tail 40
		lg_err "server in $datadir did not start (pg_ctl exit $rc)"
		return 1
	fi
}

# lg_cluster_stop DATADIR  - stop if running (fast, then immediate).
lg_cluster_stop() {
	local datadir=$1
	[[ -f $datadir/postmaster.pid ]] || return 0
	(lg_as_test_user pg_ctl -D "$datadir" -m fast -w -t 30 stop) >/dev/null 2>&1 ||
		(lg_as_test_user pg_ctl -D "$datadir" -m immediate -w -t 30 stop) >/dev/null 2>&1 ||
		lg_warn "could not stop the server in $datadir"
}

# lg_stop_all_under DIR  - stop every server whose data directory lies under
# DIR (servers left behind by a killed pg_regress or TAP run).
lg_stop_all_under() {
	local dir=$1 pidfile
	[[ -d $dir ]] || return 0
	while IFS= read -r pidfile; do
		(lg_as_test_user pg_ctl -D "$(dirname "$pidfile")" -m immediate -w -t 30 stop) \
			>/dev/null 2>&1 || true
	done < <(find "$dir" -maxdepth 6 -name postmaster.pid 2>/dev/null)
}

# lg_psql SOCKDIR PORT DB ARGS...  - psql as superuser `postgres`, no psqlrc,
# stop on the first error.
lg_psql() {
	local sockdir=$1 port=$2 db=$3
	shift 3
	lg_as_test_user psql -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d "$db" "$@"
}

# --------------------------------------------------------------------------
# Result parsers.  Each reads a captured log and prints "PASSED FAILED".
# --------------------------------------------------------------------------

# lg_count_pg_regress LOG  - pg_regress / pg_isolation_regress, in 15's
# format:
#   test worker_status                ... ok           25 ms
#        name                         ... FAILED       12 ms      (parallel group)
#   test name                         ... failed (ignored)
# and in TAP form, from 16 on:
#   ok 1         - worker_status                            25 ms
#   not ok 6     + name                                     12 ms  (parallel group)
# One line per test; `ok` passes, `FAILED`, `failed (ignored)` and `not ok`
# fail.
lg_count_pg_regress() {
	awk '
		/^(test +|     +)[^ ]+ +\.\.\. +ok( |$)/                    { ok++;  next }
		/^(test +|     +)[^ ]+ +\.\.\. .*(FAILED|failed \(ignored\))/ { bad++; next }
		/^ok [0-9]+ +[-+] [^ ]/                                     { ok++;  next }
		/^not ok [0-9]+ +[-+] [^ ]/                                 { bad++; next }
		END { printf "%d %d\n", ok, bad }
	' "$1"
}

# lg_count_tap LOG  - prove / pg_prove (TAP::Harness) output.
#   Files=2, Tests=14, ...                        total assertions run
#   Test Summary Report
#   t/001_x.pl (Wstat: 256 Tests: 10 Failed: 1)   Failed: K adds K failures
#   t/001_x.pl (Wstat: 256 (exited 1) Tests: 10 Failed: 1)   (newer harness)
# A file in the summary report with Failed: 0 but a non-zero wait status or
# parse errors (died, bad plan, no plan) is 1 failure; "TODO passed" alone
# is not.  No Files= line at all (the harness never got to the end) is 1
# failure; "Result: FAIL" with nothing counted is 1 failure.
lg_count_tap() {
	awk '
		function flush() {
			if (cur && curfailed == 0 && (curwstat != 0 || curparse)) dead++
			cur = 0; curparse = 0
		}
		/^Test Summary Report/ { insum = 1; next }
		insum && /\(Wstat: [0-9]+( \([^)]*\))? Tests: [0-9]+ Failed: [0-9]+\)/ {
			flush()
			s = $0; sub(/.*Failed: /, "", s); sub(/\).*/, "", s)
			w = $0; sub(/.*\(Wstat: /, "", w); sub(/ .*/, "", w)
			cur = 1; curfailed = s + 0; curwstat = w + 0
			failed += curfailed
			next
		}
		insum && cur && /^ +Parse errors:/ { curparse = 1; next }
		/^Files=[0-9]+, Tests=[0-9]+/ {
			flush(); insum = 0
			t = $0; sub(/^Files=[0-9]+, Tests=/, "", t); sub(/[^0-9].*/, "", t)
			tests = t + 0; seen = 1
			next
		}
		/^Result: FAIL/ { resfail = 1 }
		END {
			flush()
			if (!seen) { printf "0 1\n"; exit }
			fail = failed + dead
			if (resfail && fail == 0) fail = 1
			pass = tests - failed
			if (pass < 0) pass = 0
			printf "%d %d\n", pass, fail
		}
	' "$1"
}

# lg_count_tap_lines FILE...  - count raw TAP lines ("ok 3 - x", "not ok 4 -
# y", optionally after PostgreSQL::Test::Utils' "[12:00:00.000](0.1s) "
# prefix) in the per-test logs, for when the harness was killed before its
# summary.  "not ok ... # TODO" is not a failure.
lg_count_tap_lines() {
	awk '
		{ sub(/^\[[^]]*\]\([^)]*\) /, "") }
		/^ok [0-9]+/                        { ok++;  next }
		/^not ok [0-9]+/ && !/# *TODO/      { bad++; next }
		/^not ok [0-9]+/                    { ok++;  next }
		END { printf "%d %d\n", ok, bad }
	' "$@" /dev/null
}
