/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		The registry of pg_lifeguard's shared memory.
 *
 * Everything pg_lifeguard knows lives in shared memory, so that any
 * backend can read it (and the HTTP worker serve it) even when no table
 * can be read or written: on a hot standby, with the disk full, or with
 * every client slot taken.  It is kept in pieces, one per duty and one for
 * the worker (see LifeguardShmemPiece); _PG_init registers them, and this
 * file requests their memory and their LWLocks from the postmaster and
 * attaches each piece at startup.
 *
 * All pieces' LWLocks belong to one named tranche, "pg_lifeguard" (what
 * pg_stat_activity shows a process waiting on), handed out in the order
 * the pieces were registered.  Locking rules that hold across pieces:
 *	- no pg_lifeguard lock is taken while another is held, so none can
 *	  take part in a deadlock;
 *	- a critical section copies or updates a bounded amount of memory: no
 *	  palloc, no ereport, no catalog access, no I/O;
 *	- events are recorded only after every lock is released.
 * Each piece's own protocol is written where its struct is defined.
 *
 * Shared memory is sized at postmaster start (lifeguard.event_ring_size
 * and max_connections are fixed then) and requested in shmem_request_hook
 * (PostgreSQL 15 API).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "core/shmem.h"

#define LIFEGUARD_TRANCHE	"pg_lifeguard"

static const LifeguardShmemPiece *pieces = NULL;
static int	npieces = 0;
static bool attached = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * shmem_request_hook: ask the postmaster for every piece's memory and for
 * all their LWLocks.
 */
static void
lifeguard_shmem_request(void)
{
	Size		size = 0;
	int			nlocks = 0;
	int			i;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	for (i = 0; i < npieces; i++)
	{
		size = add_size(size, MAXALIGN(pieces[i].size()));
		nlocks += pieces[i].nlocks;
	}
	RequestAddinShmemSpace(size);
	if (nlocks > 0)
		RequestNamedLWLockTranche(LIFEGUARD_TRANCHE, nlocks);
}

/*
 * shmem_startup_hook: create (postmaster) or attach to (EXEC_BACKEND child)
 * every piece.
 */
static void
lifeguard_shmem_startup(void)
{
	LWLockPadded *locks = NULL;
	int			nlocks = 0;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	for (i = 0; i < npieces; i++)
		nlocks += pieces[i].nlocks;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	if (nlocks > 0)
		locks = GetNamedLWLockTranche(LIFEGUARD_TRANCHE);
	for (i = 0; i < npieces; i++)
	{
		Size		size = pieces[i].size();
		bool		found;
		void	   *ptr;

		ptr = ShmemInitStruct(pieces[i].name, size, &found);
		if (!found)
			memset(ptr, 0, size);
		pieces[i].attach(ptr, found, pieces[i].nlocks > 0 ? locks : NULL);
		if (locks != NULL)
			locks += pieces[i].nlocks;
	}
	LWLockRelease(AddinShmemInitLock);
	attached = true;
}

/*
 * Is this process attached to pg_lifeguard's shared memory?  Only when the
 * library was preloaded: a background worker started otherwise is not.
 */
bool
lifeguard_shmem_attached(void)
{
	return attached;
}

/*
 * Register the pieces (an array that lives as long as the process) and
 * install the shared memory hooks; called once, from _PG_init.
 */
void
lifeguard_shmem_register(const LifeguardShmemPiece *p, int n)
{
	pieces = p;
	npieces = n;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lifeguard_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lifeguard_shmem_startup;
}
