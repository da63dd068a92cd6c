/*-------------------------------------------------------------------------
 *
 * pg_lifeguard.c
 *		Module entry point: puts the plumbing and the duties together.
 *
 * The source is in layers (docs/architecture.md):
 *
 *	src/core/		plumbing: settings, the shared-memory registry, event
 *					recording, the worker's loop, sessions, privileges;
 *					it knows no duty
 *	src/<duty>/		one folder per duty (policy, slots, limits, checks,
 *					observability); a duty's public header is <duty>/<duty>.h
 *					and the other headers in its folder are its own
 *	this file		the list of duties, in the order of a worker tick
 *
 * pg_lifeguard must be loaded through shared_preload_libraries: it needs
 * shared memory, background workers and hooks in every backend.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "checks/checks.h"
#include "core/duty.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/shmem.h"
#include "core/worker.h"
#include "limits/limits.h"
#include "observability/observability.h"
#include "policy/policy.h"
#include "slots/slots.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * The duties, in the order of a tick: the policies first, so that every
 * other duty sees this tick's; the event log last, so that a tick's events
 * are written in the same tick.
 */
static const LifeguardDuty *const duties[] = {
	&lifeguard_policy_duty,
	&lifeguard_slots_duty,
	&lifeguard_limits_duty,
	&lifeguard_checks_duty,
	&lifeguard_observability_duty,
};

#define NDUTIES		lengthof(duties)

/* The plumbing's pieces of shared memory, then one per duty that has one */
static LifeguardShmemPiece pieces[2 + NDUTIES];

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	int			npieces = 0;
	int			i;

	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_lifeguard must be loaded via shared_preload_libraries"),
				 errhint("Add pg_lifeguard to shared_preload_libraries in postgresql.conf and restart the server.")));

	lifeguard_define_settings();
	lifeguard_register_duties(duties, NDUTIES);

	pieces[npieces++] = lifeguard_worker_shmem;
	pieces[npieces++] = lifeguard_events_shmem;
	for (i = 0; i < NDUTIES; i++)
	{
		if (duties[i]->shmem.name != NULL)
			pieces[npieces++] = duties[i]->shmem;
		if (duties[i]->install_hooks != NULL)
			duties[i]->install_hooks();
	}
	lifeguard_shmem_register(pieces, npieces);
}
