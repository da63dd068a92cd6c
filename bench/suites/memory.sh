# shellcheck shell=bash
#
# bench/suites/memory.sh - the shared memory pg_lifeguard requests, at the
# default settings and per extra connection slot.
#
# Not a timing: sizes are exact, so one measurement per configuration, no
# rounds.  Four throwaway clusters, each started, read once and stopped:
# max_connections 100 (PostgreSQL's default) and 1000, each without and
# with pg_lifeguard preloaded, every other pg_lifeguard setting at its
# default (event_ring_size 1024).  From each one:
#
#   - pg_lifeguard's own allocations in pg_shmem_allocations (one entry
#     per piece, each named "pg_lifeguard ...": worker, events, policies,
#     slots, limits, checks), allocated_size;
#   - the sum of allocated_size over every named allocation, so the
#     difference with and without the extension also counts what it adds
#     elsewhere (its LWLock tranche, its background worker);
#   - shared_memory_size (PostgreSQL's own total, MB).
#
# Per extra slot = (size at 1000 - size at 100) / 900.
#
# Settings: none.  Takes about 15 s.

# Called indirectly (suite_NAME).
# shellcheck disable=SC2317

bench_register memory 15 "shared memory: pg_lifeguard's allocations at default settings and per extra connection slot"

declare -gA MEM_OWN=() MEM_SUM=() MEM_TOTAL=()

# mem_measure KEY MAXCONN PRELOAD  - start a cluster, read the sizes, stop it.
mem_measure() {
	local key=$1 maxconn=$2 preload=$3 dir port row
	dir=$BENCH_WORK/mem-$key
	lg_as_test_user mkdir -p "$dir"
	port=$(lg_free_port 56432) || return 1
	lg_cluster_init "$dir/data" "$dir/sock" "$port" || return 1
	lg_cluster_conf "$dir/data" "max_connections = $maxconn" "${BENCH_BASE_CONF[@]}" || return 1
	if ((preload)); then
		lg_cluster_conf "$dir/data" "shared_preload_libraries = '$LG_EXTENSION'" || return 1
	fi
	BENCH_CLUSTERS+=("mem-$key")
	BENCH_DATA[mem-$key]=$dir/data
	BENCH_SOCK[mem-$key]=$dir/sock
	BENCH_PORT[mem-$key]=$port
	lg_cluster_start "$dir/data" "$dir/server.log" >/dev/null || return 1
	bench_wait_login "mem-$key" 30 || return 1
	row=$(bench_sql "mem-$key" postgres \
		"SELECT coalesce(sum(allocated_size) FILTER (WHERE name LIKE 'pg_lifeguard%'), 0),
		        sum(allocated_size), current_setting('shared_memory_size')
		   FROM pg_shmem_allocations") || return 1
	IFS='|' read -r MEM_OWN[$key] MEM_SUM[$key] MEM_TOTAL[$key] <<<"$row"
	bench_stop "mem-$key"
	lg_info "memory: max_connections $maxconn, preload $preload: pg_lifeguard ${MEM_OWN[$key]} B, named allocations ${MEM_SUM[$key]} B, shared_memory_size ${MEM_TOTAL[$key]}"
}

suite_memory() {
	local key added100 added1000 per_own per_added
	for key in 100:0 100:1 1000:0 1000:1; do
		mem_measure "${key/:/-}" "${key%:*}" "${key#*:}" || return 1
	done

	if ((MEM_OWN[100-1] == 0)); then
		lg_err "memory: no pg_lifeguard allocation found in pg_shmem_allocations"
		return 1
	fi
	added100=$((MEM_SUM[100-1] - MEM_SUM[100-0]))
	added1000=$((MEM_SUM[1000-1] - MEM_SUM[1000-0]))
	per_own=$(bench_calc "(${MEM_OWN[1000-1]} - ${MEM_OWN[100-1]}) / 900")
	per_added=$(bench_calc "($added1000 - $added100) / 900")

	bench_report_begin memory "memory: shared memory pg_lifeguard requests" \
		"clusters: PostgreSQL defaults plus the bench's common settings (shared_buffers 128MB), max_connections 100 and 1000, each without and with pg_lifeguard preloaded (every lifeguard.* setting at its default: event_ring_size 1024)" \
		"sizes from pg_shmem_allocations.allocated_size, bytes; exact, so one reading per configuration"
	bench_report \
		"| max_connections | pg_lifeguard's own allocations | all named allocations, without → with | added by preloading | shared_memory_size without → with |" \
		"| --- | --- | --- | --- | --- |" \
		"| 100 | ${MEM_OWN[100-1]} B ($(bench_fmt "$(bench_calc "${MEM_OWN[100-1]} / 1024")" 1) KiB) | ${MEM_SUM[100-0]} → ${MEM_SUM[100-1]} | $added100 B | ${MEM_TOTAL[100-0]} → ${MEM_TOTAL[100-1]} |" \
		"| 1000 | ${MEM_OWN[1000-1]} B ($(bench_fmt "$(bench_calc "${MEM_OWN[1000-1]} / 1024")" 1) KiB) | ${MEM_SUM[1000-0]} → ${MEM_SUM[1000-1]} | $added1000 B | ${MEM_TOTAL[1000-0]} → ${MEM_TOTAL[1000-1]} |" \
		"" \
		"- per extra connection slot: $(bench_fmt "$per_own" 1) B in pg_lifeguard's own allocations, $(bench_fmt "$per_added" 1) B in all named allocations"
	bench_report_end
}
