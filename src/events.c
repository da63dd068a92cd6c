/*-------------------------------------------------------------------------
 *
 * events.c
 *		Recording events into the shared ring, and reading them back.
 *
 * Every decision pg_lifeguard takes goes through lifeguard_event_record():
 * one slot of the ring, one counter, one server log line with a stable
 * prefix.  Recording allocates no memory and takes only the ring's LWLock,
 * so it works in the login hook, in a process exit callback and in the
 * worker's error path.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pg_lifeguard.h"
#include "events.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(lifeguard_recent_events);

/* Stable names, indexed by LifeguardEventKind; documented in README.md */
static const char *const event_kind_names[LG_EVENT_NKINDS] = {
	[LG_EVENT_WORKER_STARTED] = "worker_started",
	[LG_EVENT_WORKER_RESTARTED] = "worker_restarted",
	[LG_EVENT_WORKER_STOPPED] = "worker_stopped",
	[LG_EVENT_WORKER_ERROR] = "worker_error",
	[LG_EVENT_SLOT_OK] = "slot_ok",
	[LG_EVENT_SLOT_WARNING] = "slot_warning",
	[LG_EVENT_SLOT_CRITICAL] = "slot_critical",
	[LG_EVENT_LOGIN_REFUSED] = "login_refused",
	[LG_EVENT_CAP_REFUSED] = "cap_refused",
	[LG_EVENT_IDLE_SHED] = "idle_shed",
	[LG_EVENT_STATEMENT_TIMEOUT] = "statement_timeout",
	[LG_EVENT_LOCK_WAIT_TIMEOUT] = "lock_wait_timeout",
	[LG_EVENT_IDLE_IN_XACT_TIMEOUT] = "idle_in_transaction_timeout",
	[LG_EVENT_TRANSACTION_TIMEOUT] = "transaction_timeout",
	[LG_EVENT_BLOCKING_TIMEOUT] = "blocking_timeout",
	[LG_EVENT_DEFAULT_PARTITION_ROWS] = "default_partition_rows",
	[LG_EVENT_PARTITIONS_RUNNING_OUT] = "partitions_running_out",
	[LG_EVENT_PARTITION_WARNING] = "partition_warning",
	[LG_EVENT_PARTITION_OK] = "partition_ok",
	[LG_EVENT_JOB_LATE] = "job_late",
	[LG_EVENT_JOB_FAILING] = "job_failing",
	[LG_EVENT_JOB_ESCALATED] = "job_escalated",
	[LG_EVENT_JOB_RECOVERED] = "job_recovered",
};

static const char *const severity_names[] = {
	[LG_SEVERITY_INFO] = "info",
	[LG_SEVERITY_WARNING] = "warning",
	[LG_SEVERITY_CRITICAL] = "critical",
};

#define RECENT_EVENTS_COLS	11

const char *
lifeguard_event_kind_name(LifeguardEventKind kind)
{
	if (kind < 0 || kind >= LG_EVENT_NKINDS)
		return "unknown";
	return event_kind_names[kind];
}

/*
 * Can an event of this kind come with an action taken (a refusal, cancel,
 * terminate)?  lifeguard.metrics() counts actions for these kinds.
 */
bool
lifeguard_event_kind_acts(LifeguardEventKind kind)
{
	switch (kind)
	{
		case LG_EVENT_LOGIN_REFUSED:
		case LG_EVENT_CAP_REFUSED:
		case LG_EVENT_IDLE_SHED:
		case LG_EVENT_STATEMENT_TIMEOUT:
		case LG_EVENT_LOCK_WAIT_TIMEOUT:
		case LG_EVENT_IDLE_IN_XACT_TIMEOUT:
		case LG_EVENT_TRANSACTION_TIMEOUT:
		case LG_EVENT_BLOCKING_TIMEOUT:
			return true;
		default:
			return false;
	}
}

const char *
lifeguard_severity_name(LifeguardSeverity severity)
{
	if (severity < LG_SEVERITY_INFO || severity > LG_SEVERITY_CRITICAL)
		return "unknown";
	return severity_names[severity];
}

/*
 * Copy a possibly-NULL string into a fixed buffer of len bytes, always
 * terminated, cut at a character boundary (never inside a multibyte
 * character).
 */
void
lifeguard_copy_clipped(char *dst, const char *src, Size len)
{
	int			srclen;
	int			n;

	if (src == NULL)
	{
		dst[0] = '\0';
		return;
	}
	srclen = strlen(src);
	n = (srclen < (int) len) ? srclen : pg_mbcliplen(src, srclen, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * A string that is valid UTF-8, for Prometheus text and JSON: str itself
 * when it is, otherwise a palloc'd copy with every byte that does not
 * start a valid sequence replaced by '?' (a name from a database in
 * another encoding, say).
 */
const char *
lifeguard_utf8_clean(const char *str)
{
	const unsigned char *p = (const unsigned char *) str;
	int			len = strlen(str);
	char	   *copy = NULL;
	int			i = 0;

	while (i < len)
	{
		int			l = pg_utf_mblen(p + i);

		if (l <= len - i && pg_utf8_islegal(p + i, l))
		{
			i += l;
			continue;
		}
		if (copy == NULL)
			copy = pstrdup(str);
		copy[i++] = '?';
	}
	return copy != NULL ? copy : str;
}

/*
 * Was an action taken: a refusal, cancel or terminate, not a dry run
 * ("would_...") or a log-only policy?
 */
static bool
action_taken(const char *action)
{
	return action != NULL && action[0] != '\0' &&
		strncmp(action, "would", 5) != 0 && strcmp(action, "log") != 0;
}

/*
 * Count an event that is not recorded (a rate-limited repeat), so that the
 * per-kind counters stay exact; "acted" says whether its action was taken.
 */
void
lifeguard_event_count(LifeguardEventKind kind, bool acted)
{
	if (LifeguardState == NULL || kind < 0 || kind >= LG_EVENT_NKINDS)
		return;
	pg_atomic_fetch_add_u64(&LifeguardState->event_counts[kind], 1);
	if (acted)
		pg_atomic_fetch_add_u64(&LifeguardState->action_counts[kind], 1);
}

/*
 * Record one event: into the ring, into the per-kind counter, and into the
 * server log as
 *
 *		pg_lifeguard: <kind> [<severity>]: <detail>
 *
 * followed by the subject, policy and action where there are any.
 */
static void event_record_va(LifeguardEventKind kind,
							LifeguardSeverity severity,
							const LifeguardEventSubject *subject,
							const char *policy, const char *action,
							bool count, const char *fmt, va_list args)
			pg_attribute_printf(7, 0);

void
lifeguard_event_record(LifeguardEventKind kind,
					   LifeguardSeverity severity,
					   const LifeguardEventSubject *subject,
					   const char *policy,
					   const char *action,
					   const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	event_record_va(kind, severity, subject, policy, action, true, fmt, args);
	va_end(args);
}

/*
 * Record an event whose occurrences were already counted one by one (a
 * summary of rate-limited repeats).
 */
void
lifeguard_event_record_uncounted(LifeguardEventKind kind,
								 LifeguardSeverity severity,
								 const LifeguardEventSubject *subject,
								 const char *policy,
								 const char *action,
								 const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	event_record_va(kind, severity, subject, policy, action, false, fmt, args);
	va_end(args);
}

static void
event_record_va(LifeguardEventKind kind,
				LifeguardSeverity severity,
				const LifeguardEventSubject *subject,
				const char *policy,
				const char *action,
				bool count,
				const char *fmt,
				va_list args)
{
	LifeguardEvent ev;
	char		detail[LIFEGUARD_DETAIL_LEN * 2];

	Assert(kind >= 0 && kind < LG_EVENT_NKINDS);

	memset(&ev, 0, sizeof(ev));
	ev.time = GetCurrentTimestamp();
	ev.kind = (int16) kind;
	ev.severity = (int16) severity;
	if (subject != NULL)
	{
		ev.pid = subject->pid;
		lifeguard_copy_clipped(ev.role, subject->role, sizeof(ev.role));
		lifeguard_copy_clipped(ev.database, subject->database,
							   sizeof(ev.database));
		lifeguard_copy_clipped(ev.application_name,
							   subject->application_name,
							   sizeof(ev.application_name));
	}
	lifeguard_copy_clipped(ev.policy, policy, sizeof(ev.policy));
	lifeguard_copy_clipped(ev.action, action, sizeof(ev.action));

	/* format into a larger buffer, then keep whole characters only */
	vsnprintf(detail, sizeof(detail), fmt, args);
	lifeguard_copy_clipped(ev.detail, detail, sizeof(ev.detail));

	if (LifeguardState != NULL)
	{
		LifeguardShared *s = LifeguardState;

		LWLockAcquire(s->lock, LW_EXCLUSIVE);
		ev.seq = s->next_seq++;
		memcpy(&s->ring[(ev.seq - 1) % s->ring_size], &ev, sizeof(ev));
		LWLockRelease(s->lock);

		if (count)
			lifeguard_event_count(kind, action_taken(action));
	}

	ereport(LOG,
			(errhidestmt(true),
			 errmsg("pg_lifeguard: %s [%s]: %s",
					lifeguard_event_kind_name(kind),
					lifeguard_severity_name(severity),
					ev.detail),
			 (ev.pid != 0 || ev.role[0] || ev.policy[0] || ev.action[0]) ?
			 errdetail_log("pid=%d role=%s database=%s application_name=%s policy=%s action=%s",
						   ev.pid, ev.role, ev.database, ev.application_name,
						   ev.policy, ev.action) : 0));
}

/*
 * Copy up to max events with a sequence number above "after" out of the
 * ring into buf, oldest first; returns how many.  *first and *last (either
 * may be NULL) get the sequence numbers of the oldest and the newest event
 * the ring holds (*last is 0 while it holds none).  Takes the ring's lock
 * shared, for the copy only.
 */
int
lifeguard_events_copy(uint64 after, LifeguardEvent *buf, int max,
					  uint64 *first, uint64 *last)
{
	LifeguardShared *s = LifeguardState;
	uint64		lo;
	uint64		hi;
	uint64		seq;
	int			n = 0;

	LWLockAcquire(s->lock, LW_SHARED);
	hi = s->next_seq - 1;
	lo = (hi > (uint64) s->ring_size) ? hi - s->ring_size + 1 : 1;
	for (seq = Max(lo, after + 1); after < hi && seq <= hi && n < max; seq++)
		memcpy(&buf[n++], &s->ring[(seq - 1) % s->ring_size],
			   sizeof(LifeguardEvent));
	LWLockRelease(s->lock);

	if (first != NULL)
		*first = lo;
	if (last != NULL)
		*last = hi;
	return n;
}

/*
 * Text datum for a ring string, or NULL when it is empty.
 */
static inline bool
put_text(Datum *value, const char *str)
{
	if (str[0] == '\0')
		return true;
	*value = CStringGetTextDatum(str);
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
	LifeguardShared *s = LifeguardState;
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
