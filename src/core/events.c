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
 * Strings.  The ring holds valid UTF-8 only, whatever reached it: a client
 * chooses the bytes of its database name, a role created in a SQL_ASCII
 * database may be named in any bytes, and PostgreSQL cuts a long database
 * name at 63 bytes, in the middle of a character if need be.  Every string
 * is copied into the ring by lifeguard_copy_clipped(), which replaces each
 * byte that does not begin a valid UTF-8 sequence with '?' and cuts at a
 * character boundary.  A reader in a database of another encoding gets the
 * text converted to it (lifeguard_event_text()), '?' for a character the
 * encoding lacks.
 *
 * Rate limit.  A session can make events happen as fast as it likes (trip
 * a statement limit in a loop, from many sessions), and a flood of them
 * would push everyone else's events out of the ring before the worker
 * stores them.  So an event of a kind sessions cause
 * (lifeguard_event_kind_acts()) takes a token from the bucket of its kind,
 * policy and role: lifeguard.event_burst tokens, refilled by one a second.
 * Without a token the event is counted (event_counts[], action_counts[],
 * and suppressed_counts[]) but neither recorded nor logged; the bucket
 * counts it too, and the number is recorded as one summary event, of the
 * same kind, policy and role, when the bucket next records an event or,
 * failing that, by the worker once a second has passed.  The worker's own
 * events, the slot events and the partition and job alerts are never held
 * back.  Login refusals go through this limit like any other event: a
 * storm of one policy's refusals never hides another policy's.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "common/string.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/events.h"
#include "core/lifeguard.h"
#include "core/ring.h"

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
	[LG_EVENT_UNTRUSTED_OBJECT] = "untrusted_object",
	[LG_EVENT_WORKER_RECOVERED] = "worker_recovered",
};

static const char *const severity_names[] = {
	[LG_SEVERITY_INFO] = "info",
	[LG_SEVERITY_WARNING] = "warning",
	[LG_SEVERITY_CRITICAL] = "critical",
};

LifeguardEventRing *LifeguardEvents = NULL;

/*
 * Bytes of the events duty's shared memory: the ring holds
 * lifeguard.event_ring_size events (fixed at server start).
 */
static Size
events_shmem_size(void)
{
	return add_size(offsetof(LifeguardEventRing, ring),
					mul_size(lifeguard_event_ring_size, sizeof(LifeguardEvent)));
}

/*
 * Attach to the event ring; the first time, initialise it (the memory is
 * zeroed).  The ring has one LWLock (ring.h).
 */
static void
events_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	LifeguardEventRing *s = (LifeguardEventRing *) ptr;
	int			i;

	if (!found)
	{
		s->lock = &locks[0].lock;
		s->next_seq = 1;
		s->ring_size = lifeguard_event_ring_size;
		for (i = 0; i < LG_EVENT_NKINDS; i++)
		{
			pg_atomic_init_u64(&s->event_counts[i], 0);
			pg_atomic_init_u64(&s->action_counts[i], 0);
			pg_atomic_init_u64(&s->suppressed_counts[i], 0);
		}
		pg_atomic_init_u64(&s->events_persisted, 0);
		pg_atomic_init_u64(&s->events_dropped, 0);
		pg_atomic_init_u64(&s->events_notified, 0);
	}
	LifeguardEvents = s;
}

const char *
lifeguard_event_kind_name(LifeguardEventKind kind)
{
	if (kind < 0 || kind >= LG_EVENT_NKINDS)
		return "unknown";
	return event_kind_names[kind];
}

/*
 * Can an event of this kind come with an action taken (a refusal, cancel,
 * terminate)?  lifeguard.metrics() counts actions for these kinds, and
 * these are the kinds sessions cause, which the rate limit applies to.
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
 * Length of the valid UTF-8 character at p, of which "left" bytes remain
 * before the terminating NUL; 0 when the bytes there are not one (a stray
 * continuation byte, a sequence cut short, an overlong form, a surrogate).
 */
static inline int
utf8_char_len(const unsigned char *p, int left)
{
	int			l = pg_utf_mblen(p);

	if (l > left || !pg_utf8_islegal(p, l))
		return 0;
	return l;
}

/*
 * Copy a possibly-NULL string into a fixed buffer of len bytes as valid
 * UTF-8 (see the file header): always terminated, every byte that does not
 * begin a valid character replaced by '?', cut at a character boundary.
 * Does not depend on the database encoding, which the login hook does not
 * know yet.
 */
void
lifeguard_copy_clipped(char *dst, const char *src, Size len)
{
	const unsigned char *p = (const unsigned char *) src;
	int			left;
	Size		n = 0;

	if (src == NULL)
	{
		dst[0] = '\0';
		return;
	}
	left = strlen(src);
	while (left > 0)
	{
		int			l = utf8_char_len(p, left);

		if (n + Max(l, 1) > len - 1)
			break;
		if (l == 0)
		{
			dst[n++] = '?';
			l = 1;
		}
		else
		{
			memcpy(dst + n, p, l);
			n += l;
		}
		p += l;
		left -= l;
	}
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
		int			l = utf8_char_len(p + i, len - i);

		if (l > 0)
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
 * Text datum of a string from the ring (valid UTF-8, see the file header)
 * in the database encoding: the string itself in a UTF-8 or SQL_ASCII
 * database, or when it is plain ASCII; otherwise converted, with '?' for
 * each character the database encoding lacks, so that the value is always
 * valid there and reaches any client.  Caller is in a transaction.
 */
Datum
lifeguard_event_text(const char *str)
{
	static Oid	proc = InvalidOid;
	static bool proc_known = false;
	int			enc = GetDatabaseEncoding();
	const unsigned char *src = (const unsigned char *) str;
	int			left = strlen(str);
	unsigned char *out;
	int			outlen;
	StringInfoData buf;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII || pg_is_ascii(str))
		return CStringGetTextDatum(str);

	/* the database encoding never changes: look its conversion up once */
	if (!proc_known)
	{
		proc = FindDefaultConversionProc(PG_UTF8, enc);
		proc_known = true;
	}

	outlen = left * MAX_CONVERSION_GROWTH + 1;
	out = palloc(outlen);
	initStringInfo(&buf);
	while (left > 0)
	{
		int			done = 0;
		int			l;

		if (OidIsValid(proc))
		{
			/* converts up to the first character it cannot convert */
			out[0] = '\0';
			done = pg_do_encoding_conversion_buf(proc, PG_UTF8, enc,
												 (unsigned char *) src, left,
												 out, outlen, true);
			appendStringInfoString(&buf, (char *) out);
			src += done;
			left -= done;
			if (left == 0)
				break;
		}
		l = Max(utf8_char_len(src, left), 1);
		appendStringInfoChar(&buf, (l == 1 && !IS_HIGHBIT_SET(*src)) ?
							 (char) *src : '?');
		src += l;
		left -= l;
	}
	pfree(out);
	return PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
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
	if (LifeguardEvents == NULL || kind < 0 || kind >= LG_EVENT_NKINDS)
		return;
	pg_atomic_fetch_add_u64(&LifeguardEvents->event_counts[kind], 1);
	if (acted)
		pg_atomic_fetch_add_u64(&LifeguardEvents->action_counts[kind], 1);
}

/*
 * Count one event the rate limit held back, for
 * pg_lifeguard_events_suppressed_total.
 */
static void
event_held_back(LifeguardEventKind kind)
{
	if (LifeguardEvents == NULL || kind < 0 || kind >= LG_EVENT_NKINDS)
		return;
	pg_atomic_fetch_add_u64(&LifeguardEvents->suppressed_counts[kind], 1);
}

/*
 * Put ev into the next slot of the ring, numbering it.  Caller holds the
 * ring's lock exclusively.
 */
static void
ring_put(LifeguardEventRing *s, LifeguardEvent *ev)
{
	ev->seq = s->next_seq++;
	memcpy(&s->ring[(ev->seq - 1) % s->ring_size], ev, sizeof(LifeguardEvent));
}

/*
 * The server log line of an event, with the stable prefix.  Called with no
 * lock held.
 *
 * This is the one message that starts with "pg_lifeguard: ".  It is not a
 * sentence but a record in a documented format ("pg_lifeguard: <kind>
 * [<severity>]: <detail>", see lifeguard_event_record()) that log alerting,
 * scripts and tests match, written by any process (a client backend in the
 * login hook as well as the workers); the prefix is what finds every event
 * in the log, and nothing else.
 */
static void
log_event(const LifeguardEvent *ev)
{
	ereport(LOG,
			(errhidestmt(true),
			 errmsg("pg_lifeguard: %s [%s]: %s",
					lifeguard_event_kind_name(ev->kind),
					lifeguard_severity_name(ev->severity),
					ev->detail),
			 (ev->pid != 0 || ev->role[0] || ev->policy[0] || ev->action[0]) ?
			 errdetail_log("pid=%d role=%s database=%s application_name=%s policy=%s action=%s",
						   ev->pid, ev->role, ev->database,
						   ev->application_name, ev->policy, ev->action) : 0));
}

/* Hash of an event's rate-limit key: kind, policy and role; never 0 */
static uint32
bucket_hash(const LifeguardEvent *ev)
{
	uint32		h;

	h = hash_bytes((const unsigned char *) ev->policy, strlen(ev->policy));
	h = hash_combine(h, hash_bytes((const unsigned char *) ev->role,
								   strlen(ev->role)));
	h = hash_combine(h, (uint32) ev->kind);
	return h != 0 ? h : 1;
}

/*
 * The summary event of what bucket b held back, at time "now"; b's count
 * starts again from 0.  Caller holds the ring's lock exclusively.
 */
static void
held_back_summary(LifeguardEventBucket *b, TimestampTz now,
				  LifeguardEvent *summary)
{
	memset(summary, 0, sizeof(LifeguardEvent));
	summary->time = now;
	summary->kind = b->kind;
	summary->severity = LG_SEVERITY_WARNING;
	memcpy(summary->policy, b->policy, NAMEDATALEN);
	memcpy(summary->role, b->role, NAMEDATALEN);
	snprintf(summary->detail, sizeof(summary->detail),
			 b->held_back == 1 ?
			 "%llu earlier event of this kind, policy and role was held back (lifeguard.event_burst)" :
			 "%llu earlier events of this kind, policy and role were held back (lifeguard.event_burst)",
			 (unsigned long long) b->held_back);
	b->held_back = 0;
}

/*
 * Which of two buckets to take over first for a new key: an unused one,
 * then one holding nothing back, then the one whose key was seen least
 * recently.
 */
static bool
bucket_goes_first(const LifeguardEventBucket *a, const LifeguardEventBucket *b)
{
	if ((a->hash == 0) != (b->hash == 0))
		return a->hash == 0;
	if ((a->held_back == 0) != (b->held_back == 0))
		return a->held_back == 0;
	return a->seen_at < b->seen_at;
}

/*
 * The bucket of ev's kind, policy and role.  A key without one takes over
 * a bucket (bucket_goes_first()), full of tokens; when that bucket was
 * holding events back, their summary is put in summaries[*nsummaries] and
 * *nsummaries counts it.  Caller holds the ring's lock exclusively.
 */
static LifeguardEventBucket *
find_bucket(LifeguardEventRing *s, const LifeguardEvent *ev,
			LifeguardEvent *summaries, int *nsummaries)
{
	uint32		hash = bucket_hash(ev);
	LifeguardEventBucket *victim = NULL;
	int			i;

	for (i = 0; i < LIFEGUARD_EVENT_BUCKETS; i++)
	{
		LifeguardEventBucket *b = &s->buckets[i];

		if (b->hash == hash && b->kind == ev->kind &&
			strcmp(b->policy, ev->policy) == 0 &&
			strcmp(b->role, ev->role) == 0)
			return b;
		if (victim == NULL || bucket_goes_first(b, victim))
			victim = b;
	}

	if (victim->hash != 0 && victim->held_back > 0)
		held_back_summary(victim, ev->time, &summaries[(*nsummaries)++]);
	memset(victim, 0, sizeof(LifeguardEventBucket));
	victim->hash = hash;
	victim->kind = ev->kind;
	memcpy(victim->policy, ev->policy, NAMEDATALEN);
	memcpy(victim->role, ev->role, NAMEDATALEN);
	victim->tokens = lifeguard_event_burst;
	victim->refilled_at = ev->time;
	return victim;
}

/*
 * Take a token from bucket b for an event at time "now", after adding one
 * for every LIFEGUARD_EVENT_REFILL_MS since it was last refilled, up to
 * lifeguard.event_burst.  Without a token the event is held back and b
 * counts it.  Returns whether the event is to be recorded.
 */
static bool
take_token(LifeguardEventBucket *b, TimestampTz now)
{
	if (now > b->refilled_at)
	{
		b->tokens += (double) (now - b->refilled_at) /
			(LIFEGUARD_EVENT_REFILL_MS * 1000.0);
		b->refilled_at = now;
	}
	b->tokens = Min(b->tokens, (double) lifeguard_event_burst);
	b->seen_at = now;
	if (b->tokens >= 1.0)
	{
		b->tokens -= 1.0;
		return true;
	}
	b->held_back++;
	return false;
}

/*
 * Record one event: into the ring, into the per-kind counter, and into the
 * server log as
 *
 *		pg_lifeguard: <kind> [<severity>]: <detail>
 *
 * followed by the subject, policy and action where there are any.  An event
 * of a kind sessions cause may be held back by the rate limit instead (see
 * the file header): counted, not recorded, not logged.
 */
static void event_record_va(LifeguardEventKind kind,
							LifeguardSeverity severity,
							const LifeguardEventSubject *subject,
							const char *policy, const char *action,
							const char *fmt, va_list args)
			pg_attribute_printf(6, 0);

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
	event_record_va(kind, severity, subject, policy, action, fmt, args);
	va_end(args);
}

static void
event_record_va(LifeguardEventKind kind,
				LifeguardSeverity severity,
				const LifeguardEventSubject *subject,
				const char *policy,
				const char *action,
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

	if (LifeguardEvents != NULL)
	{
		LifeguardEventRing *s = LifeguardEvents;
		LifeguardEvent summaries[2];
		int			nsummaries = 0;
		bool		record = true;
		int			i;

		LWLockAcquire(s->lock, LW_EXCLUSIVE);
		if (lifeguard_event_burst > 0 &&
			lifeguard_event_kind_acts(kind))
		{
			LifeguardEventBucket *b = find_bucket(s, &ev, &summaries[0],
												  &nsummaries);

			record = take_token(b, ev.time);
			if (record && b->held_back > 0)
				held_back_summary(b, ev.time, &summaries[nsummaries++]);
		}
		for (i = 0; i < nsummaries; i++)
			ring_put(s, &summaries[i]);
		if (record)
			ring_put(s, &ev);
		LWLockRelease(s->lock);

		lifeguard_event_count(kind, action_taken(action));
		if (!record)
			event_held_back(kind);
		for (i = 0; i < nsummaries; i++)
			log_event(&summaries[i]);
		if (!record)
			return;
	}

	log_event(&ev);
}

/*
 * Record the summaries of the events held back by the rate limit for a
 * second or more, whose buckets have recorded nothing since: the worker,
 * once a tick, so that a flood that stopped is still accounted for in the
 * ring.
 */
void
lifeguard_events_flush_held(TimestampTz now)
{
	LifeguardEventRing *s = LifeguardEvents;

	if (s == NULL)
		return;
	for (;;)
	{
		LifeguardEvent summary;
		bool		found = false;
		int			i;

		LWLockAcquire(s->lock, LW_EXCLUSIVE);
		for (i = 0; i < LIFEGUARD_EVENT_BUCKETS && !found; i++)
		{
			LifeguardEventBucket *b = &s->buckets[i];

			if (b->hash != 0 && b->held_back > 0 &&
				TimestampDifferenceExceeds(b->seen_at, now,
										   LIFEGUARD_EVENT_REFILL_MS))
			{
				held_back_summary(b, now, &summary);
				ring_put(s, &summary);
				found = true;
			}
		}
		LWLockRelease(s->lock);

		if (!found)
			break;
		log_event(&summary);
	}
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
	LifeguardEventRing *s = LifeguardEvents;
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

/* The event ring's piece of shared memory; one LWLock (ring.h) */
const LifeguardShmemPiece lifeguard_events_shmem = {
	"pg_lifeguard events", events_shmem_size, 1, events_shmem_attach
};
