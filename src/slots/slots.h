/*-------------------------------------------------------------------------
 *
 * slots.h
 *		Connection slots: accounting, the login hook, idle shedding.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SLOTS_H
#define LIFEGUARD_SLOTS_H

#include "utils/timestamp.h"

#include "policy/policy.h"
#include "core/sessions.h"

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
	int32		status;			/* LifeguardSlotStatus */
} LifeguardSlotSample;

/* Samples kept: one hour at one sample a second */
#define LIFEGUARD_HISTORY_SIZE		3600
#define LIFEGUARD_HISTORY_EVERY_MS	1000

extern void lifeguard_slots_install_hooks(void);
extern bool lifeguard_policies_limit_idle(const LifeguardPolicy *policies,
										  int npolicies);
extern void lifeguard_slots_tick(TimestampTz now,
								 const LifeguardSlotCounts *counts,
								 LifeguardSession *sessions, int nsessions,
								 const LifeguardPolicy *policies,
								 int npolicies);

#endif							/* LIFEGUARD_SLOTS_H */
