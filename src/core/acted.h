/*-------------------------------------------------------------------------
 *
 * acted.h
 *		What the worker already did about a session: one bounded memory,
 *		used by every duty that acts on sessions.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_ACTED_H
#define LIFEGUARD_ACTED_H

#include "utils/timestamp.h"

/*
 * One thing done to one session: kind (the duty's own numbering, a
 * LifeguardLimit say) of the offence that started at "since" (0 when the
 * duty keeps one entry per session).  The session is its pid and backend
 * start, so a reused pid is another session.
 */
typedef struct LifeguardActed
{
	int			pid;
	TimestampTz backend_start;
	int			kind;
	TimestampTz since;
	int			done;			/* what was done, in the duty's terms */
	bool		dry_run;		/* only reported, as "would_..." */
	bool		exempt;			/* looked at and left alone */
	bool		seen;			/* for the duty: still current this tick */
	TimestampTz at;				/* when it was done */
} LifeguardActed;

typedef struct LifeguardActedMemory
{
	LifeguardActed *entries;
	int			n;
	int			max;			/* fixed at the first use */
	bool		logged_full;	/* the first overflow was logged */
} LifeguardActedMemory;

extern LifeguardActed *lifeguard_acted_find(LifeguardActedMemory *m, int pid,
											TimestampTz backend_start,
											int kind, TimestampTz since);
extern LifeguardActed *lifeguard_acted_add(LifeguardActedMemory *m, int pid,
										   TimestampTz backend_start,
										   int kind, TimestampTz since,
										   TimestampTz now);
extern void lifeguard_acted_keep(LifeguardActedMemory *m,
								 bool (*keep) (const LifeguardActed *a,
											   void *arg),
								 void *arg);

#endif							/* LIFEGUARD_ACTED_H */
