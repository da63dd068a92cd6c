/*-------------------------------------------------------------------------
 *
 * status.c
 *		worker_status() and recent_events(): what the worker is doing and
 *		the events still in the ring, from shared memory alone.
 *
 * Both answer whatever state the tables and the client slots are in: they
 * read shared memory only, each piece through its owner's function.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/ring.h"
#include "core/worker.h"
#include "limits/limits.h"
#include "observability/eventlog.h"
#include "slots/slots.h"

PG_FUNCTION_INFO_V1(lifeguard_worker_status);
PG_FUNCTION_INFO_V1(lifeguard_recent_events);

#define WORKER_STATUS_COLS	18
#define RECENT_EVENTS_COLS	11

static const char *
phase_name(LifeguardWorkerPhase phase)
{
	switch (phase)
	{
		case LG_WORKER_NOT_RUNNING:
			return "not running";
		case LG_WORKER_STARTING:
			return "starting";
		case LG_WORKER_WAITING:
			return "waiting for extension";
		case LG_WORKER_RUNNING:
			return "running";
		case LG_WORKER_DISABLED:
			return "disabled";
	}
	return "unknown";
}

/*
 * lifeguard.worker_status(): one row describing the worker.
 */
Datum
lifeguard_worker_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	LifeguardWorkerState *w;
	Datum		values[WORKER_STATUS_COLS];
	bool		nulls[WORKER_STATUS_COLS];
	uint64		calls;
	uint64		ns;

	lifeguard_require_monitor("worker_status");

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	w = palloc(sizeof(LifeguardWorkerState));
	lifeguard_worker_state(w);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(w->pid);
	nulls[0] = (w->pid == 0);
	values[1] = CStringGetTextDatum(phase_name(w->phase));
	values[2] = CStringGetTextDatum(w->database[0] ? w->database : lifeguard_database);
	values[3] = TimestampTzGetDatum(w->started_at);
	nulls[3] = (w->started_at == 0);
	values[4] = TimestampTzGetDatum(w->last_tick_at);
	nulls[4] = (w->last_tick_at == 0);
	values[5] = Int64GetDatum((int64) w->ticks);
	values[6] = Int64GetDatum(w->last_tick_us);
	values[7] = Int64GetDatum(w->max_tick_us);
	values[8] = Int64GetDatum((int64) w->errors);
	values[9] = CStringGetTextDatum(w->last_error);
	nulls[9] = (w->last_error[0] == '\0');
	values[10] = Int64GetDatum(w->starts > 0 ? (int64) w->starts - 1 : 0);
	if (w->settings[0] != '\0')
		values[11] = DirectFunctionCall1(jsonb_in, CStringGetDatum(w->settings));
	else
		nulls[11] = true;
	lifeguard_login_hook_stats(&calls, &ns);
	values[12] = Int64GetDatum((int64) calls);
	values[13] = Float8GetDatum(calls > 0 ? ns / 1000.0 / calls : 0.0);
	nulls[13] = (calls == 0);
	values[14] = Int64GetDatum((int64) lifeguard_lock_graphs_built());
	values[15] = Int64GetDatum((int64) pg_atomic_read_u64(&LifeguardEvents->events_persisted));
	values[16] = Int64GetDatum((int64) lifeguard_events_pending());
	values[17] = Int64GetDatum((int64) pg_atomic_read_u64(&LifeguardEvents->events_dropped));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Text datum for a ring string, or NULL when it is empty.
 */
static inline bool
put_text(Datum *value, const char *str)
{
	if (str[0] == '\0')
		return true;
	*value = lifeguard_event_text(str);
	return false;
}

/*
 * lifeguard.recent_events(since timestamptz DEFAULT NULL)
 *
 * The events still in the shared ring, oldest first; with "since", only
 * those at or after it.  Reads shared memory only, so it answers whatever
 * state the tables and the client slots are in.
 */
Datum
lifeguard_recent_events(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		have_since = !PG_ARGISNULL(0);
	TimestampTz since = have_since ? PG_GETARG_TIMESTAMPTZ(0) : 0;
	LifeguardEventRing *s = LifeguardEvents;
	LifeguardEvent *copy;
	int			n;
	int			i;

	lifeguard_require_monitor("recent_events");

	InitMaterializedSRF(fcinfo, 0);

	if (s == NULL)
		PG_RETURN_VOID();

	copy = palloc(sizeof(LifeguardEvent) * s->ring_size);
	n = lifeguard_events_copy(0, copy, s->ring_size, NULL, NULL);

	for (i = 0; i < n; i++)
	{
		LifeguardEvent *ev = &copy[i];
		Datum		values[RECENT_EVENTS_COLS];
		bool		nulls[RECENT_EVENTS_COLS];

		if (have_since && ev->time < since)
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum((int64) ev->seq);
		values[1] = TimestampTzGetDatum(ev->time);
		values[2] = CStringGetTextDatum(lifeguard_event_kind_name(ev->kind));
		values[3] = CStringGetTextDatum(lifeguard_severity_name(ev->severity));
		values[4] = Int32GetDatum(ev->pid);
		nulls[4] = (ev->pid == 0);
		nulls[5] = put_text(&values[5], ev->role);
		nulls[6] = put_text(&values[6], ev->database);
		nulls[7] = put_text(&values[7], ev->application_name);
		nulls[8] = put_text(&values[8], ev->policy);
		nulls[9] = put_text(&values[9], ev->action);
		nulls[10] = put_text(&values[10], ev->detail);

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}

	pfree(copy);
	PG_RETURN_VOID();
}
