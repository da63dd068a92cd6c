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
 *	- the event ring: the last lifeguard.event_ring_size events, each with a
 *	  sequence number, overwriting the oldest;
 *	- one counter per event kind.
 *
 * Locking protocol
 * ----------------
 *
 * LifeguardShared->mutex (spinlock) protects "worker".  Only the worker
 * process writes it; any backend may read it.  Holders do nothing but copy
 * a few fields or the struct itself: no palloc, no ereport, no call that
 * could fail while the spinlock is held.
 *
 * LifeguardShared->lock (LWLock, tranche "pg_lifeguard") protects next_seq
 * and ring[].
 *	- Writers (any process that records an event: the worker, a backend in
 *	  the login hook, a SQL function) take it LW_EXCLUSIVE, assign the next
 *	  sequence number and copy one event into its slot.  The message is
 *	  formatted before the lock is taken and logged after it is released.
 *	- Readers (recent_events()) take it LW_SHARED, copy the used slots into
 *	  local memory and release it before building any tuple.
 *	No other lock is ever taken while "lock" or "mutex" is held, so neither
 *	can take part in a deadlock, and a user session never waits on them for
 *	longer than one memcpy of the ring.
 *
 * event_counts[] are atomics: incremented without a lock after the event is
 * in the ring, read without a lock.  They are monotonic since server start.
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
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "pg_lifeguard.h"
#include "shmem.h"

#define LIFEGUARD_TRANCHE	"pg_lifeguard"

LifeguardShared *LifeguardState = NULL;

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
 * shmem_request_hook: ask the postmaster for our memory and our LWLock.
 */
static void
lifeguard_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(lifeguard_shmem_size());
	RequestNamedLWLockTranche(LIFEGUARD_TRANCHE, 1);
}

/*
 * shmem_startup_hook: create (postmaster) or attach to (EXEC_BACKEND child)
 * the shared struct.
 */
static void
lifeguard_shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	LifeguardState = ShmemInitStruct("pg_lifeguard",
									 lifeguard_shmem_size(),
									 &found);
	if (!found)
	{
		memset(LifeguardState, 0, lifeguard_shmem_size());
		SpinLockInit(&LifeguardState->mutex);
		LifeguardState->worker.phase = LG_WORKER_NOT_RUNNING;
		LifeguardState->lock = &(GetNamedLWLockTranche(LIFEGUARD_TRANCHE))->lock;
		LifeguardState->next_seq = 1;
		LifeguardState->ring_size = lifeguard_event_ring_size;
		for (i = 0; i < LG_EVENT_NKINDS; i++)
			pg_atomic_init_u64(&LifeguardState->event_counts[i], 0);
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
