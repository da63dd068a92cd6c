/*-------------------------------------------------------------------------
 *
 * slots_sql.c
 *		SQL functions of the slots duty: slots(), slot_usage(),
 *		slot_history() and shed_idle().
 *
 * They read the server's process and backend status arrays in place
 * (sessions.c) and the slot history in shared memory (slots_int.h), so
 * they answer with every client slot taken and no table readable.
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

#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "policy/policy.h"
#include "slots/slots.h"
#include "slots/slots_int.h"

PG_FUNCTION_INFO_V1(lifeguard_slots);
PG_FUNCTION_INFO_V1(lifeguard_slot_usage);
PG_FUNCTION_INFO_V1(lifeguard_slot_history);
PG_FUNCTION_INFO_V1(lifeguard_shed_idle);

#define SLOTS_COLS			14
#define SLOT_USAGE_COLS		8
#define SLOT_HISTORY_COLS	10
#define SHED_IDLE_COLS		7

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
	values[12] = CStringGetTextDatum(lifeguard_level_name(c.status));
	values[13] = Int32GetDatum(c.role_reserved);

	/*
	 * reserved_connections was added last: a database that installed the
	 * extension before has a slots() of 13 columns, and heap_form_tuple()
	 * then takes the first 13 values.
	 */
	Assert(tupdesc->natts == SLOTS_COLS || tupdesc->natts == SLOTS_COLS - 1);
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
#ifdef LG_HAVE_UNIX_SOCKETS
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
	LWLockAcquire(Slots->history_lock, LW_SHARED);
	last = Slots->history_next;
	first = last > LIFEGUARD_HISTORY_SIZE ? last - LIFEGUARD_HISTORY_SIZE : 0;
	for (seq = first; seq < last; seq++)
		copy[n++] = Slots->history[seq % LIFEGUARD_HISTORY_SIZE];
	LWLockRelease(Slots->history_lock);

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
		values[9] = CStringGetTextDatum(lifeguard_level_name(s->status));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	PG_RETURN_VOID();
}

/* shed_idle(): longest idle first */
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

		if (!dry_run && !lifeguard_dry_run && lifeguard_slots_still_idle(s) &&
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
