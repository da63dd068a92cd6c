#!/usr/bin/env bash
#
# scripts/check_compat.sh - keep PostgreSQL internals and version guards in
# src/core/compat.h.
#
# Every PG_VERSION_NUM guard and every access to PostgreSQL internals (the
# PGPROC array, the backend status array, the GUC table, lock manager
# tables and tag fields, cumulative statistics entries, PostgreSQL's own
# message texts...) lives in src/core/compat.h (or src/core/compat.c), so a
# port to another major version is one file's job.  This script fails when
# any other file under src/ mentions one of them in code: comments are not
# looked at, string literals are.  Each hit is printed as file:line: text.
#
#   scripts/check_compat.sh            check the tree this script is in
#   scripts/check_compat.sh DIR        check DIR/src instead
#
# Exit status: 0 clean, 1 hits found, 2 usage or setup error.

set -euo pipefail

root=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
src="$root/src"
if [ ! -d "$src" ]; then
	echo "check_compat: no src directory under $root" >&2
	exit 2
fi

# The internal names moved to compat.h, as extended regular expressions
# (awk syntax; \< and \> are not portable, so word edges are spelled out).
# Keep this list in step with compat.h: when an accessor is added there,
# add what it hides here.
patterns=(
	# version guards
	'PG_VERSION_NUM'
	# PGPROC and the PGPROC array (storage/proc.h); a PGPROC is read only
	# through lifeguard_proc_*(): no field access through MyProc or a
	# variable named proc
	'ProcGlobal' 'allProcs' 'allProcCount'
	'GetPGProcByNumber' 'GetNumberFromPGProc'
	'procLatch' 'owner_pid' 'isBackgroundWorker' 'isRegularBackend'
	'databaseId' 'roleId' 'waitStart'
	'(^|[^A-Za-z0-9_])(MyProc|proc)[ 	]*->'
	'HaveNFreeProcs'
	'ReservedBackends' 'SuperuserReservedConnections' 'ReservedConnections'
	# the backend status array (utils/backend_status.h)
	'Backend Status Array' 'PgBackendStatus'
	'NUM_AUXPROCTYPES' 'NUM_AUXILIARY_PROCS'
	'pgstat_fetch_stat_local_beentry' 'pgstat_get_local_beentry_by_index'
	'pgstat_fetch_stat_numbackends'
	'pgstat_begin_read_activity' 'pgstat_end_read_activity'
	'pgstat_read_activity_complete'
	'(^|[^A-Za-z0-9_])st_(procpid|backendType|userid|databaseid|state|proc_start_timestamp|xact_start_timestamp|activity_start_timestamp|state_start_timestamp|appname|clientaddr|activity_raw|changecount)([^A-Za-z0-9_]|$)'
	'(^|[^A-Za-z0-9_])STATE_[A-Z_]+'
	# the GUC table (utils/guc_tables.h)
	'get_guc_variables' 'GetNumConfigOptions' 'config_generic'
	'utils/guc_tables\.h'
	# cumulative statistics (pgstat.h)
	'pgstat_fetch_stat_tabentry' 'PgStat_StatTabEntry' 'n_live_tuples'
	'->[ 	]*live_tuples'
	# wait event sets (storage/latch.h, 18: storage/waiteventset.h)
	'CreateWaitEventSet'
	# the lock manager's tables and tag layout (storage/lock.h)
	'(^|[^A-Za-z0-9_])LOCKTAG_[A-Z_]+' 'SET_LOCKTAG_'
	'(^|[^A-Za-z0-9_])locktag_(type|lockmethodid|field[1-4])([^A-Za-z0-9_]|$)'
	'LockTagTypeNames' 'GetLockmodeName' 'GetLockTagsMethodTable' 'conflictTab'
	# relcache state (utils/relcache.h)
	'criticalSharedRelcachesBuilt'
	# PostgreSQL's own messages, matched in text (tcop/postgres.c)
	'canceling statement due to user request'
	'terminating connection due to administrator command'
	'canceling statement due to lock timeout'
)

# One awk program: strip /* */ comments (keeping line numbers and string
# literals), then report every line that matches a pattern.
pattern_file=$(mktemp)
trap 'rm -f "$pattern_file"' EXIT
printf '%s\n' "${patterns[@]}" >"$pattern_file"

status=0
while IFS= read -r -d '' file; do
	case "$file" in
		"$src/core/compat.h" | "$src/core/compat.c") continue ;;
	esac
	rel=${file#"$root"/}
	if ! awk -v rel="$rel" -v patfile="$pattern_file" '
		BEGIN {
			n = 0
			while ((getline p < patfile) > 0)
				pat[n++] = p
			incomment = 0
			hits = 0
		}
		{
			line = $0
			out = ""
			i = 1
			len = length(line)
			instr = ""
			while (i <= len) {
				c = substr(line, i, 1)
				two = substr(line, i, 2)
				if (incomment) {
					if (two == "*/") {
						incomment = 0
						out = out "  "
						i += 2
					} else {
						out = out " "
						i++
					}
				} else if (instr != "") {
					out = out c
					if (c == "\\") {
						out = out substr(line, i + 1, 1)
						i += 2
						continue
					}
					if (c == instr)
						instr = ""
					i++
				} else if (two == "/*") {
					incomment = 1
					out = out "  "
					i += 2
				} else if (two == "//") {
					break
				} else {
					if (c == "\"" || c == "'\''")
						instr = c
					out = out c
					i++
				}
			}
			for (k = 0; k < n; k++) {
				if (out ~ pat[k]) {
					printf "%s:%d: %s\n", rel, FNR, $0
					hits++
					break
				}
			}
		}
		END { exit hits > 0 ? 1 : 0 }
	' "$file"; then
		status=1
	fi
done < <(find "$src" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)

if [ "$status" -ne 0 ]; then
	echo "check_compat: PostgreSQL internals or version guards outside src/core/compat.[ch] (see above)" >&2
fi
exit "$status"
