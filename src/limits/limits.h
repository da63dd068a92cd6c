/*-------------------------------------------------------------------------
 *
 * enforce.h
 *		Enforcing time limits by policy: statement, lock wait, idle in
 *		transaction, transaction and blocking.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_ENFORCE_H
#define LIFEGUARD_ENFORCE_H

#include "core/duty.h"

extern uint64 lifeguard_lock_graphs_built(void);

extern const LifeguardDuty lifeguard_limits_duty;

#endif							/* LIFEGUARD_ENFORCE_H */
