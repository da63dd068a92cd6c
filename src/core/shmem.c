/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		pg_lifeguard's shared memory: layout, allocation and locking.
 *
 * Everything pg_lifeguard knows lives in one shared struct, so it can be
 * read by any backend (and later served over HTTP) even when no table can
 * be read or written: on a hot standby, with the disk full, or with every
 * client slot taken.
 *
 * Contents (see LifeguardShared in shmem.h):
 *
 *	- the worker's state: pid, phase, tick counters and timings, last error,
 *	  and the settings it has in force;
 *	- the published policies, with a live count of the sessions in each;
 *	- one LifeguardBackendEntry per client PGPROC (a separate struct, sized
 *	  by max_connections): what each session counted itself in at login;
 *	- one LifeguardReason per client PGPROC (another separate struct): why
 *	  the worker is about to cancel or terminate that backend;
 *	- the slot history ring: one sample a second for the last hour;
 *	- what the partition and job checks last reported, per table and job;
 *	- the event ring: the last lifeguard.event_ring_size events, each with a
 *	  sequence number, overwriting the oldest;
 *	- one counter per event kind.
 *
 * Locking protocol
 * ----------------
 *
 * LifeguardShared->mutex (spinlock) protects "worker".  Only the worker
 * writes it; any backend may read it.  Holders do nothing but copy a few
 * fields or the struct itself: no palloc, no ereport, no call that could
 * fail while the spinlock is held.
 *
 * LifeguardShared->policy_lock (LWLock) protects policy_generation,
 * npolicies, policies[], policy_connections[] and every
 * LifeguardBackendEntry.
 *	- The login hook takes it LW_EXCLUSIVE once per login: fills its own
 *	  entry, checks every matching cap and, unless refused, increments the
 *	  counts of the policies it matches, all in one critical section, so a
 *	  burst of simultaneous logins cannot overshoot a cap.  O(policies).
 *	- A backend's exit callback takes it LW_EXCLUSIVE to decrement what its
 *	  entry counted (only if the generation is still current) and clear it.
 *	- The worker takes it LW_EXCLUSIVE to publish a new set of policies: it
 *	  bumps the generation and recounts every entry against the new set
 *	  (O(max_connections x policies), only when the policies changed).
 *	- Readers (policy_status(), the worker's idle check) take it LW_SHARED
 *	  and copy what they need.
 *	Events are recorded only after it is released.
 *
 * LifeguardShared->history_lock (LWLock) protects history_next and
 * history[].  The worker takes it LW_EXCLUSIVE to append one sample;
 * slot_history() takes it LW_SHARED to copy the ring.
 *
 * LifeguardShared->alert_lock (LWLock) protects checks and alerts[].  Only
 * the processes running partition and job checks (the worker, and the
 * short-lived check workers it starts for other databases) take it,
 * LW_EXCLUSIVE, to compare one table's or job's state with what was last
 * reported and update the entry: a scan of LIFEGUARD_MAX_ALERTS entries,
 * no palloc, no ereport; the event is recorded after it is released.  A
 * user session never takes it.
 *
 * LifeguardReasons[i].mutex (one spinlock per entry) protects that entry.
 * The worker fills the entry of the backend it is about to signal (before
 * kill()); that backend's emit_log_hook, raising the cancel or terminate
 * error, copies the entry and clears it.  Holders copy at most two short
 * strings and a few fields.  A backend takes only its own entry's spinlock,
 * the worker one entry's at a time, with nothing else held.
 *
 * policies_changed is an atomic counter, bumped without a lock by a
 * committing transaction that changed lifeguard.policies; the worker reads
 * it without a lock.
 *
 * LifeguardShared->lock (LWLock, tranche "pg_lifeguard") protects next_seq,
 * ring[] and the rate limit's buckets[].
 *	- Writers (any process that records an event: the worker, a backend in
 *	  the login hook, a SQL function) take it LW_EXCLUSIVE, assign the next
 *	  sequence number and copy one event into its slot.  The message is
 *	  formatted before the lock is taken and logged after it is released.
 *	  An event of a kind people can cause first takes a token from its
 *	  bucket (a scan of LIFEGUARD_EVENT_BUCKETS entries, no palloc, no
 *	  ereport); with none left it is only counted.  The worker takes the
 *	  lock LW_EXCLUSIVE once a tick to record the summaries of held-back
 *	  events.
 *	- Readers (lifeguard_events_copy(): recent_events(), the worker's event
 *	  log, GET /events) take it LW_SHARED, copy the slots they want into
 *	  local memory and release it before building anything from them.
 *	- It also protects persisted_seq and notified_seq, which only the worker
 *	  moves (eventlog.c): it copies a batch of events under the lock, writes
 *	  them with no lock held, and takes the lock again to move the mark.
 *
 * No lock is ever taken while another of these is held (the one exception:
 * the spinlock may be taken and released while nothing else is held, never
 * inside an LWLock section that could wait), so none of them can take part
 * in a deadlock, and a user session never waits on them for longer than one
 * short critical section.
 *
 * event_counts[], action_counts[], suppressed_counts[], events_persisted,
 * events_dropped, events_notified, login_hook_calls and login_hook_ns are
 * atomics: incremented without a lock, read without a lock.  They are
 * monotonic since server start.
 *
 * Shared memory is sized at postmaster start from lifeguard.event_ring_size
 * (PGC_POSTMASTER) and requested in shmem_request_hook (PostgreSQL 15 API).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "core/lifeguard.h"
#include "core/shmem.h"

#define LIFEGUARD_TRANCHE	"pg_lifeguard"

LifeguardShared *LifeguardState = NULL;
LifeguardBackendEntry *LifeguardBackends = NULL;
LifeguardReason *LifeguardReasons = NULL;

/* Locks of the "pg_lifeguard" tranche, in this order */
#define LIFEGUARD_LOCK_RING		0
#define LIFEGUARD_LOCK_POLICY	1
#define LIFEGUARD_LOCK_HISTORY	2
#define LIFEGUARD_LOCK_ALERTS	3
#define LIFEGUARD_NUM_LOCKS		4

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * Bytes of shared memory pg_lifeguard needs at the current settings.
 */
static Size
lifeguard_shmem_size(void)
{
	Size		size;

	size = offsetof(LifeguardShared, ring);
	size = add_size(size, mul_size(lifeguard_event_ring_size,
								   sizeof(LifeguardEvent)));
	return MAXALIGN(size);
}

/*
 * Bytes for the per-backend entries: one per client slot.
 */
static Size
lifeguard_backends_size(void)
{
	return mul_size(MaxConnections, sizeof(LifeguardBackendEntry));
}

/*
 * Bytes for the signal reasons: one per client slot.
 */
static Size
lifeguard_reasons_size(void)
{
	return mul_size(MaxConnections, sizeof(LifeguardReason));
}

/*
 * shmem_request_hook: ask the postmaster for our memory and our LWLock.
 */
static void
lifeguard_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(add_size(add_size(lifeguard_shmem_size(),
											 lifeguard_backends_size()),
									lifeguard_reasons_size()));
	RequestNamedLWLockTranche(LIFEGUARD_TRANCHE, LIFEGUARD_NUM_LOCKS);
}

/*
 * shmem_startup_hook: create (postmaster) or attach to (EXEC_BACKEND child)
 * the shared struct.
 */
static void
lifeguard_shmem_startup(void)
{
	bool		found;
	bool		found_backends;
	bool		found_reasons;
	LWLockPadded *locks;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	LifeguardState = ShmemInitStruct("pg_lifeguard",
									 lifeguard_shmem_size(),
									 &found);
	LifeguardBackends = ShmemInitStruct("pg_lifeguard backends",
										lifeguard_backends_size(),
										&found_backends);
	LifeguardReasons = ShmemInitStruct("pg_lifeguard reasons",
									   lifeguard_reasons_size(),
									   &found_reasons);
	if (!found)
	{
		memset(LifeguardState, 0, lifeguard_shmem_size());
		memset(LifeguardBackends, 0, lifeguard_backends_size());
		memset(LifeguardReasons, 0, lifeguard_reasons_size());
		for (i = 0; i < MaxConnections; i++)
			SpinLockInit(&LifeguardReasons[i].mutex);
		SpinLockInit(&LifeguardState->mutex);
		LifeguardState->worker.phase = LG_WORKER_NOT_RUNNING;
		locks = GetNamedLWLockTranche(LIFEGUARD_TRANCHE);
		LifeguardState->lock = &locks[LIFEGUARD_LOCK_RING].lock;
		LifeguardState->policy_lock = &locks[LIFEGUARD_LOCK_POLICY].lock;
		LifeguardState->history_lock = &locks[LIFEGUARD_LOCK_HISTORY].lock;
		LifeguardState->alert_lock = &locks[LIFEGUARD_LOCK_ALERTS].lock;
		pg_atomic_init_u64(&LifeguardState->policies_changed, 0);
		pg_atomic_init_u64(&LifeguardState->login_hook_calls, 0);
		pg_atomic_init_u64(&LifeguardState->login_hook_ns, 0);
		LifeguardState->next_seq = 1;
		LifeguardState->ring_size = lifeguard_event_ring_size;
		for (i = 0; i < LG_EVENT_NKINDS; i++)
		{
			pg_atomic_init_u64(&LifeguardState->event_counts[i], 0);
			pg_atomic_init_u64(&LifeguardState->action_counts[i], 0);
			pg_atomic_init_u64(&LifeguardState->suppressed_counts[i], 0);
		}
		pg_atomic_init_u64(&LifeguardState->events_persisted, 0);
		pg_atomic_init_u64(&LifeguardState->events_dropped, 0);
		pg_atomic_init_u64(&LifeguardState->events_notified, 0);
	}

	LWLockRelease(AddinShmemInitLock);
}

/*
 * Install the shared memory hooks; called from _PG_init.
 */
void
lifeguard_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lifeguard_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lifeguard_shmem_startup;
}
