/*-------------------------------------------------------------------------
 *
 * slots_int.h
 *		The slots duty's shared memory and helpers: private to src/slots.
 *
 * Locking protocol
 * ----------------
 *
 * SlotState->history_lock (LWLock) protects history_next and history[].
 * The worker takes it LW_EXCLUSIVE to append one sample a second;
 * slot_history() takes it LW_SHARED to copy the ring.  Nothing else is
 * locked while it is held.
 *
 * login_calls and login_ns are atomics: the login hook adds to them, any
 * reader reads them, without a lock; monotonic since server start.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SLOTS_INT_H
#define LIFEGUARD_SLOTS_INT_H

#include "port/atomics.h"
#include "storage/lwlock.h"

#include "core/sessions.h"
#include "slots/slots.h"

/* Samples kept: one hour at one sample a second */
#define LIFEGUARD_HISTORY_SIZE		3600
#define LIFEGUARD_HISTORY_EVERY_MS	1000

/* One sample of the slot history ring */
typedef struct LifeguardSlotSample
{
	TimestampTz sampled_at;
	int32		used;
	int32		free;
	int32		active;
	int32		idle;
	int32		idle_in_xact;
	int32		waiting;
	int32		authenticating;
	int32		usable;
	int32		status;			/* LifeguardLevel */
} LifeguardSlotSample;

typedef struct SlotState
{
	LWLock	   *history_lock;
	uint64		history_next;	/* samples ever taken */
	LifeguardSlotSample history[LIFEGUARD_HISTORY_SIZE];

	pg_atomic_uint64 login_calls;	/* logins the hook let through */
	pg_atomic_uint64 login_ns;	/* nanoseconds it spent on them */
} SlotState;

/* NULL until shared memory is attached (slots.c) */
extern SlotState *Slots;

/* slots.c */
extern bool lifeguard_slots_still_idle(const LifeguardSession *s);

/* login.c */
extern void lifeguard_slots_install_hooks(void);

#endif							/* LIFEGUARD_SLOTS_INT_H */
