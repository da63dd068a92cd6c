/*-------------------------------------------------------------------------
 *
 * acted.c
 *		What the worker already did about a session: one bounded memory.
 *
 * The duties that act on sessions (time limits, idle shedding) must act on
 * an offence once, escalate it at most once, and not count a session they
 * signalled as still there.  Each keeps a LifeguardActedMemory, in the
 * worker's process memory (it means nothing to another process), forgets
 * an entry as soon as the offence is over or the session gone
 * (lifeguard_acted_keep()), and so needs at most one entry per client slot
 * and kind of offence: the memory holds MaxConnections x
 * LIFEGUARD_ACTED_PER_SLOT entries.  Should it ever be full all the same,
 * the oldest entry makes room and the overflow is counted
 * (pg_lifeguard_acted_memory_overflows_total, worker.c): the worst that
 * happens is an offence acted on twice, never one forgotten silently.
 * The developer setting lifeguard.debug_acted_capacity shrinks the memory,
 * so a test can make it overflow.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "core/acted.h"
#include "core/lifeguard.h"
#include "core/worker.h"

/* Entries per client slot: one per kind of offence a session may commit */
#define LIFEGUARD_ACTED_PER_SLOT	8

/*
 * The entry for this session, kind and start, or NULL.
 */
LifeguardActed *
lifeguard_acted_find(LifeguardActedMemory *m, int pid,
					 TimestampTz backend_start, int kind, TimestampTz since)
{
	int			i;

	for (i = 0; i < m->n; i++)
	{
		LifeguardActed *a = &m->entries[i];

		if (a->pid == pid && a->backend_start == backend_start &&
			a->kind == kind && a->since == since)
			return a;
	}
	return NULL;
}

/*
 * A new entry for this session, kind and start, done at "now" (the caller
 * fills in what was done).  When the memory is full, the entry done
 * longest ago makes room, and the overflow is counted.
 */
LifeguardActed *
lifeguard_acted_add(LifeguardActedMemory *m, int pid,
					TimestampTz backend_start, int kind, TimestampTz since,
					TimestampTz now)
{
	LifeguardActed *a;

	if (m->entries == NULL)
	{
		m->max = lifeguard_debug_acted_capacity > 0 ?
			lifeguard_debug_acted_capacity :
			MaxConnections * LIFEGUARD_ACTED_PER_SLOT;
		m->entries = MemoryContextAlloc(TopMemoryContext,
										sizeof(LifeguardActed) * m->max);
		m->n = 0;
	}
	if (m->n < m->max)
		a = &m->entries[m->n++];
	else
	{
		int			oldest = 0;
		int			i;

		for (i = 1; i < m->n; i++)
			if (m->entries[i].at < m->entries[oldest].at)
				oldest = i;
		a = &m->entries[oldest];
		lifeguard_worker_count_acted_overflow();
		if (!m->logged_full)
		{
			ereport(LOG,
					(errmsg("the worker's memory of sessions acted on is full"),
					 errdetail_plural("It holds %d entry; the oldest is forgotten to make room, so an offence may be acted on twice.",
									  "It holds %d entries; the oldest is forgotten to make room, so an offence may be acted on twice.",
									  m->max, m->max)));
			m->logged_full = true;
		}
	}
	memset(a, 0, sizeof(LifeguardActed));
	a->pid = pid;
	a->backend_start = backend_start;
	a->kind = kind;
	a->since = since;
	a->at = now;
	a->seen = true;
	return a;
}

/*
 * Keep only the entries keep(entry, arg) says to keep.
 */
void
lifeguard_acted_keep(LifeguardActedMemory *m,
					 bool (*keep) (const LifeguardActed *a, void *arg),
					 void *arg)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < m->n; i++)
		if (keep(&m->entries[i], arg))
			m->entries[kept++] = m->entries[i];
	m->n = kept;
}
