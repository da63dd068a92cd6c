/*-------------------------------------------------------------------------
 *
 * observability.h
 *		The events and observability duty: the event log (lifeguard.events
 *		and NOTIFY), worker_status(), recent_events(), report(), metrics()
 *		and the HTTP endpoint.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_OBSERVABILITY_H
#define LIFEGUARD_OBSERVABILITY_H

#include "core/duty.h"

extern const LifeguardDuty lifeguard_observability_duty;

#endif							/* LIFEGUARD_OBSERVABILITY_H */
