/*-------------------------------------------------------------------------
 *
 * eventlog.c
 *		Persisting the event ring into lifeguard.events, pruning it, and
 *		sending events with NOTIFY.
 *
 * Only the worker of lifeguard.database runs this, at the end of every
 * tick.  The ring (events.c) is the primary record: recording an event
 * never touches a table, so it works in the login hook, on a hot standby
 * and when nothing can be written.  This module copies what the ring holds
 * into the table afterwards, in small batches:
 *
 *	- persisted_seq (shared memory) is the last event written, or lost.
 *	  A batch of at most EVENTLOG_BATCH events after it is copied out of the
 *	  ring, written in one transaction, and the mark moves only when that
 *	  transaction committed.  Until then the events stay in the ring, and the
 *	  next tick tries again.
 *	- An event the ring overwrote before it was written is lost: the mark
 *	  jumps over it and events_dropped counts it.  That is what happens on a
 *	  hot standby (nothing is ever written there), while the table is locked
 *	  by someone else, or while writes fail (disk full, the extension not
 *	  created yet).
 *	- Never waiting: the table is locked with ConditionalLockRelationOid and
 *	  the batch waits for the next tick when the lock is not granted at once;
 *	  lock_timeout is set as a safety net only.  Errors are caught in a
 *	  subtransaction and counted; the first of a run of failures (a damaged
 *	  table fails at every tick) is logged and recorded as one worker_error
 *	  event, and the first success after it as one worker_recovered event
 *	  (worker.c), so a failing write cannot keep feeding the ring it is
 *	  trying to drain.  A failing NOTIFY is only logged, at most once a
 *	  minute.
 *	- Retention: every lifeguard.check_interval, rows older than
 *	  lifeguard.event_retention are deleted, at most EVENTLOG_PRUNE_BATCH at
 *	  a time, skipping rows someone else has locked.
 *	- NOTIFY: with lifeguard.notify on, every event is announced on channel
 *	  "lifeguard" as a JSON object, in a transaction of its own so that a
 *	  full notification queue cannot hold back the table.  The commit of a
 *	  NOTIFY takes a server-wide heavyweight lock, held by any session that
 *	  notified until its own commit is done (waiting for a synchronous
 *	  standby, say); the worker takes it first, without waiting, and tries
 *	  again at the next tick when it is not granted.  Notifications are sent
 *	  at most once: a batch whose NOTIFY failed is skipped.  None is sent on
 *	  a hot standby, where NOTIFY is not allowed.  Any role may LISTEN, so
 *	  the payload holds only what anyone may know (sequence number, time,
 *	  kind and severity); roles, applications, policies and messages are
 *	  read through lifeguard.recent_events() or the table, which need
 *	  pg_monitor.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/ring.h"
#include "core/worker.h"
#include "core/xact.h"
#include "observability/eventlog.h"
#include "observability/http.h"
#include "observability/observability.h"

/* Most events written (or notified) per tick */
#define EVENTLOG_BATCH			100

/* Most rows deleted per pruning */
#define EVENTLOG_PRUNE_BATCH	10000

/* Safety net only: locks are taken conditionally first */
#define EVENTLOG_LOCK_TIMEOUT	"500ms"

/* The same failure is logged at most once per this interval */
#define EVENTLOG_WARN_MS		60000

#define EVENTLOG_CHANNEL		"lifeguard"

static const char *const insert_sql =
"INSERT INTO lifeguard.events (event_time, seq, kind, severity, pid, role, "
"database, application_name, policy, action, detail) "
"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
"pg_catalog.jsonb_build_object('message', $11::pg_catalog.text))";

static const char *const prune_sql =
"DELETE FROM lifeguard.events WHERE id IN "
"(SELECT id FROM lifeguard.events WHERE event_time < $1 "
"ORDER BY event_time LIMIT " CppAsString2(EVENTLOG_PRUNE_BATCH) " "
"FOR UPDATE SKIP LOCKED)";

#define INSERT_NARGS	11

/* One batch of events copied out of the ring, allocated once */
static LifeguardEvent *batch = NULL;

static TimestampTz last_prune = 0;
static char last_warning[LIFEGUARD_ERROR_LEN];
static TimestampTz last_warning_at = 0;

/* Move *mark to seq, unless it moved past it meanwhile */
static void
advance_mark(uint64 *mark, uint64 seq)
{
	LWLockAcquire(LifeguardEvents->lock, LW_EXCLUSIVE);
	if (*mark < seq)
		*mark = seq;
	LWLockRelease(LifeguardEvents->lock);
}

/*
 * Copy up to "max" events that follow *mark out of the ring into buf.
 * Events the ring has overwritten since are skipped: *mark moves past
 * them and their number is returned in *lost.  Returns the number copied.
 * Only the worker moves the marks, so reading *mark unlocked is safe here.
 */
static int
take_events(uint64 *mark, LifeguardEvent *buf, int max, uint64 *lost)
{
	uint64		first;
	int			n;

	n = lifeguard_events_copy(*mark, buf, max, &first, NULL);
	*lost = (*mark + 1 < first) ? first - 1 - *mark : 0;
	if (*lost > 0)
		advance_mark(mark, first - 1);
	return n;
}

/*
 * Log a failure to send NOTIFY, unless the same one was logged less than
 * EVENTLOG_WARN_MS ago.
 */
static void
warn_once(const char *message)
{
	TimestampTz now = GetCurrentTimestamp();
	char		text[LIFEGUARD_ERROR_LEN];

	strlcpy(text, message, sizeof(text));
	if (strcmp(text, last_warning) == 0 &&
		!TimestampDifferenceExceeds(last_warning_at, now, EVENTLOG_WARN_MS))
		return;
	strlcpy(last_warning, text, sizeof(last_warning));
	last_warning_at = now;
	ereport(WARNING,
			(errmsg("could not send NOTIFY on channel \"%s\": %s",
					EVENTLOG_CHANNEL, message),
			 errdetail("Notifications are sent at most once: these events are not announced, and stay readable in lifeguard.recent_events() and lifeguard.events.")));
}

/* lifeguard.events, locked without waiting; InvalidOid when absent or busy */
static Oid
lock_events_table(void)
{
	Oid			nsp = get_namespace_oid("lifeguard", true);
	Oid			relid;

	if (!OidIsValid(nsp))
		return InvalidOid;
	relid = get_relname_relid("events", nsp);
	if (!OidIsValid(relid) ||
		!ConditionalLockRelationOid(relid, RowExclusiveLock))
		return InvalidOid;
	return relid;
}

static inline Datum
text_or_null(const char *str, char *null)
{
	*null = (str[0] == '\0') ? 'n' : ' ';
	return (str[0] == '\0') ? (Datum) 0 : lifeguard_event_text(str);
}

/* Insert the events, in the caller's transaction and SPI connection */
static void
insert_events(const LifeguardEvent *events, int n)
{
	Oid			argtypes[INSERT_NARGS] = {
		TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID, INT4OID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
	};
	SPIPlanPtr	plan;
	int			i;

	plan = SPI_prepare(insert_sql, INSERT_NARGS, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	for (i = 0; i < n; i++)
	{
		const LifeguardEvent *ev = &events[i];
		Datum		values[INSERT_NARGS];
		char		nulls[INSERT_NARGS];
		int			rc;

		memset(nulls, ' ', sizeof(nulls));
		values[0] = TimestampTzGetDatum(ev->time);
		values[1] = Int64GetDatum((int64) ev->seq);
		values[2] = CStringGetTextDatum(lifeguard_event_kind_name(ev->kind));
		values[3] = CStringGetTextDatum(lifeguard_severity_name(ev->severity));
		values[4] = Int32GetDatum(ev->pid);
		if (ev->pid == 0)
			nulls[4] = 'n';
		values[5] = text_or_null(ev->role, &nulls[5]);
		values[6] = text_or_null(ev->database, &nulls[6]);
		values[7] = text_or_null(ev->application_name, &nulls[7]);
		values[8] = text_or_null(ev->policy, &nulls[8]);
		values[9] = text_or_null(ev->action, &nulls[9]);
		values[10] = lifeguard_event_text(ev->detail);

		rc = SPI_execute_plan(plan, values, nulls, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "inserting into lifeguard.events failed: %s",
				 SPI_result_code_string(rc));
	}
}

/* Delete the rows past retention, in the caller's SPI connection */
static void
prune_rows(TimestampTz cutoff)
{
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int			rc;

	values[0] = TimestampTzGetDatum(cutoff);
	rc = SPI_execute_with_args(prune_sql, 1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "pruning lifeguard.events failed: %s",
			 SPI_result_code_string(rc));
}

typedef enum EventlogWork
{
	EVENTLOG_INSERT,
	EVENTLOG_PRUNE
} EventlogWork;

/*
 * Writing and pruning, as parts of the worker's tick whose runs of failures
 * are reported once each (worker.h); in EventlogWork's order.
 */
static LifeguardPart table_parts[] = {
	{"event log write"}, {"event log pruning"}
};

/* One write to lifeguard.events, for write_table_body() */
typedef struct TableWrite
{
	EventlogWork work;
	const LifeguardEvent *events;	/* EVENTLOG_INSERT */
	int			n;
	TimestampTz cutoff;			/* EVENTLOG_PRUNE */
	bool		done;			/* the table could be locked and written */
} TableWrite;

static void
write_table_body(void *arg)
{
	TableWrite *w = (TableWrite *) arg;

	if (!OidIsValid(lock_events_table()))
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (w->work == EVENTLOG_INSERT)
		insert_events(w->events, w->n);
	else
		prune_rows(w->cutoff);
	SPI_finish();
	w->done = true;
}

/*
 * Insert the events, or prune old rows, in a transaction of its own.
 * Returns true when the work was done and committed; false when the table
 * was absent or busy, or the work failed (reported once per run of
 * failures).
 */
static bool
write_table(EventlogWork work, const LifeguardEvent *events, int n,
			TimestampTz cutoff)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	TableWrite	w = {work, events, n, cutoff, false};
	ErrorData  *edata;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) set_config_option("lock_timeout", EVENTLOG_LOCK_TIMEOUT,
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	PushActiveSnapshot(GetTransactionSnapshot());

	edata = lifeguard_run_subxact(write_table_body, &w);
	if (edata != NULL)
	{
		w.done = false;
		lifeguard_part_done(&table_parts[work], lifeguard_database, edata);
		FreeErrorData(edata);
	}
	else if (w.done)
		lifeguard_part_done(&table_parts[work], lifeguard_database, NULL);

	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(oldcxt);
	return w.done;
}

/*
 * Write the next batch of events to lifeguard.events, when the table can
 * be written; count the events lost meanwhile.
 */
static void
persist_events(bool writable)
{
	LifeguardEventRing *s = LifeguardEvents;
	uint64		lost;
	int			n;

	n = take_events(&s->persisted_seq, batch, writable ? EVENTLOG_BATCH : 0,
					&lost);
	if (lost > 0)
		pg_atomic_fetch_add_u64(&s->events_dropped, lost);
	if (n > 0 && write_table(EVENTLOG_INSERT, batch, n, 0))
	{
		advance_mark(&s->persisted_seq, batch[n - 1].seq);
		pg_atomic_fetch_add_u64(&s->events_persisted, n);
	}
}

/*
 * Events in the ring not written to lifeguard.events yet (worker_status(),
 * metrics).
 */
uint64
lifeguard_events_pending(void)
{
	LifeguardEventRing *s = LifeguardEvents;
	uint64		pending;

	LWLockAcquire(s->lock, LW_SHARED);
	pending = Min(s->next_seq - 1 - s->persisted_seq, (uint64) s->ring_size);
	LWLockRelease(s->lock);
	return pending;
}

/*
 * The fields any role may know of an event (sequence number, time, kind,
 * severity), opening a JSON object that the caller closes.
 */
static void
event_json_public(StringInfo buf, const LifeguardEvent *ev)
{
	appendStringInfo(buf, "{\"seq\": " UINT64_FORMAT ", \"event_time\": ",
					 ev->seq);
	escape_json(buf, timestamptz_to_str(ev->time));
	appendStringInfoString(buf, ", \"kind\": ");
	escape_json(buf, lifeguard_event_kind_name(ev->kind));
	appendStringInfoString(buf, ", \"severity\": ");
	escape_json(buf, lifeguard_severity_name(ev->severity));
}

/*
 * An event as the JSON object GET /events returns (http.c).
 */
void
lifeguard_event_json(StringInfo buf, const LifeguardEvent *ev)
{
	event_json_public(buf, ev);
	if (ev->pid != 0)
		appendStringInfo(buf, ", \"pid\": %d", ev->pid);
	else
		appendStringInfoString(buf, ", \"pid\": null");

#define JSON_FIELD(name, value) \
	do { \
		appendStringInfoString(buf, ", \"" name "\": "); \
		if ((value)[0] == '\0') \
			appendStringInfoString(buf, "null"); \
		else \
			escape_json(buf, lifeguard_utf8_clean(value)); \
	} while (0)

	JSON_FIELD("role", ev->role);
	JSON_FIELD("database", ev->database);
	JSON_FIELD("application_name", ev->application_name);
	JSON_FIELD("policy", ev->policy);
	JSON_FIELD("action", ev->action);
	JSON_FIELD("detail", ev->detail);
#undef JSON_FIELD
	appendStringInfoChar(buf, '}');
}

/*
 * What NOTIFY lifeguard says of an event: only what any role may know,
 * since any role may LISTEN.  The rest is in recent_events() and the table.
 */
static void
notify_payload(StringInfo buf, const LifeguardEvent *ev)
{
	event_json_public(buf, ev);
	appendStringInfoChar(buf, '}');
}

/*
 * Send the next batch of events with NOTIFY, in a transaction of its own.
 * With lifeguard.notify off, or on a hot standby, the mark follows the ring
 * so that turning it on later does not replay old events.
 */
static void
notify_events(bool can_notify)
{
	LifeguardEventRing *s = LifeguardEvents;
	MemoryContext oldcxt = CurrentMemoryContext;
	LOCKTAG		tag;
	uint64		lost;
	int			n;

	if (!can_notify)
	{
		LWLockAcquire(s->lock, LW_EXCLUSIVE);
		s->notified_seq = s->next_seq - 1;
		LWLockRelease(s->lock);
		return;
	}

	n = take_events(&s->notified_seq, batch, EVENTLOG_BATCH, &lost);
	if (n == 0)
		return;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/*
	 * The commit of a NOTIFY takes a server-wide lock, which a session
	 * that notified and waits for a synchronous standby keeps: take it
	 * now, without waiting, or try again at the next tick.
	 */
	lifeguard_set_notify_locktag(&tag);
	if (LockAcquire(&tag, AccessExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcxt);
		return;
	}

	/* at most once: the mark moves whether or not the NOTIFY goes out */
	advance_mark(&s->notified_seq, batch[n - 1].seq);

	PG_TRY();
	{
		StringInfoData payload;
		int			i;

		initStringInfo(&payload);
		for (i = 0; i < n; i++)
		{
			resetStringInfo(&payload);
			notify_payload(&payload, &batch[i]);
			Async_Notify(EVENTLOG_CHANNEL, payload.data);
		}
		CommitTransactionCommand();
		pg_atomic_fetch_add_u64(&s->events_notified, n);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		edata = lifeguard_catch_error(oldcxt);
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcxt);
		warn_once(edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The events duty's tick: write events, prune, notify.  Writes only when
 * the extension (so the table) exists in the worker's database.
 */
void
lifeguard_eventlog_tick(LifeguardTick *tick)
{
	TimestampTz now = tick->now;
	bool		writable = tick->installed && !RecoveryInProgress();

	if (batch == NULL)
		batch = MemoryContextAlloc(TopMemoryContext,
								   sizeof(LifeguardEvent) * EVENTLOG_BATCH);

	/* a flood that stopped: its summary is written in this tick */
	lifeguard_events_flush_held(now);
	persist_events(writable);

	if (writable && lifeguard_event_retention > 0 &&
		TimestampDifferenceExceeds(last_prune, now,
								   lifeguard_check_interval * 1000))
	{
		last_prune = now;
		(void) write_table(EVENTLOG_PRUNE, NULL, 0,
						   now - (TimestampTz) lifeguard_event_retention * USECS_PER_SEC);
	}

	notify_events(lifeguard_notify && !RecoveryInProgress());
}

/*
 * The events and observability duty, in the worker: each tick, write the
 * new events to lifeguard.events, prune it and send NOTIFY.  Last in the
 * worker's list, so that a tick's events are written in the same tick.
 */
const LifeguardDuty lifeguard_observability_duty = {
	.name = "event log duty",
	.install_hooks = lifeguard_register_http_worker,
	.tick = lifeguard_eventlog_tick,
};
