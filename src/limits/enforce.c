/*-------------------------------------------------------------------------
 *
 * enforce.c
 *		Time limits by policy: statement, lock wait, idle in transaction,
 *		transaction and blocking.  Deciding, signalling, and telling the
 *		signalled client why.
 *
 * The worker checks every client session against the limits of the
 * policies it matches, every tick, whatever the session set for itself
 * (SET statement_timeout = 0 changes nothing here).  What a limit is
 * measured from:
 *
 *	statement_timeout            the start of the running statement
 *	lock_wait_timeout            the start of the current heavyweight lock
 *	                             wait (PGPROC.waitStart)
 *	idle_in_transaction_timeout  the moment the session went idle in its
 *	                             transaction
 *	transaction_timeout          the start of the transaction (not while
 *	                             idle outside one, nor once it has aborted:
 *	                             PostgreSQL clears its start time then)
 *	blocking_timeout             the start of the oldest wait of a session
 *	                             this one blocks directly, for a root of the
 *	                             lock graph (it blocks others and waits on
 *	                             nothing)
 *
 * Where several matching policies set the same limit, the smallest wins,
 * with its policy's action (on a tie, the stronger action).  The session of
 * a superuser or of a member of lifeguard.admin_roles is bound only by the
 * policies that name its role (the policy duty's resolver,
 * lifeguard_policy_strictest()).
 *
 * What is done, by the winning policy's action:
 *
 *	log        an event, once per offence;
 *	cancel     SIGINT, as pg_cancel_backend().  A cancel is ignored by a
 *	           session idle in its transaction (PostgreSQL drops a cancel
 *	           that arrives while it waits for the client), so such a
 *	           session is terminated instead, and idle_in_transaction_timeout
 *	           always terminates.  When the same offence is still there one
 *	           naptime (at least LIFEGUARD_ESCALATE_MIN_MS) after the cancel,
 *	           the session is terminated.  A cancel usually ends the offence:
 *	           the error aborts the transaction, which releases its locks.
 *	           It does not when the cancelled statement ran in a
 *	           subtransaction (a SAVEPOINT, psql's ON_ERROR_ROLLBACK, a
 *	           PL/pgSQL EXCEPTION block): only the subtransaction is rolled
 *	           back, and the locks taken before it stay held;
 *	terminate  SIGTERM, as pg_terminate_backend().
 *
 * An "offence" is one limit broken by one session from one starting point
 * (the statement, the wait, the transaction...); the worker remembers the
 * offences it acted on while they last, so each is acted on once (plus one
 * escalation), and the memory is dropped as soon as the offence is over.
 * With lifeguard.dry_run (or lifeguard.enabled = off) every action is
 * recorded as "would_cancel" / "would_terminate" and none is taken.
 *
 * When.  A limit is checked at every tick; and when a tick sees a limit
 * running that will be broken before the next one, the worker wakes up just
 * after that moment (lifeguard_enforce_next_due), so a session is acted on
 * within a few milliseconds of its limit rather than up to one naptime
 * later.  Only a violation that starts and runs out between two ticks waits
 * for the next one.
 *
 * Cost.  Without a policy that sets one of these limits, nothing here runs.
 * With them, the tick compares the sessions it already read (sessions.c)
 * with the policies: no lock, no catalog access.  The lock graph is built
 * only when some session has waited on a heavyweight lock for at least the
 * smallest blocking_timeout, since no session can have blocked another for
 * longer than the oldest wait.  A transaction (for role names and the
 * superuser and admin checks) is opened only when there is an offence to
 * act on, and catalog locks are only taken conditionally.
 *
 * Telling the client.  Right before the signal, the worker leaves the
 * reason in the target's LifeguardReason entry (below).  This module's
 * emit_log_hook, running in every backend, rewrites the error that the
 * signal raises ("canceling statement due to user request", "terminating
 * connection due to administrator command") into one naming pg_lifeguard,
 * the policy and the limit, before it is sent to the client and the server
 * log.  emit_log_hook only runs for errors that go to the server log: with
 * log_min_messages above ERROR (FATAL for a termination) the client gets
 * PostgreSQL's usual message, and the event still says why.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/acted.h"
#include "core/compat.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "limits/limits.h"
#include "limits/locks.h"
#include "policy/policy.h"

/* A cancelled offence is escalated after max(naptime, this) */
#define LIFEGUARD_ESCALATE_MIN_MS	1000

/* Room for the text that tells a signalled client why */
#define LIFEGUARD_REASON_LEN	192

/* How long a reason waits for its backend to raise the error */
#define LIFEGUARD_REASON_TTL_MS		10000

/*
 * Why the worker signalled one backend, left in shared memory right before
 * the signal, for that backend's emit_log_hook to put in the error its
 * client receives.  One entry per client PGPROC (index pgprocno).  An
 * entry is used at most once, only by the backend whose pid it names, only
 * for the error the signal it names raises, and only until it expires: a
 * later cancel by someone else is not relabelled.
 */
typedef struct LifeguardReason
{
	slock_t		mutex;
	int			pid;			/* 0 = no reason pending */
	int			sig;			/* SIGINT (cancel) or SIGTERM (terminate) */
	TimestampTz expires;
	char		message[LIFEGUARD_REASON_LEN];	/* 'policy "x": ... exceeded' */
	char		detail[LIFEGUARD_REASON_LEN];
} LifeguardReason;

/*
 * The duty's shared memory.
 *
 * Locking protocol.  reasons[i].mutex (one spinlock per entry) protects
 * that entry.  The worker fills the entry of the backend it is about to
 * signal (before kill()); that backend's emit_log_hook, raising the cancel
 * or terminate error, copies the entry and clears it.  Holders copy at
 * most two short strings and a few fields.  A backend takes only its own
 * entry's spinlock, the worker one entry's at a time, with nothing else
 * held.  lock_graphs is an atomic, added to by the worker and read by
 * anyone without a lock.
 */
typedef struct LimitState
{
	pg_atomic_uint64 lock_graphs;	/* lock graphs built, all workers */
	LifeguardReason reasons[FLEXIBLE_ARRAY_MEMBER];	/* MaxConnections */
} LimitState;

static LimitState *Limits = NULL;

static emit_log_hook_type prev_emit_log_hook = NULL;

/* One limit broken by one session, found in this tick */
typedef struct Offence
{
	LifeguardSession *session;
	LifeguardLimit limit;
	int			policy;			/* index into the policies */
	TimestampTz since;			/* what the limit is measured from */
	int64		elapsed_ms;
	int			blocked;		/* blocking: sessions waiting behind it */
} Offence;


/*
 * The earliest moment, after this tick, at which a limit already seen
 * running will be broken (0: none known); the worker wakes up then rather
 * than at the end of its naptime, so an action does not wait for the
 * cadence.  Each session's own limit is used (the strictest of the
 * policies it matches), looked up only when it could run out before the
 * next tick.  For blocking_timeout it is a lower bound (the smallest limit
 * and the oldest lock wait, before any lock graph): a wake-up that finds
 * nothing to do costs one ordinary tick.
 */
static TimestampTz next_due = 0;

/* The offences the worker acted on, remembered while they last */
static LifeguardActedMemory acted;

/* ----------------------------------------------------------------
 * In every backend: telling the client why
 * ----------------------------------------------------------------
 */

/*
 * emit_log_hook: when this backend raises the error of a cancel or a
 * termination the worker left a reason for, say so in the error.  Must not
 * fail: copies a few bytes under this backend's own spinlock, then
 * allocates in ErrorContext, which always has room for a few messages.
 */
static void
lifeguard_emit_log(ErrorData *edata)
{
	LifeguardReason *r;
	int			sig;
	bool		found = false;
	char		message[LIFEGUARD_REASON_LEN];
	char		detail[LIFEGUARD_REASON_LEN];

	if (Limits != NULL && MyProc != NULL &&
		lifeguard_proc_number(MyProc) < MaxConnections &&
		edata->message_id != NULL)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
			strcmp(edata->message_id, LG_CANCEL_MESSAGE) == 0)
			sig = SIGINT;
		else if (edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN &&
				 strcmp(edata->message_id, LG_TERMINATE_MESSAGE) == 0)
			sig = SIGTERM;
		else
			sig = 0;

		if (sig != 0)
		{
			TimestampTz now = GetCurrentTimestamp();

			r = &Limits->reasons[lifeguard_proc_number(MyProc)];
			SpinLockAcquire(&r->mutex);
			if (r->pid == MyProcPid && r->sig == sig && now < r->expires)
			{
				memcpy(message, r->message, LIFEGUARD_REASON_LEN);
				memcpy(detail, r->detail, LIFEGUARD_REASON_LEN);
				found = true;
			}
			if (r->pid == MyProcPid)
				r->pid = 0;		/* used, or too late: either way, gone */
			SpinLockRelease(&r->mutex);
		}

		if (found)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(ErrorContext);

			edata->message = psprintf("%s due to pg_lifeguard %s",
									  sig == SIGINT ? "canceling statement" :
									  "terminating connection",
									  message);
			edata->detail = pstrdup(detail);
			edata->hint = pstrdup("The limit is set in lifeguard.policies; lifeguard.recent_events() shows what pg_lifeguard did.");
			MemoryContextSwitchTo(oldcxt);
		}
	}

	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

static void
limits_install_hooks(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = lifeguard_emit_log;
}

/* Worker: leave the reason for the backend about to get sig */
static void
set_reason(const LifeguardSession *s, int sig, TimestampTz now,
		   const char *message, const char *detail)
{
	LifeguardReason *r = &Limits->reasons[s->pgprocno];

	SpinLockAcquire(&r->mutex);
	r->pid = s->pid;
	r->sig = sig;
	r->expires = TimestampTzPlusMilliseconds(now, LIFEGUARD_REASON_TTL_MS);
	strlcpy(r->message, message, LIFEGUARD_REASON_LEN);
	strlcpy(r->detail, detail, LIFEGUARD_REASON_LEN);
	SpinLockRelease(&r->mutex);
}

/* Worker: the signal was not sent after all */
static void
clear_reason(const LifeguardSession *s)
{
	LifeguardReason *r = &Limits->reasons[s->pgprocno];

	SpinLockAcquire(&r->mutex);
	if (r->pid == s->pid)
		r->pid = 0;
	SpinLockRelease(&r->mutex);
}

/* ----------------------------------------------------------------
 * In the worker: finding offences
 * ----------------------------------------------------------------
 */

/* Does any of these policies set a limit this module enforces? */
static bool
policies_limit_sessions(const LifeguardPolicy *policies, int npolicies)
{
	int			i;
	int			k;

	for (i = 0; i < npolicies; i++)
		for (k = 0; k < LG_LIMIT_NTIME; k++)
			if (policies[i].limit_ms[k] >= 0)
				return true;
	return false;
}

/* What limit "limit" is measured from for this session, or 0: not running */
static TimestampTz
limit_start(const LifeguardSession *s, LifeguardLimit limit)
{
	switch (limit)
	{
		case LG_LIMIT_STATEMENT:
			if (s->state == LG_SESSION_ACTIVE || s->state == LG_SESSION_WAITING)
				return s->activity_start;
			return 0;
		case LG_LIMIT_LOCK_WAIT:
			return s->state == LG_SESSION_WAITING ? s->wait_start : 0;
		case LG_LIMIT_IDLE_IN_XACT:
			return s->state == LG_SESSION_IDLE_IN_XACT ? s->state_start : 0;
		case LG_LIMIT_TRANSACTION:
			return s->state != LG_SESSION_IDLE ? s->xact_start : 0;
		case LG_LIMIT_BLOCKING:
			return 0;			/* from the lock graph */
		case LG_LIMIT_IDLE:
		case LG_LIMIT_SHED_IDLE:
		case LG_LIMIT_NKINDS:
			break;			/* not enforced here (slots duty) */
	}
	return 0;
}

/*
 * The action the policy's action becomes for this offence: idle in
 * transaction, a cancel would be ignored, so it terminates.
 */
static LifeguardAction
base_action(const Offence *o, LifeguardAction action)
{
	if (action == LG_ACTION_CANCEL &&
		(o->limit == LG_LIMIT_IDLE_IN_XACT ||
		 o->session->state == LG_SESSION_IDLE_IN_XACT))
		return LG_ACTION_TERMINATE;
	return action;
}

/*
 * Of two offences of one session, the one to act on: the stronger action,
 * then the limit listed first.
 */
static bool
offence_wins(const Offence *a, const Offence *b,
			 const LifeguardPolicy *policies)
{
	LifeguardAction aa = base_action(a, policies[a->policy].action);
	LifeguardAction ab = base_action(b, policies[b->policy].action);

	if (aa != ab)
		return aa > ab;
	return a->limit < b->limit;
}

/* lifeguard_acted_keep(): keep the offences seen in this tick */
static bool
acted_seen(const LifeguardActed *a, void *arg)
{
	return a->seen;
}

/* What was done about this offence, or NULL */
static LifeguardActed *
find_acted(const LifeguardSession *s, LifeguardLimit limit, TimestampTz since)
{
	return lifeguard_acted_find(&acted, s->pid, s->backend_start, limit,
								since);
}

/* Remember an offence acted on (or looked at and left alone) now */
static LifeguardActed *
remember(const Offence *o, TimestampTz now)
{
	return lifeguard_acted_add(&acted, o->session->pid,
							   o->session->backend_start, o->limit, o->since,
							   now);
}

/* "2 s", "1.5 s", "0.25 s" */
static char *
seconds_text(int64 ms)
{
	char	   *s;
	int			len;

	if (ms % 1000 == 0)
		return psprintf("%lld s", (long long) (ms / 1000));
	s = psprintf("%.3f", ms / 1000.0);
	len = strlen(s);
	while (len > 0 && s[len - 1] == '0')
		s[--len] = '\0';
	return psprintf("%s s", s);
}

/* What the session did, for the event: "statement running for 3.2 s" */
static char *
offence_text(const Offence *o)
{
	double		secs = o->elapsed_ms / 1000.0;

	switch (o->limit)
	{
		case LG_LIMIT_STATEMENT:
			return psprintf("statement running for %.1f s", secs);
		case LG_LIMIT_LOCK_WAIT:
			return psprintf("waiting for a lock for %.1f s", secs);
		case LG_LIMIT_IDLE_IN_XACT:
			return psprintf("idle in transaction for %.1f s", secs);
		case LG_LIMIT_TRANSACTION:
			return psprintf("in a transaction for %.1f s", secs);
		case LG_LIMIT_BLOCKING:
			return psprintf(o->blocked == 1 ?
							"blocking %d session for %.1f s" :
							"blocking %d sessions for %.1f s",
							o->blocked, secs);
		case LG_LIMIT_IDLE:
		case LG_LIMIT_SHED_IDLE:
		case LG_LIMIT_NKINDS:
			break;			/* not enforced here (slots duty) */
	}
	return psprintf("%.1f s", secs);
}

/* The same, as the DETAIL of the error the client receives */
static char *
offence_detail(const Offence *o)
{
	double		secs = o->elapsed_ms / 1000.0;

	switch (o->limit)
	{
		case LG_LIMIT_STATEMENT:
			return psprintf("The statement had run for %.1f s.", secs);
		case LG_LIMIT_LOCK_WAIT:
			return psprintf("The statement had waited %.1f s for a lock.", secs);
		case LG_LIMIT_IDLE_IN_XACT:
			return psprintf("The session had been idle in its transaction for %.1f s.", secs);
		case LG_LIMIT_TRANSACTION:
			return psprintf("The transaction had been open for %.1f s.", secs);
		case LG_LIMIT_BLOCKING:
			return psprintf(o->blocked == 1 ?
							"The session had kept %d other session waiting for its locks for %.1f s." :
							"The session had kept %d other sessions waiting for its locks for %.1f s.",
							o->blocked, secs);
		case LG_LIMIT_IDLE:
		case LG_LIMIT_SHED_IDLE:
		case LG_LIMIT_NKINDS:
			break;			/* not enforced here (slots duty) */
	}
	return psprintf("%.1f s.", secs);
}

/*
 * Act on one offence, in a transaction.  Decides against what was already
 * done about it, checks who the session belongs to, re-checks that it is
 * still the same session in the same state, leaves the reason, signals,
 * and records the event.
 */
static void
act(Offence *o, const LifeguardPolicy *policies, int npolicies,
	const bool *matches, TimestampTz now)
{
	LifeguardSession *s = o->session;
	const LifeguardPolicy *p = &policies[o->policy];
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	int64		escalate_ms = Max(lifeguard_naptime, LIFEGUARD_ESCALATE_MIN_MS);
	LifeguardActed *a = find_acted(s, o->limit, o->since);
	LifeguardAction action;
	bool		escalated = false;
	bool		superuser;
	const char *limit_name = lifeguard_limit_name(o->limit);
	const char *action_text;
	char	   *what;
	char	   *why;
	char	   *limit_text;
	LifeguardEventSubject subject;

	if (a != NULL)
	{
		a->seen = true;
		if (a->exempt)
			return;
		if (a->dry_run && !enforce)
			return;				/* reported once while dry run lasts */
		if (!a->dry_run)
		{
			if (a->done != LG_ACTION_CANCEL)
				return;			/* logged or terminated already */
			if (!TimestampDifferenceExceeds(a->at, now, escalate_ms))
				return;			/* give the cancel its time */
			escalated = true;
		}
	}

	/*
	 * The offence was found as if every session were bound by every policy
	 * it matches; a superuser's or an admin's is bound only by those naming
	 * its role (policy.c).
	 */
	superuser = superuser_arg(s->roleid);
	if (superuser || lifeguard_role_is_admin(s->roleid))
	{
		int			named = lifeguard_policy_strictest(policies, npolicies,
													   matches, o->limit,
													   true);

		if (named < 0)
		{
			if (a == NULL)
				a = remember(o, now);
			a->exempt = true;
			return;
		}
		o->policy = named;
		p = &policies[o->policy];
		if (o->elapsed_ms <= p->limit_ms[o->limit])
			return;
	}

	action = escalated ? LG_ACTION_TERMINATE : base_action(o, p->action);
	limit_text = seconds_text(p->limit_ms[o->limit]);
	what = offence_text(o);
	why = psprintf("%s, longer than %s %s", what, limit_name, limit_text);
	if (escalated)
		why = psprintf("%s; still so %s after a cancel", why,
					   seconds_text((now - a->at) / 1000));
	else if (action == LG_ACTION_TERMINATE && p->action == LG_ACTION_CANCEL &&
			 o->limit != LG_LIMIT_IDLE_IN_XACT)
		why = psprintf("%s; idle in its transaction, where a cancel is ignored", why);

	if (action == LG_ACTION_LOG)
		action_text = "log";
	else if (!enforce)
		action_text = action == LG_ACTION_CANCEL ? "would_cancel" : "would_terminate";
	else
	{
		int			sig = action == LG_ACTION_CANCEL ? SIGINT : SIGTERM;
		char	   *message = psprintf("policy \"%s\": %s of %s exceeded",
									   p->name, limit_name, limit_text);
		char	   *detail = offence_detail(o);

		if (!lifeguard_session_unchanged(s))
			return;				/* moved on since it was read: next tick */
		set_reason(s, sig, now, message, detail);
		if (lifeguard_signal_backend(s->pid, sig, s->roleid, superuser,
									 InvalidOid) != LG_SIGNAL_SENT)
		{
			clear_reason(s);
			return;
		}
		action_text = action == LG_ACTION_CANCEL ? "cancel" : "terminate";
	}

	if (a == NULL)
		a = remember(o, now);
	a->done = action;
	a->dry_run = (action != LG_ACTION_LOG && !enforce);
	a->at = now;

	lifeguard_session_subject(s, &subject);
	lifeguard_event_record(LG_EVENT_STATEMENT_TIMEOUT + o->limit,
						   action == LG_ACTION_TERMINATE ?
						   LG_SEVERITY_CRITICAL : LG_SEVERITY_WARNING,
						   &subject, p->name, action_text, "%s", why);
}

/*
 * Keep o as its session's offence when it is the first or wins over the one
 * kept (*slot: its index, -1 for none).  Returns the new count.
 */
static int
add_offence(Offence *offences, int noffences, int *slot, const Offence *o,
			const LifeguardPolicy *policies)
{
	if (*slot < 0)
	{
		*slot = noffences;
		offences[noffences++] = *o;
	}
	else if (offence_wins(o, &offences[*slot], policies))
		offences[*slot] = *o;
	return noffences;
}

/*
 * A limit of limit_ms running since "since" is broken once more than
 * limit_ms whole milliseconds have passed: keep the earliest such moment
 * still to come.
 */
static void
note_due(TimestampTz since, int64 limit_ms, TimestampTz now)
{
	TimestampTz due;

	/* limits are at most LIFEGUARD_LIMIT_MAX_MS; saturate all the same */
	limit_ms = Min(limit_ms, LIFEGUARD_LIMIT_MAX_MS);
	due = since + (limit_ms + 1) * 1000;

	if (due > now && (next_due == 0 || due < next_due))
		next_due = due;
}

/*
 * Blocking offences: the roots of the lock graph past their
 * blocking_timeout.  Called only when some wait is old enough to matter.
 */
static int
find_blockers(LifeguardSession *sessions, int n,
			  const LifeguardPolicy *policies, int npolicies,
			  bool *matches_all, Offence *offences, int noffences,
			  int *session_offence, TimestampTz now)
{
	BlockNode  *nodes;
	BlockEdge  *edges;
	int			nedges;
	int			nnodes;
	int			i;
	int			j;

	nnodes = lifeguard_build_lock_graph(&nodes, &edges, &nedges);
	pg_atomic_fetch_add_u64(&Limits->lock_graphs, 1);

	for (i = 0; i < nnodes; i++)
	{
		BlockNode  *node = &nodes[i];
		LifeguardSession *s = NULL;
		bool	   *matches;
		int			best;
		int64		elapsed_ms;
		Offence		o;

		if (node->waiting || node->blocked_total == 0 || node->pid == 0 ||
			node->blocking_since == 0)
			continue;
		for (j = 0; j < n && s == NULL; j++)
			if (sessions[j].pid == node->pid)
				s = &sessions[j];
		if (s == NULL)
			continue;			/* not a client backend, or gone */
		matches = &matches_all[(s - sessions) * npolicies];
		best = lifeguard_policy_strictest(policies, npolicies, matches,
										  LG_LIMIT_BLOCKING, false);
		if (best < 0)
			continue;
		elapsed_ms = (now - node->blocking_since) / 1000;
		if (elapsed_ms <= policies[best].limit_ms[LG_LIMIT_BLOCKING])
		{
			note_due(node->blocking_since,
					 policies[best].limit_ms[LG_LIMIT_BLOCKING], now);
			continue;
		}

		o.session = s;
		o.limit = LG_LIMIT_BLOCKING;
		o.policy = best;
		o.since = node->blocking_since;
		o.elapsed_ms = elapsed_ms;
		o.blocked = node->blocked_total;
		noffences = add_offence(offences, noffences,
								&session_offence[s - sessions], &o, policies);
	}
	return noffences;
}

/*
 * When the worker should tick next for a limit about to be broken, or 0;
 * see next_due.
 */
static TimestampTz
limits_next_due(TimestampTz now)
{
	return next_due;
}

/* Does this tick need the sessions: does any policy set a time limit? */
static bool
limits_need_sessions(void)
{
	int			n;
	const LifeguardPolicy *policies = lifeguard_tick_policies(&n);

	return policies_limit_sessions(policies, n);
}

/*
 * The duty's tick: enforcement on this tick's sessions (sessions.c).
 * Runs outside any transaction and opens one only when there is an
 * offence to act on.
 */
static void
limits_tick(LifeguardTick *tick)
{
	TimestampTz now = tick->now;
	const LifeguardSlotCounts *counts = &tick->counts;
	LifeguardSession *sessions = tick->sessions;
	int			n = tick->nsessions;
	int			npolicies;
	const LifeguardPolicy *policies = lifeguard_tick_policies(&npolicies);

	int64		min_ms[LG_LIMIT_NTIME];
	bool		any = false;
	bool	   *matches;
	Offence    *offences;
	int		   *session_offence;
	int			noffences = 0;
	int			i;
	int			k;

	for (k = 0; k < LG_LIMIT_NTIME; k++)
	{
		min_ms[k] = -1;
		for (i = 0; i < npolicies; i++)
			if (policies[i].limit_ms[k] >= 0 &&
				(min_ms[k] < 0 || policies[i].limit_ms[k] < min_ms[k]))
				min_ms[k] = policies[i].limit_ms[k];
		any |= (min_ms[k] >= 0);
	}
	next_due = 0;
	if (!any || sessions == NULL)
	{
		acted.n = 0;
		return;
	}

	/* which policies each session matches, and its offences */
	matches = palloc(sizeof(bool) * Max(n * npolicies, 1));
	offences = palloc(sizeof(Offence) * Max(n, 1));
	session_offence = palloc(sizeof(int) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		LifeguardSession *s = &sessions[i];
		bool	   *m = &matches[i * npolicies];
		int			j;

		session_offence[i] = -1;

		for (j = 0; j < npolicies; j++)
			m[j] = lifeguard_policy_matches(&policies[j], s->roleid, s->dbid,
											s->appname);
		if (!s->tracked)
			continue;			/* track_activities is off for it */

		for (k = 0; k < LG_LIMIT_NTIME; k++)
		{
			TimestampTz since;
			int64		elapsed_ms;
			int			best;
			Offence		o;

			if (min_ms[k] < 0 || k == LG_LIMIT_BLOCKING)
				continue;
			since = limit_start(s, k);
			if (since == 0)
				continue;
			/* no limit of this kind can run out before the next tick */
			elapsed_ms = (now - since) / 1000;
			if (elapsed_ms + lifeguard_naptime < min_ms[k])
				continue;
			best = lifeguard_policy_strictest(policies, npolicies, m, k, false);
			if (best < 0)
				continue;
			if (elapsed_ms <= policies[best].limit_ms[k])
			{
				note_due(since, policies[best].limit_ms[k], now);
				continue;
			}

			o.session = s;
			o.limit = k;
			o.policy = best;
			o.since = since;
			o.elapsed_ms = elapsed_ms;
			o.blocked = 0;
			noffences = add_offence(offences, noffences, &session_offence[i],
									&o, policies);
		}
	}

	if (min_ms[LG_LIMIT_BLOCKING] >= 0 && counts->oldest_lock_wait != 0 &&
		(now - counts->oldest_lock_wait) / 1000 <= min_ms[LG_LIMIT_BLOCKING])
		note_due(counts->oldest_lock_wait, min_ms[LG_LIMIT_BLOCKING], now);
	else if (min_ms[LG_LIMIT_BLOCKING] >= 0 && counts->oldest_lock_wait != 0)
		noffences = find_blockers(sessions, n, policies, npolicies, matches,
								  offences, noffences, session_offence, now);

	for (i = 0; i < acted.n; i++)
		acted.entries[i].seen = false;

	if (noffences > 0)
	{
		StartTransactionCommand();
		if (lifeguard_lock_role_catalogs())
		{
			for (i = 0; i < noffences; i++)
			{
				Offence    *o = &offences[i];

				act(o, policies, npolicies,
					&matches[(o->session - sessions) * npolicies], now);
			}
		}
		else
		{
			/* try again next tick; forget nothing meanwhile */
			for (i = 0; i < acted.n; i++)
				acted.entries[i].seen = true;
		}
		CommitTransactionCommand();
	}

	/* forget the offences that are over */
	lifeguard_acted_keep(&acted, acted_seen, NULL);
}

/* Lock graphs the worker built since server start (worker_status()) */
uint64
lifeguard_lock_graphs_built(void)
{
	return Limits ? pg_atomic_read_u64(&Limits->lock_graphs) : 0;
}

static Size
limits_shmem_size(void)
{
	return add_size(offsetof(LimitState, reasons),
					mul_size(MaxConnections, sizeof(LifeguardReason)));
}

static void
limits_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	int			i;

	Limits = (LimitState *) ptr;
	if (!found)
	{
		pg_atomic_init_u64(&Limits->lock_graphs, 0);
		for (i = 0; i < MaxConnections; i++)
			SpinLockInit(&Limits->reasons[i].mutex);
	}
}

/*
 * The time limits and locks duty: statement, lock wait, idle in
 * transaction, transaction and blocking limits, each tick; the reasons a
 * signalled client is told, in shared memory.
 */
const LifeguardDuty lifeguard_limits_duty = {
	.name = "time limit duty",
	.shmem = {"pg_lifeguard limits", limits_shmem_size, 0, limits_shmem_attach},
	.install_hooks = limits_install_hooks,
	.tick = limits_tick,
	.uses_snapshot = true,
	.needs_sessions = limits_need_sessions,
	.next_due = limits_next_due,
};
