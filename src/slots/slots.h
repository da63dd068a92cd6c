/*-------------------------------------------------------------------------
 *
 * slots.h
 *		The slots duty: connection slots, the login hook (admin reserve and
 *		caps), the slot history and idle shedding.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SLOTS_H
#define LIFEGUARD_SLOTS_H

#include "core/duty.h"

extern void lifeguard_login_hook_stats(uint64 *calls, uint64 *ns);

extern const LifeguardDuty lifeguard_slots_duty;

#endif							/* LIFEGUARD_SLOTS_H */
