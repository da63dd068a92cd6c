/*-------------------------------------------------------------------------
 *
 * slots.c
 *		The slots duty, in the worker: slot events, the slot history, and
 *		idle shedding by policy.
 *
 * Each tick, on the counts the worker read (sessions.c), the duty records
 * each crossing of lifeguard.slot_warning / slot_critical as one event,
 * samples the slot history once a second (slots_int.h), and terminates
 * sessions idle past their policy's idle_timeout, or past shed_idle_after
 * while usage is at or above slot_warning.  The login hook is in login.c,
 * the SQL functions in slots_sql.c.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/acted.h"
#include "core/compat.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/xact.h"
#include "policy/policy.h"
#include "slots/slots.h"
#include "slots/slots_int.h"

SlotState  *Slots = NULL;

/* Going down a level needs usage this many points under its threshold */
#define LIFEGUARD_SLOT_HYSTERESIS_PCT	2.0

/* A session signalled for shedding is not counted again for this long */
#define LIFEGUARD_SHED_GRACE_MS			10000

/* Worker state */
static LifeguardLevel reported_status = LG_LEVEL_OK;
static TimestampTz last_sample_at = 0;

/*
 * Sessions the worker recently signalled (or reported, in dry run): one
 * entry per session, of kind LG_LIMIT_IDLE
 */
static LifeguardActedMemory shed_memory;

static int
threshold_of(LifeguardLevel status)
{
	return status == LG_LEVEL_CRITICAL ? lifeguard_slot_critical :
		lifeguard_slot_warning;
}

/*
 * One event per crossing of slot_warning / slot_critical, up or down.
 * Going up is immediate; going down needs usage a little under the
 * threshold, so that usage hovering at a threshold does not flap.
 */
static void
note_crossing(const LifeguardSlotCounts *c)
{
	LifeguardLevel now_status = c->status;
	LifeguardLevel previous = reported_status;

	if (now_status < previous &&
		c->used_pct > threshold_of(previous) - LIFEGUARD_SLOT_HYSTERESIS_PCT)
		return;					/* not far enough below yet */
	if (now_status == previous)
		return;
	reported_status = now_status;

	if (now_status == LG_LEVEL_CRITICAL)
		lifeguard_event_record(LG_EVENT_SLOT_CRITICAL, LG_SEVERITY_CRITICAL,
							   NULL, NULL, NULL,
							   "slot usage %.1f%% (%d of %d usable slots, %d free in all) reached lifeguard.slot_critical (%d%%)",
							   c->used_pct, c->used, c->usable,
							   c->max_connections - c->used,
							   lifeguard_slot_critical);
	else if (now_status == LG_LEVEL_WARNING)
		lifeguard_event_record(LG_EVENT_SLOT_WARNING, LG_SEVERITY_WARNING,
							   NULL, NULL, NULL,
							   "slot usage %.1f%% (%d of %d usable slots, %d free in all) %s lifeguard.slot_warning (%d%%)",
							   c->used_pct, c->used, c->usable,
							   c->max_connections - c->used,
							   previous == LG_LEVEL_CRITICAL ?
							   "is back under lifeguard.slot_critical, still at or above" :
							   "reached",
							   lifeguard_slot_warning);
	else
		lifeguard_event_record(LG_EVENT_SLOT_OK, LG_SEVERITY_INFO,
							   NULL, NULL, NULL,
							   "slot usage %.1f%% (%d of %d usable slots) is back under lifeguard.slot_warning (%d%%)",
							   c->used_pct, c->used, c->usable,
							   lifeguard_slot_warning);
}

static void
take_sample(const LifeguardSlotCounts *c, TimestampTz now)
{
	LifeguardSlotSample s;

	s.sampled_at = now;
	s.used = c->used;
	s.free = c->max_connections - c->used;
	s.active = c->active;
	s.idle = c->idle;
	s.idle_in_xact = c->idle_in_xact;
	s.waiting = c->waiting;
	s.authenticating = c->authenticating;
	s.usable = c->usable;
	s.status = c->status;

	LWLockAcquire(Slots->history_lock, LW_EXCLUSIVE);
	Slots->history[Slots->history_next % LIFEGUARD_HISTORY_SIZE] = s;
	Slots->history_next++;
	LWLockRelease(Slots->history_lock);
	last_sample_at = now;
}

/* Was this session signalled (or reported) recently? */
static bool
shed_remembered(const LifeguardSession *s)
{
	return lifeguard_acted_find(&shed_memory, s->pid, s->backend_start,
								LG_LIMIT_IDLE, 0) != NULL;
}

static void
shed_remember(const LifeguardSession *s, TimestampTz now, bool dry_run)
{
	LifeguardActed *a = lifeguard_acted_add(&shed_memory, s->pid,
											s->backend_start, LG_LIMIT_IDLE,
											0, now);

	a->dry_run = dry_run;
}

/* This tick's sessions, for shed_keep() */
typedef struct ShedTick
{
	const LifeguardSession *sessions;
	int			n;
	TimestampTz now;
} ShedTick;

/*
 * lifeguard_acted_keep(): a session only reported (dry run) stays
 * remembered while it lives and dry run lasts, so it is reported once, and
 * is forgotten as soon as dry run ends, so real shedding is not delayed.  A
 * signalled session is remembered for the grace period.  A session gone is
 * forgotten.
 */
static bool
shed_keep(const LifeguardActed *a, void *arg)
{
	const ShedTick *t = (const ShedTick *) arg;
	bool		alive = false;
	int			j;

	for (j = 0; j < t->n && !alive; j++)
		alive = (t->sessions[j].pid == a->pid &&
				 t->sessions[j].backend_start == a->backend_start);
	if (!alive)
		return false;
	return a->dry_run ?
		(lifeguard_dry_run || !lifeguard_enabled) :
		!TimestampDifferenceExceeds(a->at, t->now, LIFEGUARD_SHED_GRACE_MS);
}

/* Forget sessions that are gone, or past their grace (shed_keep()) */
static void
shed_forget(const LifeguardSession *sessions, int n, TimestampTz now)
{
	ShedTick	t = {sessions, n, now};

	lifeguard_acted_keep(&shed_memory, shed_keep, &t);
}

typedef struct ShedCandidate
{
	LifeguardSession *session;
	const bool *matches;		/* which policies match it */
	int64		idle_ms;
	int			policy;			/* index into the policy copy */
	bool		timed_out;		/* past idle_timeout (else: shed candidate) */
} ShedCandidate;

/*
 * The policy under which an idle session is to be shed, or -1: the
 * strictest binding idle_timeout it is past, else the strictest binding
 * shed_idle_after it is past (*timed_out says which).  "privileged": the
 * session is a superuser's or an admin's (only policies naming its role
 * bind it).
 */
static int
shed_policy(const LifeguardPolicy *policies, int npolicies, const bool *matches,
			int64 idle_ms, bool privileged, bool *timed_out)
{
	int			i;

	i = lifeguard_policy_strictest(policies, npolicies, matches,
								   LG_LIMIT_IDLE, privileged);
	*timed_out = true;
	if (i >= 0 && idle_ms > policies[i].limit_ms[LG_LIMIT_IDLE])
		return i;
	i = lifeguard_policy_strictest(policies, npolicies, matches,
								   LG_LIMIT_SHED_IDLE, privileged);
	*timed_out = false;
	if (i >= 0 && idle_ms > policies[i].limit_ms[LG_LIMIT_SHED_IDLE])
		return i;
	return -1;
}

static int
shed_cmp(const void *a, const void *b)
{
	int64		ia = ((const ShedCandidate *) a)->idle_ms;
	int64		ib = ((const ShedCandidate *) b)->idle_ms;

	return (ia < ib) - (ia > ib);	/* longest idle first */
}

/*
 * Right before signalling an idle session chosen for shedding, by the
 * worker or by shed_idle(): is it still the same session, idle since the
 * same moment?  One that has started a statement since it was chosen (or
 * ran one and is idle again) is left alone: it is not the idle session that
 * was chosen, and a signal now would end it in the middle of its work.
 * lifeguard.debug_shed_delay (tests only) first waits, opening the window
 * in which that happens.
 */
bool
lifeguard_slots_still_idle(const LifeguardSession *s)
{
	if (lifeguard_debug_shed_delay > 0)
	{
		ereport(LOG,
				(errmsg_internal("waiting %d ms (lifeguard.debug_shed_delay) before signalling process %d",
								 lifeguard_debug_shed_delay, s->pid)));
		lifeguard_sleep_ms(lifeguard_debug_shed_delay);
	}
	return lifeguard_session_unchanged(s);
}

/*
 * Terminate one idle session by policy (or report it, when not enforcing).
 * A superuser's or an admin's session only under a policy naming its role
 * (and, for shed_idle_after, only while "pressure" says more must go); a
 * session that is no longer idle by the time it would be signalled never.
 * Returns whether it counts as shed.  Caller is in a transaction (role
 * lookups).
 */
static bool
shed_one(ShedCandidate *cand, const LifeguardPolicy *policies, int npolicies,
		 const LifeguardSlotCounts *c, TimestampTz now, bool pressure)
{
	LifeguardSession *s = cand->session;
	const LifeguardPolicy *p = &policies[cand->policy];
	LifeguardEventSubject subject;
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	bool		superuser = superuser_arg(s->roleid);
	bool		timed_out = cand->timed_out;
	char		why[LIFEGUARD_DETAIL_LEN];

	/* a superuser's or admin's session: only policies naming its role */
	if (superuser || lifeguard_role_is_admin(s->roleid))
	{
		int			named = shed_policy(policies, npolicies, cand->matches,
										cand->idle_ms, true, &timed_out);

		if (named < 0 || (!timed_out && !pressure))
			return false;
		p = &policies[named];
	}

	if (timed_out)
		snprintf(why, sizeof(why),
				 "idle for %.1f s, longer than idle_timeout %.1f s",
				 cand->idle_ms / 1000.0,
				 p->limit_ms[LG_LIMIT_IDLE] / 1000.0);
	else
		snprintf(why, sizeof(why),
				 "idle for %.1f s (shed_idle_after %.1f s) while slot usage is %.1f%%, at or above lifeguard.slot_warning (%d%%)",
				 cand->idle_ms / 1000.0,
				 p->limit_ms[LG_LIMIT_SHED_IDLE] / 1000.0,
				 c->used_pct, lifeguard_slot_warning);

	if (enforce &&
		(!lifeguard_slots_still_idle(s) ||
		 lifeguard_signal_backend(s->pid, SIGTERM, s->roleid, superuser,
								  InvalidOid) != LG_SIGNAL_SENT))
		return false;

	lifeguard_session_subject(s, &subject);
	lifeguard_event_record(LG_EVENT_IDLE_SHED, LG_SEVERITY_WARNING,
						   &subject, p->name,
						   enforce ? "terminate" : "would_terminate",
						   "%s", why);
	shed_remember(s, now, !enforce);
	return true;
}

/*
 * Idle shedding by policy: terminate sessions idle past their idle_timeout
 * always, and, while usage is at or above slot_warning, the longest-idle
 * sessions past their shed_idle_after until usage is back under it.
 */
static void
shed_idle_sessions(LifeguardSession *sessions, int n,
				   const LifeguardSlotCounts *c,
				   const LifeguardPolicy *policies, int npolicies,
				   TimestampTz now)
{
	ShedCandidate *cands = palloc(sizeof(ShedCandidate) * Max(n, 1));
	bool	   *matches = palloc(sizeof(bool) * Max(n * npolicies, 1));
	int			ncands = 0;
	int			pending = 0;
	int			to_shed = 0;
	int			i;
	int			j;

	shed_forget(sessions, n, now);

	for (i = 0; i < n; i++)
	{
		LifeguardSession *s = &sessions[i];
		int64		idle_ms;
		bool	   *m;
		bool		timed_out;
		int			pol;

		if (s->state != LG_SESSION_IDLE || s->state_start == 0)
			continue;
		if (shed_remembered(s))
		{
			pending++;
			continue;
		}
		idle_ms = (now - s->state_start) / 1000;
		m = &matches[i * npolicies];
		for (j = 0; j < npolicies; j++)
			m[j] = lifeguard_policy_matches(&policies[j], s->roleid, s->dbid,
											s->appname);
		/* as if nobody were privileged; shed_one() asks */
		pol = shed_policy(policies, npolicies, m, idle_ms, false, &timed_out);
		if (pol < 0)
			continue;
		cands[ncands].session = s;
		cands[ncands].matches = m;
		cands[ncands].idle_ms = idle_ms;
		cands[ncands].policy = pol;
		cands[ncands].timed_out = timed_out;
		ncands++;
	}

	if (c->used_pct >= lifeguard_slot_warning && c->usable > 0)
	{
		/* the most sessions that keep usage under slot_warning */
		int			max_below = (int) ceil(lifeguard_slot_warning * c->usable / 100.0) - 1;

		to_shed = c->used - Max(max_below, 0) - pending;
	}

	if (ncands == 0)
		return;
	qsort(cands, ncands, sizeof(ShedCandidate), shed_cmp);

	StartTransactionCommand();
	if (!lifeguard_lock_role_catalogs())
		ncands = 0;				/* catalogs locked: next tick */
	for (i = 0; i < ncands; i++)
	{
		ShedCandidate *cand = &cands[i];

		if ((cand->timed_out || to_shed > 0) &&
			shed_one(cand, policies, npolicies, c, now, to_shed > 0))
			to_shed--;
	}
	CommitTransactionCommand();
}

/* Does any of these policies limit idle sessions? */
static bool
policies_limit_idle(const LifeguardPolicy *policies, int npolicies)
{
	int			i;

	for (i = 0; i < npolicies; i++)
		if (policies[i].limit_ms[LG_LIMIT_IDLE] >= 0 ||
			policies[i].limit_ms[LG_LIMIT_SHED_IDLE] >= 0)
			return true;
	return false;
}

/* Does this tick need the sessions, to shed idle ones? */
static bool
slots_need_sessions(void)
{
	int			n;
	const LifeguardPolicy *policies = lifeguard_tick_policies(&n);

	return policies_limit_idle(policies, n);
}

/*
 * The slots duty's tick, on the counts and sessions the tick read
 * (sessions is NULL when no policy needs them): one event per crossing of
 * slot_warning / slot_critical, a sample of the history once a second,
 * and idle shedding by policy.  Runs outside any transaction; idle
 * shedding opens one only when it has candidates.
 */
static void
slots_tick(LifeguardTick *tick)
{
	const LifeguardSlotCounts *c = &tick->counts;
	TimestampTz now = tick->now;
	const LifeguardPolicy *policies;
	int			npolicies;
	int			every;

	note_crossing(c);

	every = LIFEGUARD_HISTORY_EVERY_MS - Min(lifeguard_naptime, LIFEGUARD_HISTORY_EVERY_MS) / 2;
	if (TimestampDifferenceExceeds(last_sample_at, now, every))
		take_sample(c, now);

	policies = lifeguard_tick_policies(&npolicies);
	if (tick->sessions != NULL && policies_limit_idle(policies, npolicies))
		shed_idle_sessions(tick->sessions, tick->nsessions, c, policies,
						   npolicies, now);
}

static Size
slots_shmem_size(void)
{
	return sizeof(SlotState);
}

static void
slots_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	Slots = (SlotState *) ptr;
	if (!found)
	{
		Slots->history_lock = &locks[0].lock;
		pg_atomic_init_u64(&Slots->login_calls, 0);
		pg_atomic_init_u64(&Slots->login_ns, 0);
	}
}

/*
 * The slots duty: the login hook (login.c), the slot history and the
 * login hook's cost in shared memory, and each tick the slot events, the
 * history sample and idle shedding.
 */
const LifeguardDuty lifeguard_slots_duty = {
	.name = "slot duty",
	.shmem = {"pg_lifeguard slots", slots_shmem_size, 1, slots_shmem_attach},
	.install_hooks = lifeguard_slots_install_hooks,
	.tick = slots_tick,
	.uses_snapshot = true,
	.needs_sessions = slots_need_sessions,
};
