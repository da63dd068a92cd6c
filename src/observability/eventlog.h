/*-------------------------------------------------------------------------
 *
 * eventlog.h
 *		Persisting events into lifeguard.events, and NOTIFY.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_EVENTLOG_H
#define LIFEGUARD_EVENTLOG_H

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "core/duty.h"
#include "core/events.h"

extern void lifeguard_eventlog_tick(LifeguardTick *tick);
extern void lifeguard_event_json(StringInfo buf, const LifeguardEvent *ev);
extern uint64 lifeguard_events_pending(void);

#endif							/* LIFEGUARD_EVENTLOG_H */
