/*-------------------------------------------------------------------------
 *
 * duty.h
 *		What a duty is, to the worker and to the shared-memory registry.
 *
 * pg_lifeguard's work is divided into duties (policies; slots and logins;
 * time limits and locks; partitions and jobs; events and observability).
 * Each one describes itself with a LifeguardDuty: its piece of shared
 * memory, and what the worker does for it each tick.  _PG_init
 * (pg_lifeguard.c) lists the duties; the registry (shmem.c) allocates
 * their memory and the worker (worker.c) walks the list in order, each
 * duty's tick a part that fails alone.  Adding a duty touches no other.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_DUTY_H
#define LIFEGUARD_DUTY_H

#include "utils/timestamp.h"

#include "core/sessions.h"
#include "core/shmem.h"

/*
 * What the worker read once for every duty in a tick.  The session
 * snapshot (counts, and the sessions when some duty needs them) is taken
 * just before the first duty that uses it.
 */
typedef struct LifeguardTick
{
	TimestampTz now;
	bool		extension_known;	/* whether it exists is known (pg_extension
									 * was not busy at every try) */
	bool		installed;		/* the extension exists in the database */
	bool		have_snapshot;	/* counts (and sessions) are filled in */
	LifeguardSlotCounts counts;
	LifeguardSession *sessions; /* NULL unless a duty needs them */
	int			nsessions;
} LifeguardTick;

typedef struct LifeguardDuty
{
	/* as messages and worker_error events name it: "slot duty" */
	const char *name;

	/* its shared memory; shmem.name is NULL for a duty without any */
	LifeguardShmemPiece shmem;

	/* called from _PG_init after the settings exist, or NULL */
	void		(*install_hooks) (void);

	/*
	 * Its work in a tick, or NULL.  Runs in the worker, outside any
	 * transaction; it starts its own when it needs one.  An ERROR aborts
	 * this duty's work only (see worker.c).
	 */
	void		(*tick) (LifeguardTick *tick);

	/* does tick() read tick->counts or tick->sessions? */
	bool		uses_snapshot;

	/* does this tick need the list of sessions (not only the counts)? */
	bool		(*needs_sessions) (void);

	/*
	 * When the duty must next tick (0: no deadline of its own); the worker
	 * naps no longer than until the earliest.  NULL: none.
	 */
	TimestampTz (*next_due) (TimestampTz now);
} LifeguardDuty;

extern void lifeguard_register_duties(const LifeguardDuty *const *duties,
									  int nduties);

#endif							/* LIFEGUARD_DUTY_H */
