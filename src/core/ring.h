/*-------------------------------------------------------------------------
 *
 * ring.h
 *		The event ring in shared memory.  Recording (core/events.c) fills
 *		it; the events duty (src/events) reads it and moves the worker's
 *		marks.  No other file includes this header.
 *
 * Locking protocol
 * ----------------
 *
 * LifeguardEventRing->lock (LWLock) protects next_seq, ring[], buckets[],
 * persisted_seq and notified_seq.
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
 *	- persisted_seq and notified_seq are moved by the worker only
 *	  (eventlog.c): it copies a batch of events under the lock, writes them
 *	  with no lock held, and takes the lock again to move the mark.
 * Nothing else is locked while it is held, and no user session waits on it
 * longer than one short copy.
 *
 * ring_size is set at startup and never changes.  The counters
 * (event_counts[], action_counts[], suppressed_counts[], events_persisted,
 * events_dropped, events_notified) are atomics, incremented and read
 * without a lock, monotonic since server start.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_EVENTS_RING_H
#define LIFEGUARD_EVENTS_RING_H

#include "port/atomics.h"
#include "storage/lwlock.h"

#include "core/events.h"

/*
 * The rate limit of events people can cause (lifeguard_event_kind_acts()):
 * one token bucket per kind, policy and role, holding up to
 * lifeguard.event_burst tokens and refilled by one a second.  An event that
 * finds its bucket empty is counted but not recorded; the count of those is
 * recorded as one summary event later.
 */
#define LIFEGUARD_EVENT_BUCKETS		256
#define LIFEGUARD_EVENT_REFILL_MS	1000

typedef struct LifeguardEventBucket
{
	uint32		hash;			/* of kind, policy and role; 0 = unused */
	int16		kind;			/* LifeguardEventKind */
	char		policy[NAMEDATALEN];
	char		role[NAMEDATALEN];
	double		tokens;			/* events it may record now */
	TimestampTz refilled_at;	/* "tokens" is up to date at this time */
	TimestampTz seen_at;		/* its latest event, recorded or not */
	uint64		held_back;		/* events held back since the last summary */
} LifeguardEventBucket;

typedef struct LifeguardEventRing
{
	LWLock	   *lock;
	uint64		next_seq;		/* sequence number of the next event */
	int			ring_size;		/* lifeguard.event_ring_size at startup */

	/* how far the worker got: last event written (or lost), last notified */
	uint64		persisted_seq;
	uint64		notified_seq;

	pg_atomic_uint64 event_counts[LG_EVENT_NKINDS];
	pg_atomic_uint64 action_counts[LG_EVENT_NKINDS];	/* refused, cancelled,
														 * terminated (not dry
														 * runs) */
	pg_atomic_uint64 suppressed_counts[LG_EVENT_NKINDS];	/* held back */
	pg_atomic_uint64 events_persisted;	/* rows written to lifeguard.events */
	pg_atomic_uint64 events_dropped;	/* left the ring before being written */
	pg_atomic_uint64 events_notified;	/* sent with NOTIFY lifeguard */

	LifeguardEventBucket buckets[LIFEGUARD_EVENT_BUCKETS];
	LifeguardEvent ring[FLEXIBLE_ARRAY_MEMBER];
} LifeguardEventRing;

/* NULL until shared memory is attached, and in a process without it */
extern LifeguardEventRing *LifeguardEvents;

#endif							/* LIFEGUARD_EVENTS_RING_H */
