/*-------------------------------------------------------------------------
 *
 * slots.c
 *		Connection slots: who holds them, the emergency admin reserve,
 *		per-class caps at login, and idle shedding.
 *
 * Counting slots and sessions is in sessions.c.
 *
 * The login hook (ClientAuthentication_hook) runs in every new client
 * backend after authentication succeeded, before PostgreSQL's own
 * superuser_reserved_connections check (../shared/PG15-NOTES.md):
 *
 *	1. Admin reserve: when fewer than superuser_reserved_connections +
 *	   lifeguard.reserved_admin_slots PGPROCs are free, a login that is not
 *	   a superuser's nor an admin's is refused.  An admin then still passes
 *	   PostgreSQL's own check, which only keeps the last
 *	   superuser_reserved_connections slots.  Only under that pressure is
 *	   role membership looked at, through the syscache (privileges.c).
 *	2. Caps: under policy_lock, the session checks the cap of every policy
 *	   it matches and counts itself in each, all in one critical section,
 *	   so simultaneous logins cannot overshoot.  A before_shmem_exit
 *	   callback uncounts it.  Superusers and admins are not refused by a cap
 *	   unless the policy names their role.
 *
 * The worker's slot tick (lifeguard_slots_tick) counts slots, records each
 * crossing of slot_warning / slot_critical as one event, samples the slot
 * history once a second, and sheds idle sessions by policy.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "common/ip.h"
#include "funcapi.h"
#include "libpq/auth.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/postmaster.h"
#include "replication/walsender.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "core/lifeguard.h"
#include "events/events.h"
#include "policy/policy.h"
#include "core/shmem.h"
#include "slots/slots.h"

PG_FUNCTION_INFO_V1(lifeguard_slots);
PG_FUNCTION_INFO_V1(lifeguard_slot_usage);
PG_FUNCTION_INFO_V1(lifeguard_slot_history);
PG_FUNCTION_INFO_V1(lifeguard_shed_idle);

/* PostgreSQL 16's HaveNFreeProcs() also reports the count it found */
#if PG_VERSION_NUM >= 160000
static int	lg_nfree;

#define lg_have_free_procs(n)	HaveNFreeProcs((n), &lg_nfree)
#else
#define lg_have_free_procs(n)	HaveNFreeProcs(n)
#endif

/* Going down a level needs usage this many points under its threshold */
#define LIFEGUARD_SLOT_HYSTERESIS_PCT	2.0

/* A session signalled for shedding is not counted again for this long */
#define LIFEGUARD_SHED_GRACE_MS			10000
#define LIFEGUARD_SHED_MEMORY			1024

#define SLOTS_COLS			13
#define SLOT_USAGE_COLS		8
#define SLOT_HISTORY_COLS	10
#define SHED_IDLE_COLS		7

static ClientAuthentication_hook_type prev_client_auth_hook = NULL;
static bool uncount_registered = false;

/* Worker state */
static LifeguardSlotStatus reported_status = LG_SLOTS_OK;
static TimestampTz last_sample_at = 0;

/* Sessions the worker recently signalled (or reported, in dry run) */
typedef struct ShedMemory
{
	int			pid;
	TimestampTz backend_start;
	TimestampTz at;
	bool		dry_run;		/* only reported, not signalled */
} ShedMemory;

static ShedMemory shed_memory[LIFEGUARD_SHED_MEMORY];
static int	shed_memory_len = 0;

/* ----------------------------------------------------------------
 * The login hook
 * ----------------------------------------------------------------
 */

/*
 * Record a refusal (or, when not enforcing, a refusal that would have
 * happened) as an event, and return whether to enforce it.  A login storm
 * is held to lifeguard.event_burst events per kind, policy and role by the
 * event rate limit (events.c), which counts every refusal and records what
 * it held back as a summary event; so a refusal under one policy is never
 * hidden behind another policy's storm.
 */
static bool
report_refusal(LifeguardEventKind kind, const char *policy, Port *port,
			   const char *detail)
{
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	LifeguardEventSubject subject;

	subject.pid = MyProcPid;
	subject.role = port->user_name;
	subject.database = port->database_name;
	subject.application_name = port->application_name;
	lifeguard_event_record(kind, LG_SEVERITY_WARNING, &subject, policy,
						   enforce ? "refuse" : "would_refuse",
						   "%s", detail);
	return enforce;
}

/*
 * The admin reserve: see the file header.
 */
static void
check_admin_reserve(Port *port, Oid roleid)
{
	int			reserve = lifeguard_reserved_admin_slots;
	char		detail[LIFEGUARD_DETAIL_LEN];

	if (reserve <= 0 || lg_have_free_procs(LG_SUPERUSER_RESERVED + reserve))
		return;
	if (superuser_arg(roleid) || lifeguard_role_is_admin(roleid))
		return;

	snprintf(detail, sizeof(detail),
			 "login of role \"%s\" refused: fewer than %d free slots remain, kept for emergency admin access",
			 port->user_name, LG_SUPERUSER_RESERVED + reserve);
	if (!report_refusal(LG_EVENT_LOGIN_REFUSED, NULL, port, detail))
		return;

	ereport(FATAL,
			(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
			 errmsg("remaining connection slots are reserved for emergency admin access"),
			 errdetail_plural("pg_lifeguard keeps %d connection slot (lifeguard.reserved_admin_slots) free for superusers and members of lifeguard.admin_roles.",
							  "pg_lifeguard keeps %d connection slots (lifeguard.reserved_admin_slots) free for superusers and members of lifeguard.admin_roles.",
							  reserve,
							  reserve)));
}

/*
 * before_shmem_exit callback: uncount this session from its policies.
 */
static void
uncount_session(int code, Datum arg)
{
	LifeguardBackendEntry *e;
	int			i;

	if (MyProc == NULL || LifeguardState == NULL)
		return;
	e = &LifeguardBackends[MyProc->pgprocno];

	LWLockAcquire(LifeguardState->policy_lock, LW_EXCLUSIVE);
	if (e->pid == MyProcPid)
	{
		if (e->generation == LifeguardState->policy_generation)
		{
			for (i = 0; i < LifeguardState->npolicies; i++)
				if (e->counted[i / 64] & (UINT64CONST(1) << (i % 64)))
					LifeguardState->policy_connections[i]--;
		}
		memset(e, 0, sizeof(LifeguardBackendEntry));
	}
	LWLockRelease(LifeguardState->policy_lock);
}

/*
 * OID of the database the session asked for, or InvalidOid.  The session
 * has not chosen its database yet, so this must read pg_database the way
 * InitPostgres() itself does: through its index only once the critical
 * shared relcache entries are built.  They are not while there is no
 * shared relcache init file (global/pg_internal.init): after initdb, at
 * server start, and whenever an invalidation of a shared catalog removes
 * it (autovacuum of a shared catalog does, in production).  Opening the
 * index then reads pg_class, which fails without a database ("cannot read
 * pg_class without having selected a database"), and since a refused login
 * writes no init file, every login would be refused until some other
 * process wrote one.  get_database_oid() always uses the index.
 */
static Oid
database_oid_at_login(const char *dbname)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			dbid = InvalidOid;

	ScanKeyInit(&key,
				Anum_pg_database_datname,
				BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(dbname));
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = systable_beginscan(rel, DatabaseNameIndexId,
							  criticalSharedRelcachesBuilt, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		dbid = ((Form_pg_database) GETSTRUCT(tup))->oid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return dbid;
}

/*
 * Caps: count this session in every policy it matches, unless that would
 * exceed the cap of one that applies to it.  See the file header.
 */
static void
count_session(Port *port, Oid roleid, const char *appname)
{
	LifeguardShared *s = LifeguardState;
	LifeguardBackendEntry *e = &LifeguardBackends[MyProc->pgprocno];
	Oid			dbid = InvalidOid;
	bool		dbid_known = false;
	bool		exempt = false;
	bool		exempt_known = false;
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	char		policy[NAMEDATALEN];
	char		detail[LIFEGUARD_DETAIL_LEN];
	int			cap = 0;
	int			in_use = 0;
	int			violated;
	int			i;

	if (!uncount_registered)
	{
		before_shmem_exit(uncount_session, (Datum) 0);
		uncount_registered = true;
	}

retry:
	violated = -1;
	LWLockAcquire(s->policy_lock, LW_EXCLUSIVE);
	if (s->policies_need_database && !dbid_known)
	{
		/* a policy matches on database: look ours up, not under the lock */
		LWLockRelease(s->policy_lock);
		dbid = database_oid_at_login(port->database_name);
		dbid_known = true;
		goto retry;
	}
	memset(e, 0, sizeof(LifeguardBackendEntry));
	e->roleid = roleid;
	e->dbid = dbid;
	strlcpy(e->appname, appname, NAMEDATALEN);

	for (i = 0; i < s->npolicies; i++)
	{
		LifeguardPolicy *p = &s->policies[i];

		if (!lifeguard_policy_matches(p, roleid, dbid, appname))
			continue;
		e->counted[i / 64] |= UINT64CONST(1) << (i % 64);
		if (violated >= 0 || p->max_connections < 0 ||
			s->policy_connections[i] < p->max_connections)
			continue;
		if (!p->has_role && !exempt_known)
		{
			/* is this an admin?  Find out without holding the lock */
			LWLockRelease(s->policy_lock);
			exempt = superuser_arg(roleid) || lifeguard_role_is_admin(roleid);
			exempt_known = true;
			goto retry;
		}
		if (p->has_role || !exempt)
		{
			violated = i;
			strlcpy(policy, p->name, NAMEDATALEN);
			cap = p->max_connections;
			in_use = s->policy_connections[i];
		}
	}

	if (violated >= 0 && enforce)
		memset(e, 0, sizeof(LifeguardBackendEntry));
	else
	{
		for (i = 0; i < s->npolicies; i++)
			if (e->counted[i / 64] & (UINT64CONST(1) << (i % 64)))
				s->policy_connections[i]++;
		e->generation = s->policy_generation;
		e->pid = MyProcPid;
	}
	LWLockRelease(s->policy_lock);

	if (violated < 0)
		return;

	snprintf(detail, sizeof(detail),
			 "login of role \"%s\" refused: policy \"%s\" allows %d connections and %d are in use",
			 port->user_name, policy, cap, in_use);
	if (!report_refusal(LG_EVENT_CAP_REFUSED, policy, port, detail))
		return;

	ereport(FATAL,
			(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
			 errmsg("too many connections for pg_lifeguard policy \"%s\"",
					policy),
			 errdetail_plural("The policy allows %d connection and it is in use.",
							  "The policy allows %d connections and all are in use.",
							  cap,
							  cap)));
}

/*
 * ClientAuthentication_hook.
 */
static void
lifeguard_client_authentication(Port *port, int status)
{
	Oid			roleid;
	instr_time	start;
	instr_time	elapsed;

	if (prev_client_auth_hook)
		prev_client_auth_hook(port, status);

	if (status != STATUS_OK || am_walsender || LifeguardState == NULL ||
		MyProc == NULL || MyProc->pgprocno >= MaxConnections)
		return;

	INSTR_TIME_SET_CURRENT(start);

	roleid = get_role_oid(port->user_name, true);
	if (!OidIsValid(roleid))
		return;					/* PostgreSQL refuses it itself */

	check_admin_reserve(port, roleid);
	count_session(port, roleid,
				  port->application_name ? port->application_name : "");

	/* what the hook cost this login (refused ones never get here) */
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	pg_atomic_fetch_add_u64(&LifeguardState->login_hook_calls, 1);
	pg_atomic_fetch_add_u64(&LifeguardState->login_hook_ns,
							(uint64) (INSTR_TIME_GET_DOUBLE(elapsed) * 1e9));
}

void
lifeguard_slots_install_hooks(void)
{
	prev_client_auth_hook = ClientAuthentication_hook;
	ClientAuthentication_hook = lifeguard_client_authentication;
}

/* ----------------------------------------------------------------
 * SQL: slots(), slot_usage(), slot_history()
 * ----------------------------------------------------------------
 */

/* numeric datum of pct rounded to one decimal */
static Datum
pct_numeric(double pct)
{
	return DirectFunctionCall2(numeric_round,
							   DirectFunctionCall1(float8_numeric,
												   Float8GetDatum(pct)),
							   Int32GetDatum(1));
}

/*
 * lifeguard.slots(): one row, the whole server's client slots now.
 */
Datum
lifeguard_slots(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	LifeguardSlotCounts c;
	Datum		values[SLOTS_COLS];
	bool		nulls[SLOTS_COLS];

	lifeguard_require_monitor("slots");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	lifeguard_collect_sessions(NULL, &c);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(c.max_connections);
	values[1] = Int32GetDatum(c.superuser_reserved);
	values[2] = Int32GetDatum(c.admin_reserved);
	values[3] = Int32GetDatum(c.usable);
	values[4] = Int32GetDatum(c.used);
	values[5] = Int32GetDatum(c.max_connections - c.used);
	values[6] = pct_numeric(c.used_pct);
	values[7] = Int32GetDatum(c.active);
	values[8] = Int32GetDatum(c.idle);
	values[9] = Int32GetDatum(c.idle_in_xact);
	values[10] = Int32GetDatum(c.waiting);
	values[11] = Int32GetDatum(c.authenticating);
	values[12] = CStringGetTextDatum(lifeguard_slot_status_name(c.status));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Client address as text: "local" for a Unix socket, the numeric address
 * otherwise, NULL when there is none.
 */
static char *
format_client_addr(const SockAddr *addr)
{
	char		host[NI_MAXHOST];
	int			family = addr->addr.ss_family;

	if (addr->salen == 0)
		return NULL;
#ifdef HAVE_UNIX_SOCKETS
	if (family == AF_UNIX)
		return pstrdup("local");
#endif
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	if (pg_getnameinfo_all(&addr->addr, addr->salen, host, sizeof(host),
						   NULL, 0, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return NULL;
	clean_ipv6_addr(family, host);
	return pstrdup(host);
}

typedef enum SlotGroupBy
{
	GROUP_ROLE,
	GROUP_DATABASE,
	GROUP_APPLICATION,
	GROUP_CLIENT_ADDR,
	GROUP_STATE
} SlotGroupBy;

typedef struct KeyedSession
{
	char	   *key;			/* NULL sorts last */
	LifeguardSession *session;
} KeyedSession;

typedef struct SlotGroup
{
	char	   *key;
	int			count;
	int			by_state[4];
	TimestampTz oldest_start;
	int64		longest_idle_us;	/* -1: none idle */
} SlotGroup;

static int
keyed_cmp(const void *a, const void *b)
{
	const char *ka = ((const KeyedSession *) a)->key;
	const char *kb = ((const KeyedSession *) b)->key;

	if (ka == NULL || kb == NULL)
		return (ka == NULL) - (kb == NULL);
	return strcmp(ka, kb);
}

static int
group_cmp(const void *a, const void *b)
{
	const SlotGroup *ga = (const SlotGroup *) a;
	const SlotGroup *gb = (const SlotGroup *) b;

	if (ga->count != gb->count)
		return gb->count - ga->count;
	if (ga->key == NULL || gb->key == NULL)
		return (ga->key == NULL) - (gb->key == NULL);
	return strcmp(ga->key, gb->key);
}

static char *
session_key(LifeguardSession *s, SlotGroupBy by)
{
	switch (by)
	{
		case GROUP_ROLE:
			return GetUserNameFromId(s->roleid, true);
		case GROUP_DATABASE:
			return OidIsValid(s->dbid) ? get_database_name(s->dbid) : NULL;
		case GROUP_APPLICATION:
			return pstrdup(s->appname);
		case GROUP_CLIENT_ADDR:
			return format_client_addr(&s->client_addr);
		case GROUP_STATE:
			return pstrdup(lifeguard_session_state_name(s->state));
	}
	return NULL;
}

/*
 * lifeguard.slot_usage(group_by text DEFAULT 'role'): sessions grouped by
 * role, database, application, client_addr or state, most first.
 */
Datum
lifeguard_slot_usage(PG_FUNCTION_ARGS)
{
	static const char *const valid = "role, database, application, client_addr, state";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LifeguardSession *sessions;
	LifeguardSlotCounts c;
	KeyedSession *keyed;
	SlotGroup  *groups;
	SlotGroupBy by;
	TimestampTz now = GetCurrentTimestamp();
	char	   *group_by;
	int			ngroups = 0;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("group_by must not be NULL"),
				 errhint("Valid values are: %s.", valid)));
	group_by = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (pg_strcasecmp(group_by, "role") == 0)
		by = GROUP_ROLE;
	else if (pg_strcasecmp(group_by, "database") == 0)
		by = GROUP_DATABASE;
	else if (pg_strcasecmp(group_by, "application") == 0)
		by = GROUP_APPLICATION;
	else if (pg_strcasecmp(group_by, "client_addr") == 0)
		by = GROUP_CLIENT_ADDR;
	else if (pg_strcasecmp(group_by, "state") == 0)
		by = GROUP_STATE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown group_by \"%s\"",
						lifeguard_name_for_message(group_by)),
				 errhint("Valid values are: %s.", valid)));

	lifeguard_require_monitor("slot_usage");
	InitMaterializedSRF(fcinfo, 0);

	n = lifeguard_collect_sessions(&sessions, &c);
	keyed = palloc(sizeof(KeyedSession) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		keyed[i].key = session_key(&sessions[i], by);
		keyed[i].session = &sessions[i];
	}
	qsort(keyed, n, sizeof(KeyedSession), keyed_cmp);

	groups = palloc(sizeof(SlotGroup) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		LifeguardSession *s = keyed[i].session;
		SlotGroup  *g;

		if (i == 0 || keyed_cmp(&keyed[i - 1], &keyed[i]) != 0)
		{
			g = &groups[ngroups++];
			memset(g, 0, sizeof(SlotGroup));
			g->key = keyed[i].key;
			g->oldest_start = s->backend_start;
			g->longest_idle_us = -1;
		}
		g = &groups[ngroups - 1];
		g->count++;
		g->by_state[s->state]++;
		if (s->backend_start < g->oldest_start)
			g->oldest_start = s->backend_start;
		if (s->state == LG_SESSION_IDLE && s->state_start != 0)
			g->longest_idle_us = Max(g->longest_idle_us,
									 Max(now - s->state_start, 0));
	}
	qsort(groups, ngroups, sizeof(SlotGroup), group_cmp);

	for (i = 0; i < ngroups; i++)
	{
		SlotGroup  *g = &groups[i];
		Datum		values[SLOT_USAGE_COLS];
		bool		nulls[SLOT_USAGE_COLS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = g->key ? CStringGetTextDatum(g->key) : (Datum) 0;
		nulls[0] = (g->key == NULL);
		values[1] = Int32GetDatum(g->count);
		values[2] = Int32GetDatum(g->by_state[LG_SESSION_ACTIVE]);
		values[3] = Int32GetDatum(g->by_state[LG_SESSION_IDLE]);
		values[4] = Int32GetDatum(g->by_state[LG_SESSION_IDLE_IN_XACT]);
		values[5] = Int32GetDatum(g->by_state[LG_SESSION_WAITING]);
		values[6] = TimestampTzGetDatum(g->oldest_start);
		nulls[6] = (g->oldest_start == 0);
		if (g->longest_idle_us >= 0)
		{
			Interval   *iv = palloc0(sizeof(Interval));

			iv->time = g->longest_idle_us;
			values[7] = IntervalPGetDatum(iv);
		}
		else
			nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	PG_RETURN_VOID();
}

/*
 * Microseconds in an interval, counting a month as 30 days; saturates
 * instead of overflowing.
 */
static double
interval_us(const Interval *iv)
{
	return (double) iv->time +
		(double) iv->day * USECS_PER_DAY +
		(double) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

/*
 * lifeguard.slot_history(since interval DEFAULT '1 hour'): the samples the
 * worker took in the last "since", oldest first.
 */
Datum
lifeguard_slot_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LifeguardSlotSample *copy;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz cutoff;
	double		since_us;
	uint64		last;
	uint64		first;
	uint64		seq;
	int			n = 0;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("since must not be NULL"),
				 errhint("Pass an interval such as '15 minutes'.")));
	since_us = interval_us(PG_GETARG_INTERVAL_P(0));
	if (since_us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since must not be negative")));

	lifeguard_require_monitor("slot_history");
	InitMaterializedSRF(fcinfo, 0);

	cutoff = (since_us >= (double) (now - PG_INT64_MIN / 2)) ?
		DT_NOBEGIN : now - (TimestampTz) since_us;

	copy = palloc(sizeof(LifeguardSlotSample) * LIFEGUARD_HISTORY_SIZE);
	LWLockAcquire(LifeguardState->history_lock, LW_SHARED);
	last = LifeguardState->history_next;
	first = last > LIFEGUARD_HISTORY_SIZE ? last - LIFEGUARD_HISTORY_SIZE : 0;
	for (seq = first; seq < last; seq++)
		copy[n++] = LifeguardState->history[seq % LIFEGUARD_HISTORY_SIZE];
	LWLockRelease(LifeguardState->history_lock);

	for (i = 0; i < n; i++)
	{
		LifeguardSlotSample *s = &copy[i];
		Datum		values[SLOT_HISTORY_COLS];
		bool		nulls[SLOT_HISTORY_COLS];

		if (s->sampled_at < cutoff)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = TimestampTzGetDatum(s->sampled_at);
		values[1] = Int32GetDatum(s->used);
		values[2] = Int32GetDatum(s->free);
		values[3] = pct_numeric(s->usable > 0 ? 100.0 * s->used / s->usable : 100.0);
		values[4] = Int32GetDatum(s->active);
		values[5] = Int32GetDatum(s->idle);
		values[6] = Int32GetDatum(s->idle_in_xact);
		values[7] = Int32GetDatum(s->waiting);
		values[8] = Int32GetDatum(s->authenticating);
		values[9] = CStringGetTextDatum(lifeguard_slot_status_name(s->status));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	PG_RETURN_VOID();
}

/* ----------------------------------------------------------------
 * The worker's slot tick
 * ----------------------------------------------------------------
 */

static int
threshold_of(LifeguardSlotStatus status)
{
	return status == LG_SLOTS_CRITICAL ? lifeguard_slot_critical :
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
	LifeguardSlotStatus now_status = c->status;
	LifeguardSlotStatus previous = reported_status;

	if (now_status < previous &&
		c->used_pct > threshold_of(previous) - LIFEGUARD_SLOT_HYSTERESIS_PCT)
		return;					/* not far enough below yet */
	if (now_status == previous)
		return;
	reported_status = now_status;

	if (now_status == LG_SLOTS_CRITICAL)
		lifeguard_event_record(LG_EVENT_SLOT_CRITICAL, LG_SEVERITY_CRITICAL,
							   NULL, NULL, NULL,
							   "slot usage %.1f%% (%d of %d usable slots, %d free in all) reached lifeguard.slot_critical (%d%%)",
							   c->used_pct, c->used, c->usable,
							   c->max_connections - c->used,
							   lifeguard_slot_critical);
	else if (now_status == LG_SLOTS_WARNING)
		lifeguard_event_record(LG_EVENT_SLOT_WARNING, LG_SEVERITY_WARNING,
							   NULL, NULL, NULL,
							   "slot usage %.1f%% (%d of %d usable slots, %d free in all) %s lifeguard.slot_warning (%d%%)",
							   c->used_pct, c->used, c->usable,
							   c->max_connections - c->used,
							   previous == LG_SLOTS_CRITICAL ?
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

	LWLockAcquire(LifeguardState->history_lock, LW_EXCLUSIVE);
	LifeguardState->history[LifeguardState->history_next % LIFEGUARD_HISTORY_SIZE] = s;
	LifeguardState->history_next++;
	LWLockRelease(LifeguardState->history_lock);
	last_sample_at = now;
}

/* Was this session signalled (or reported) recently? */
static bool
shed_remembered(const LifeguardSession *s)
{
	int			i;

	for (i = 0; i < shed_memory_len; i++)
		if (shed_memory[i].pid == s->pid &&
			shed_memory[i].backend_start == s->backend_start)
			return true;
	return false;
}

static void
shed_remember(const LifeguardSession *s, TimestampTz now, bool dry_run)
{
	if (shed_memory_len >= LIFEGUARD_SHED_MEMORY)
		return;
	shed_memory[shed_memory_len].pid = s->pid;
	shed_memory[shed_memory_len].backend_start = s->backend_start;
	shed_memory[shed_memory_len].at = now;
	shed_memory[shed_memory_len].dry_run = dry_run;
	shed_memory_len++;
}

/*
 * Forget sessions that are gone.  A session only reported (dry run) stays
 * remembered while it lives and dry run lasts, so it is reported once, and
 * is forgotten as soon as dry run ends, so real shedding is not delayed.  A
 * signalled session is remembered for the grace period.
 */
static void
shed_forget(const LifeguardSession *sessions, int n, TimestampTz now)
{
	int			kept = 0;
	int			i;
	int			j;

	for (i = 0; i < shed_memory_len; i++)
	{
		bool		alive = false;

		for (j = 0; j < n && !alive; j++)
			alive = (sessions[j].pid == shed_memory[i].pid &&
					 sessions[j].backend_start == shed_memory[i].backend_start);
		if (!alive)
			continue;
		if (shed_memory[i].dry_run ?
			(lifeguard_dry_run || !lifeguard_enabled) :
			!TimestampDifferenceExceeds(shed_memory[i].at, now,
										LIFEGUARD_SHED_GRACE_MS))
			shed_memory[kept++] = shed_memory[i];
	}
	shed_memory_len = kept;
}

typedef struct ShedCandidate
{
	LifeguardSession *session;
	int64		idle_ms;
	int			policy;			/* index into the policy copy */
	bool		timed_out;		/* past idle_timeout (else: shed candidate) */
} ShedCandidate;

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
static bool
still_idle(const LifeguardSession *s)
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
 * Superusers and admins are never touched, nor a session that is no longer
 * idle by the time it would be signalled.  Returns whether it counts as
 * shed.  Caller is in a transaction (role lookups).
 */
static bool
shed_one(ShedCandidate *cand, const LifeguardPolicy *p,
		 const LifeguardSlotCounts *c, TimestampTz now)
{
	LifeguardSession *s = cand->session;
	LifeguardEventSubject subject;
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	char		why[LIFEGUARD_DETAIL_LEN];

	if (superuser_arg(s->roleid) || lifeguard_role_is_admin(s->roleid))
		return false;

	if (cand->timed_out)
		snprintf(why, sizeof(why),
				 "idle for %.1f s, longer than idle_timeout %.1f s",
				 cand->idle_ms / 1000.0, p->idle_timeout_ms / 1000.0);
	else
		snprintf(why, sizeof(why),
				 "idle for %.1f s (shed_idle_after %.1f s) while slot usage is %.1f%%, at or above lifeguard.slot_warning (%d%%)",
				 cand->idle_ms / 1000.0, p->shed_idle_after_ms / 1000.0,
				 c->used_pct, lifeguard_slot_warning);

	if (enforce &&
		(!still_idle(s) ||
		 lifeguard_signal_backend(s->pid, SIGTERM, s->roleid, false,
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
		int			tpol = -1;
		int			spol = -1;

		if (s->state != LG_SESSION_IDLE || s->state_start == 0)
			continue;
		if (shed_remembered(s))
		{
			pending++;
			continue;
		}
		idle_ms = (now - s->state_start) / 1000;
		for (j = 0; j < npolicies; j++)
		{
			const LifeguardPolicy *p = &policies[j];

			if (!lifeguard_policy_matches(p, s->roleid, s->dbid, s->appname))
				continue;
			if (p->idle_timeout_ms >= 0 &&
				(tpol < 0 || p->idle_timeout_ms < policies[tpol].idle_timeout_ms))
				tpol = j;
			if (p->shed_idle_after_ms >= 0 &&
				(spol < 0 || p->shed_idle_after_ms < policies[spol].shed_idle_after_ms))
				spol = j;
		}
		if (tpol >= 0 && idle_ms > policies[tpol].idle_timeout_ms)
		{
			cands[ncands].session = s;
			cands[ncands].idle_ms = idle_ms;
			cands[ncands].policy = tpol;
			cands[ncands].timed_out = true;
			ncands++;
		}
		else if (spol >= 0 && idle_ms > policies[spol].shed_idle_after_ms)
		{
			cands[ncands].session = s;
			cands[ncands].idle_ms = idle_ms;
			cands[ncands].policy = spol;
			cands[ncands].timed_out = false;
			ncands++;
		}
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

		if (cand->timed_out)
		{
			if (shed_one(cand, &policies[cand->policy], c, now))
				to_shed--;
		}
		else if (to_shed > 0)
		{
			if (shed_one(cand, &policies[cand->policy], c, now))
				to_shed--;
		}
	}
	CommitTransactionCommand();
}

/* Does any of these policies limit idle sessions? */
bool
lifeguard_policies_limit_idle(const LifeguardPolicy *policies, int npolicies)
{
	int			i;

	for (i = 0; i < npolicies; i++)
		if (policies[i].idle_timeout_ms >= 0 ||
			policies[i].shed_idle_after_ms >= 0)
			return true;
	return false;
}

/*
 * The worker's slot work for one tick, on the counts and sessions the tick
 * read (sessions is NULL when no policy needs them).  Runs outside any
 * transaction; idle shedding opens one only when it has candidates.
 */
void
lifeguard_slots_tick(TimestampTz now, const LifeguardSlotCounts *c,
					 LifeguardSession *sessions, int n,
					 const LifeguardPolicy *policies, int npolicies)
{
	int			every;

	note_crossing(c);

	every = LIFEGUARD_HISTORY_EVERY_MS - Min(lifeguard_naptime, LIFEGUARD_HISTORY_EVERY_MS) / 2;
	if (TimestampDifferenceExceeds(last_sample_at, now, every))
		take_sample(c, now);

	if (sessions != NULL && lifeguard_policies_limit_idle(policies, npolicies))
		shed_idle_sessions(sessions, n, c, policies, npolicies, now);
}

/* ----------------------------------------------------------------
 * SQL: shed_idle()
 * ----------------------------------------------------------------
 */

static int
session_idle_cmp(const void *a, const void *b)
{
	TimestampTz ta = (*(LifeguardSession *const *) a)->state_start;
	TimestampTz tb = (*(LifeguardSession *const *) b)->state_start;

	return (ta > tb) - (ta < tb);	/* idle since earliest first */
}

/*
 * lifeguard.shed_idle(older_than, role_name, application_name, dry_run):
 * terminate (or, with dry_run, list) the idle sessions idle for at least
 * older_than, of role_name and LIKE application_name when given, that the
 * caller may terminate by pg_terminate_backend's rules.  Superusers' and
 * admins' sessions are never shed.  Longest idle first.
 */
Datum
lifeguard_shed_idle(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	Oid			only_role = InvalidOid;
	char	   *app_pattern = NULL;
	bool		dry_run;
	double		older_us;
	LifeguardSession *sessions;
	LifeguardSession **idle;
	LifeguardSlotCounts c;
	TimestampTz now = GetCurrentTimestamp();
	int			nidle = 0;
	bool		all_stats;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be NULL"),
				 errhint("Pass an interval such as '10 minutes'.")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("dry_run must not be NULL")));
	older_us = interval_us(PG_GETARG_INTERVAL_P(0));
	if (older_us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative")));
	if (!PG_ARGISNULL(1))
	{
		char	   *role_name = text_to_cstring(PG_GETARG_TEXT_PP(1));

		only_role = get_role_oid(role_name, true);
		if (!OidIsValid(only_role))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role \"%s\" does not exist",
							lifeguard_name_for_message(role_name))));
	}
	if (!PG_ARGISNULL(2))
		app_pattern = text_to_cstring(PG_GETARG_TEXT_PP(2));
	dry_run = PG_GETARG_BOOL(3);

	InitMaterializedSRF(fcinfo, 0);

	all_stats = has_privs_of_role(caller, ROLE_PG_READ_ALL_STATS);
	n = lifeguard_collect_sessions(&sessions, &c);
	idle = palloc(sizeof(LifeguardSession *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		LifeguardSession *s = &sessions[i];

		if (s->state != LG_SESSION_IDLE || s->state_start == 0 ||
			s->pid == MyProcPid ||
			(double) (now - s->state_start) < older_us)
			continue;
		if (OidIsValid(only_role) && s->roleid != only_role)
			continue;
		if (app_pattern && !lifeguard_like_match(s->appname, app_pattern))
			continue;
		if (superuser_arg(s->roleid) || lifeguard_role_is_admin(s->roleid))
			continue;
		if (!has_privs_of_role(caller, s->roleid) &&
			!has_privs_of_role(caller, ROLE_PG_SIGNAL_BACKEND))
			continue;
		idle[nidle++] = s;
	}
	qsort(idle, nidle, sizeof(LifeguardSession *), session_idle_cmp);

	for (i = 0; i < nidle; i++)
	{
		LifeguardSession *s = idle[i];
		Datum		values[SHED_IDLE_COLS];
		bool		nulls[SHED_IDLE_COLS];
		char	   *role = GetUserNameFromId(s->roleid, true);
		char	   *db = OidIsValid(s->dbid) ? get_database_name(s->dbid) : NULL;
		char	   *addr = format_client_addr(&s->client_addr);
		Interval   *idle_for = palloc0(sizeof(Interval));
		bool		terminated = false;

		if (!dry_run && !lifeguard_dry_run && still_idle(s) &&
			lifeguard_signal_backend(s->pid, SIGTERM, s->roleid, false,
									 caller) == LG_SIGNAL_SENT)
		{
			LifeguardEventSubject subject = {s->pid, role, db, s->appname};

			terminated = true;
			lifeguard_event_record(LG_EVENT_IDLE_SHED, LG_SEVERITY_WARNING,
								   &subject, NULL, "terminate",
								   "idle for %.1f s, terminated by lifeguard.shed_idle() called by role \"%s\"",
								   (now - s->state_start) / 1000000.0,
								   GetUserNameFromId(caller, false));
		}

		idle_for->time = now - s->state_start;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(s->pid);
		values[1] = role ? CStringGetTextDatum(role) : (Datum) 0;
		nulls[1] = (role == NULL);
		values[2] = db ? CStringGetTextDatum(db) : (Datum) 0;
		nulls[2] = (db == NULL);
		values[3] = CStringGetTextDatum(s->appname);
		values[4] = addr ? CStringGetTextDatum(addr) : (Datum) 0;
		nulls[4] = (addr == NULL);
		values[5] = IntervalPGetDatum(idle_for);
		values[6] = BoolGetDatum(terminated);

		/*
		 * What pg_stat_activity hides from the caller stays hidden here:
		 * another role's client address and state times need that role's
		 * privileges or pg_read_all_stats, even for a caller who may
		 * terminate the session through pg_signal_backend.
		 */
		if (!all_stats && !has_privs_of_role(caller, s->roleid))
		{
			nulls[4] = true;
			nulls[5] = true;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	if (!dry_run && lifeguard_dry_run && nidle > 0)
		ereport(NOTICE,
				(errmsg("lifeguard.dry_run is on: no session was terminated")));
	PG_RETURN_VOID();
}
