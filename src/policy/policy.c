/*-------------------------------------------------------------------------
 *
 * policy.c
 *		Policies: loading lifeguard.policies, publishing it into shared
 *		memory, and deciding which sessions a policy applies to.
 *
 * The table is the source of truth.  A statement trigger on it notes the
 * change; when the transaction commits, a callback bumps a counter in shared
 * memory and wakes the worker, which reads the table again (never waiting
 * for its lock), resolves role and database names to OIDs, and publishes
 * the enabled rows into shared memory.  The login hook and the worker's
 * tick read only that copy.  The worker also rereads the table at every
 * catalog recheck, so a role created after its policy is picked up.
 *
 * Matching: a session belongs to a policy when every matcher the policy
 * sets matches: role_name is its login role, database_name its database,
 * application_name (a LIKE pattern, matched byte by byte) its
 * application_name.  A matcher naming a role or database that does not
 * exist matches nothing.
 *
 * Binding: a policy binds a session it matches, except that a superuser's
 * or an admin's session (a member of lifeguard.admin_roles) is bound only
 * by a policy that names its role.  This one rule decides, for caps, idle
 * limits and time limits alike, which policies a session answers to
 * (lifeguard_policy_binds(), lifeguard_policy_strictest()); whether a role
 * is privileged needs the catalogs, so each duty asks only when a policy
 * would act on it.
 *
 * Admission: at login (the slots duty's hook), a session is counted in
 * every policy it matches, unless the cap of one that binds it is full
 * (lifeguard_policy_admit()); at exit it is uncounted.
 *
 * Locking protocol
 * ----------------
 *
 * PolicyState->lock (LWLock) protects generation, need_database,
 * npolicies, policies[], connections[] and every backends[] entry.
 *	- The login hook takes it LW_EXCLUSIVE once per login: fills its own
 *	  entry, checks every matching cap and, unless refused, increments the
 *	  counts of the policies it matches, all in one critical section, so a
 *	  burst of simultaneous logins cannot overshoot a cap.  O(policies).
 *	  What needs the catalogs (the database's OID, whether the role is an
 *	  admin) is found with the lock released, and the check starts again.
 *	- A backend's exit callback takes it LW_EXCLUSIVE to decrement what its
 *	  entry counted (only if the generation is still current) and clear it.
 *	- The worker takes it LW_EXCLUSIVE to publish a new set of policies: it
 *	  bumps the generation and recounts every entry against the new set
 *	  (O(max_connections x policies), only when the policies changed).
 *	- Readers (policy_status(), lifeguard_policies_copy()) take it
 *	  LW_SHARED and copy what they need.
 *	Nothing else is locked while it is held; events are recorded after it
 *	is released.
 *
 * "changed" is an atomic counter, bumped without a lock by a committing
 * transaction that changed lifeguard.policies; the worker reads it without
 * a lock.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/worker.h"
#include "policy/policy.h"

PG_FUNCTION_INFO_V1(lifeguard_policies_changed);
PG_FUNCTION_INFO_V1(lifeguard_policy_status);

#define POLICY_STATUS_COLS	(10 + LG_LIMIT_NTIME + 1)

/* The worker rereads the table at least this often (a role created later) */
#define POLICY_RECHECK_MS	5000

/*
 * What a client backend counted itself in at login, so that it can uncount
 * itself at exit and the worker can recount everyone when policies change.
 * One entry per client PGPROC (index pgprocno).
 */
typedef struct BackendEntry
{
	int			pid;			/* 0 = entry unused */
	Oid			roleid;
	Oid			dbid;
	uint64		generation;		/* policy generation "counted" refers to */
	uint64		counted[LIFEGUARD_POLICY_WORDS];	/* bitmap of policies */
	char		appname[NAMEDATALEN];	/* application_name at login */
} BackendEntry;

/* The duty's shared memory; see "Locking protocol" above */
typedef struct PolicyState
{
	LWLock	   *lock;
	uint64		generation;
	bool		need_database;	/* some policy sets database_name */
	int			npolicies;
	LifeguardPolicy policies[LIFEGUARD_MAX_POLICIES];
	int			connections[LIFEGUARD_MAX_POLICIES];
	pg_atomic_uint64 changed;
	BackendEntry backends[FLEXIBLE_ARRAY_MEMBER];	/* MaxConnections */
} PolicyState;

static PolicyState *Policies = NULL;

/* Backend: its exit callback is registered */
static bool uncount_registered = false;

/* Worker: value of policies_changed when the table was last read */
static uint64 seen_changes = 0;
static bool published_once = false;

/* Backend: this transaction changed lifeguard.policies */
static bool change_pending = false;
static bool xact_callback_registered = false;

/*
 * LIKE, byte by byte, with PostgreSQL's default escape character: '%'
 * matches any run of bytes, '_' one byte, '\x' the byte x.  Used where the
 * SQL machinery cannot be (the login hook runs before the database encoding
 * is known).  Iterative, linear in practice: on a mismatch it backtracks to
 * the last '%' only.
 */
bool
lifeguard_like_match(const char *str, const char *pattern)
{
	const char *s = str;
	const char *p = pattern;
	const char *star_p = NULL;
	const char *star_s = NULL;

	while (*s)
	{
		if (*p == '%')
		{
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p != '\0')
		{
			bool		escaped = (p[0] == '\\' && p[1] != '\0');
			char		pc = escaped ? p[1] : p[0];

			if ((!escaped && pc == '_') || pc == *s)
			{
				s++;
				p += escaped ? 2 : 1;
				continue;
			}
		}
		if (star_p == NULL)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

/*
 * Does policy p apply to a session of this role, database and
 * application_name?
 */
bool
lifeguard_policy_matches(const LifeguardPolicy *p, Oid roleid, Oid dbid,
						 const char *appname)
{
	if (p->has_role && (!OidIsValid(p->roleid) || p->roleid != roleid))
		return false;
	if (p->has_database && (!OidIsValid(p->dbid) || p->dbid != dbid))
		return false;
	if (p->has_app && !lifeguard_like_match(appname ? appname : "",
											p->app_pattern))
		return false;
	return true;
}

/*
 * Is this role a superuser or an admin (lifeguard.admin_roles)?  Reads the
 * syscache: call in a transaction, or in the login hook.
 */
bool
lifeguard_role_privileged(Oid roleid)
{
	return superuser_arg(roleid) || lifeguard_role_is_admin(roleid);
}

/*
 * Does policy p, which matches a session, bind it?  A superuser's or an
 * admin's session ("privileged") only when p names its role.
 */
bool
lifeguard_policy_binds(const LifeguardPolicy *p, bool privileged)
{
	return !privileged || p->has_role;
}

/*
 * Among the policies that match a session (matches[i]) and bind it, the
 * one setting the smallest value of "limit" (on a tie, the stronger
 * action); -1 when none sets it.
 */
int
lifeguard_policy_strictest(const LifeguardPolicy *policies, int npolicies,
						   const bool *matches, LifeguardLimit limit,
						   bool privileged)
{
	int			best = -1;
	int			i;

	for (i = 0; i < npolicies; i++)
	{
		const LifeguardPolicy *p = &policies[i];

		if (!matches[i] || p->limit_ms[limit] < 0 ||
			!lifeguard_policy_binds(p, privileged))
			continue;
		if (best < 0 ||
			p->limit_ms[limit] < policies[best].limit_ms[limit] ||
			(p->limit_ms[limit] == policies[best].limit_ms[limit] &&
			 p->action > policies[best].action))
			best = i;
	}
	return best;
}

static const char *const limit_names[LG_LIMIT_NKINDS] = {
	[LG_LIMIT_STATEMENT] = "statement_timeout",
	[LG_LIMIT_LOCK_WAIT] = "lock_wait_timeout",
	[LG_LIMIT_IDLE_IN_XACT] = "idle_in_transaction_timeout",
	[LG_LIMIT_TRANSACTION] = "transaction_timeout",
	[LG_LIMIT_BLOCKING] = "blocking_timeout",
	[LG_LIMIT_IDLE] = "idle_timeout",
	[LG_LIMIT_SHED_IDLE] = "shed_idle_after",
};

/* The column of lifeguard.policies that sets this limit */
const char *
lifeguard_limit_name(LifeguardLimit limit)
{
	return limit_names[limit];
}

const char *
lifeguard_action_name(LifeguardAction action)
{
	switch (action)
	{
		case LG_ACTION_LOG:
			return "log";
		case LG_ACTION_CANCEL:
			return "cancel";
		case LG_ACTION_TERMINATE:
			return "terminate";
	}
	return "unknown";
}

/*
 * Milliseconds from a float8 column holding them, -1 for NULL.  The table's
 * CHECK constraints keep every limit within LIFEGUARD_LIMIT_MIN_MS ..
 * LIFEGUARD_LIMIT_MAX_MS; a value outside (a constraint dropped by hand) is
 * saturated to the nearer bound, never wrapped nor taken as "no limit".
 */
static int64
ms_column(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	double		ms;

	if (isnull)
		return -1;
	ms = DatumGetFloat8(d);
	if (!(ms >= (double) LIFEGUARD_LIMIT_MIN_MS))	/* NaN included */
		return LIFEGUARD_LIMIT_MIN_MS;
	if (ms >= (double) LIFEGUARD_LIMIT_MAX_MS)
		return LIFEGUARD_LIMIT_MAX_MS;
	return (int64) ms;
}

static void
text_column(char *dst, HeapTuple tup, TupleDesc desc, int col, bool *present)
{
	char	   *value = SPI_getvalue(tup, desc, col);

	*present = (value != NULL);
	dst[0] = '\0';
	if (value != NULL)
		strlcpy(dst, value, NAMEDATALEN);
}

/*
 * Read the enabled policies from lifeguard.policies into dst (room for
 * LIFEGUARD_MAX_POLICIES).  Returns their number, or -1 when the table's
 * lock is not granted at once (try again later).  Caller is in a
 * transaction, in the worker's database, where the extension exists.
 */
static int
load_policies(LifeguardPolicy *dst)
{
	Oid			nsp = get_namespace_oid("lifeguard", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("policies", nsp) : InvalidOid;
	int			n = 0;
	uint64		i;

	if (!OidIsValid(relid))
		return 0;
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return -1;

	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute("SELECT name, role_name::text, database_name::text, "
					"application_name, max_connections, "
					"floor(extract(epoch FROM idle_timeout) * 1000)::float8, "
					"floor(extract(epoch FROM shed_idle_after) * 1000)::float8, "
					"floor(extract(epoch FROM statement_timeout) * 1000)::float8, "
					"floor(extract(epoch FROM lock_wait_timeout) * 1000)::float8, "
					"floor(extract(epoch FROM idle_in_transaction_timeout) * 1000)::float8, "
					"floor(extract(epoch FROM transaction_timeout) * 1000)::float8, "
					"floor(extract(epoch FROM blocking_timeout) * 1000)::float8, "
					"action "
					"FROM lifeguard.policies WHERE enabled ORDER BY name",
					true, LIFEGUARD_MAX_POLICIES) != SPI_OK_SELECT)
		elog(ERROR, "could not read lifeguard.policies");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		LifeguardPolicy *p = &dst[n++];
		bool		present;
		bool		isnull;
		Datum		d;
		char	   *action;
		int			k;

		memset(p, 0, sizeof(LifeguardPolicy));
		text_column(p->name, tup, desc, 1, &present);
		text_column(p->role_name, tup, desc, 2, &p->has_role);
		text_column(p->database_name, tup, desc, 3, &p->has_database);
		text_column(p->app_pattern, tup, desc, 4, &p->has_app);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		p->max_connections = isnull ? -1 : DatumGetInt32(d);
		p->limit_ms[LG_LIMIT_IDLE] = ms_column(tup, desc, 6);
		p->limit_ms[LG_LIMIT_SHED_IDLE] = ms_column(tup, desc, 7);
		for (k = 0; k < LG_LIMIT_NTIME; k++)
			p->limit_ms[k] = ms_column(tup, desc, 8 + k);
		action = SPI_getvalue(tup, desc, 8 + LG_LIMIT_NTIME);
		if (action != NULL && strcmp(action, "log") == 0)
			p->action = LG_ACTION_LOG;
		else if (action != NULL && strcmp(action, "terminate") == 0)
			p->action = LG_ACTION_TERMINATE;
		else
			p->action = LG_ACTION_CANCEL;	/* the column's default */
		if (p->has_role)
			p->roleid = get_role_oid(p->role_name, true);
		if (p->has_database)
			p->dbid = get_database_oid(p->database_name, true);
	}

	SPI_finish();
	PopActiveSnapshot();
	return n;
}

/*
 * Install a new set of policies, unless it equals the one in force, and
 * recount every session against it.
 */
static void
publish_policies(const LifeguardPolicy *policies, int n)
{
	PolicyState *s = Policies;
	uint64		generation;
	int			i;
	int			j;

	LWLockAcquire(s->lock, LW_EXCLUSIVE);
	if (published_once && n == s->npolicies &&
		memcmp(s->policies, policies, n * sizeof(LifeguardPolicy)) == 0)
	{
		LWLockRelease(s->lock);
		return;
	}

	memcpy(s->policies, policies, n * sizeof(LifeguardPolicy));
	s->npolicies = n;
	s->need_database = false;
	for (j = 0; j < n; j++)
		s->need_database |= policies[j].has_database;
	generation = ++s->generation;
	memset(s->connections, 0, sizeof(s->connections));

	for (i = 0; i < MaxConnections; i++)
	{
		BackendEntry *e = &s->backends[i];

		if (e->pid == 0)
			continue;

		/*
		 * The login hook looks the database up only while some policy needs
		 * it; an established session's PGPROC has it.  (A session still in
		 * the hook at this very moment may miss a database policy published
		 * now until the next publication.)
		 */
		if (!OidIsValid(e->dbid))
			e->dbid = lifeguard_proc_database(lifeguard_proc(i));
		memset(e->counted, 0, sizeof(e->counted));
		for (j = 0; j < n; j++)
		{
			if (lifeguard_policy_matches(&s->policies[j], e->roleid, e->dbid,
										 e->appname))
			{
				e->counted[j / 64] |= UINT64CONST(1) << (j % 64);
				s->connections[j]++;
			}
		}
		e->generation = generation;
	}
	LWLockRelease(s->lock);

	published_once = true;
	ereport(LOG,
			(errmsg_plural("%d pg_lifeguard policy in force (generation %llu)",
						   "%d pg_lifeguard policies in force (generation %llu)",
						   n,
						   n, (unsigned long long) generation)));
}

/*
 * Worker: read and publish the policies if they changed since the last
 * read, or when "force" (a periodic recheck).  Without the extension there
 * are no policies.  Caller is in a transaction.
 */
static void
policies_refresh(bool extension_present, bool force)
{
	uint64		changes = pg_atomic_read_u64(&Policies->changed);
	LifeguardPolicy *policies;
	int			n = 0;

	if (!force && published_once && changes == seen_changes)
		return;

	policies = palloc0(sizeof(LifeguardPolicy) * LIFEGUARD_MAX_POLICIES);
	if (extension_present)
	{
		n = load_policies(policies);
		if (n < 0)
		{
			pfree(policies);
			return;				/* table locked: next tick tries again */
		}
	}
	seen_changes = changes;
	publish_policies(policies, n);
	pfree(policies);
}

/*
 * Worker: the policies in force as this tick sees them, copied once per
 * tick by the policy duty, for every later duty (lifeguard_tick_policies())
 */
static LifeguardPolicy *tick_policies = NULL;
static int	tick_npolicies = 0;

/*
 * Read and publish the policies when they changed, at every periodic
 * recheck, and when the extension came or went, in a short transaction of
 * its own.  Never waits for lifeguard.policies' lock (load_policies()).
 * When this fails, the policies published last stay in force.
 */
static void
policies_reload(LifeguardTick *tick)
{
	static int	installed = -1;
	static TimestampTz last_read = 0;
	bool		force;

	if (!tick->extension_known)
		return;					/* pg_extension was busy: nothing known yet */
	force = (installed != (int) tick->installed ||
			 TimestampDifferenceExceeds(last_read, tick->now,
										POLICY_RECHECK_MS));
	if (!force && published_once &&
		pg_atomic_read_u64(&Policies->changed) == seen_changes)
		return;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	policies_refresh(tick->installed, force);
	CommitTransactionCommand();
	if (force)
	{
		installed = tick->installed;
		last_read = tick->now;
	}
}

/*
 * The policy duty's tick: reload the policies if need be, then copy the
 * ones in force for the other duties of this tick.  A reload that fails
 * leaves the last copy, which still equals what is published.
 */
static void
policies_tick(LifeguardTick *tick)
{
	policies_reload(tick);

	if (tick_policies == NULL)
		tick_policies = MemoryContextAlloc(TopMemoryContext,
										   sizeof(LifeguardPolicy) * LIFEGUARD_MAX_POLICIES);
	tick_npolicies = lifeguard_policies_copy(tick_policies);
}

/*
 * Worker: the policies in force in this tick (copied by the policy duty,
 * first in every tick), and their number in *npolicies.
 */
const LifeguardPolicy *
lifeguard_tick_policies(int *npolicies)
{
	*npolicies = tick_npolicies;
	return tick_policies;
}

/*
 * Copy the published policies into dst (room for LIFEGUARD_MAX_POLICIES);
 * returns their number.
 */
int
lifeguard_policies_copy(LifeguardPolicy *dst)
{
	int			n;

	LWLockAcquire(Policies->lock, LW_SHARED);
	n = Policies->npolicies;
	memcpy(dst, Policies->policies, n * sizeof(LifeguardPolicy));
	LWLockRelease(Policies->lock);
	return n;
}

/*
 * At commit of a transaction that changed lifeguard.policies, tell the
 * worker.
 */
static void
policies_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (change_pending && Policies != NULL)
			{
				pg_atomic_fetch_add_u64(&Policies->changed, 1);
				lifeguard_wake_worker();
			}
			change_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			change_pending = false;
			break;
		default:
			break;
	}
}

/*
 * Statement trigger on lifeguard.policies: refuse more enabled policies than
 * shared memory holds, warn when the table is not the one the worker reads,
 * and arrange for the worker to be told at commit.
 */
Datum
lifeguard_policies_changed(PG_FUNCTION_ARGS)
{
	int64		enabled = 0;
	bool		isnull;
	char	   *dbname;
	int			nestlevel;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"lifeguard._policies_changed")));

	/*
	 * Not read-only: the count must see the rows this statement changed.
	 * Run under the pinned search_path, whoever changed the table.
	 */
	SPI_connect();
	nestlevel = lifeguard_pin_search_path();
	if (SPI_execute("SELECT pg_catalog.count(*) FROM lifeguard.policies WHERE enabled",
					false, 1) == SPI_OK_SELECT && SPI_processed == 1)
		enabled = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1,
											  &isnull));
	lifeguard_unpin_search_path(nestlevel);
	SPI_finish();

	if (enabled > LIFEGUARD_MAX_POLICIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many enabled pg_lifeguard policies"),
				 errdetail("At most %d policies can be enabled at once; this change would enable %lld.",
						   LIFEGUARD_MAX_POLICIES, (long long) enabled),
				 errhint("Disable or merge policies.")));

	dbname = get_database_name(MyDatabaseId);
	if (dbname != NULL && strcmp(dbname, lifeguard_database) != 0)
		ereport(WARNING,
				(errmsg("pg_lifeguard policies in database \"%s\" are not enforced",
						dbname),
				 errdetail("The worker reads policies from lifeguard.database = \"%s\".",
						   lifeguard_database)));

	if (!xact_callback_registered)
	{
		RegisterXactCallback(policies_xact_callback, NULL);
		xact_callback_registered = true;
	}
	change_pending = true;

	return PointerGetDatum(NULL);
}

/*
 * Interval datum from milliseconds, saturating rather than overflowing.
 */
static Datum
ms_interval(int64 ms)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = (ms > PG_INT64_MAX / 1000) ? PG_INT64_MAX : ms * INT64CONST(1000);
	return IntervalPGetDatum(iv);
}

/*
 * lifeguard.policy_status(): the policies in force, as the login hook and
 * the worker see them, with the sessions counted in each.
 */
Datum
lifeguard_policy_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LifeguardPolicy *policies;
	int		   *counts;
	uint64		generation;
	int			n;
	int			i;

	lifeguard_require_monitor("policy_status");
	InitMaterializedSRF(fcinfo, 0);

	policies = palloc(sizeof(LifeguardPolicy) * LIFEGUARD_MAX_POLICIES);
	counts = palloc(sizeof(int) * LIFEGUARD_MAX_POLICIES);
	LWLockAcquire(Policies->lock, LW_SHARED);
	n = Policies->npolicies;
	memcpy(policies, Policies->policies, n * sizeof(LifeguardPolicy));
	memcpy(counts, Policies->connections, n * sizeof(int));
	generation = Policies->generation;
	LWLockRelease(Policies->lock);

	for (i = 0; i < n; i++)
	{
		LifeguardPolicy *p = &policies[i];
		Datum		values[POLICY_STATUS_COLS];
		bool		nulls[POLICY_STATUS_COLS];
		int			k;

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(p->name);
		values[1] = CStringGetTextDatum(p->role_name);
		nulls[1] = !p->has_role;
		values[2] = CStringGetTextDatum(p->database_name);
		nulls[2] = !p->has_database;
		values[3] = CStringGetTextDatum(p->app_pattern);
		nulls[3] = !p->has_app;
		values[4] = Int32GetDatum(p->max_connections);
		nulls[4] = (p->max_connections < 0);
		values[5] = Int32GetDatum(counts[i]);
		nulls[6] = (p->limit_ms[LG_LIMIT_IDLE] < 0);
		if (!nulls[6])
			values[6] = ms_interval(p->limit_ms[LG_LIMIT_IDLE]);
		nulls[7] = (p->limit_ms[LG_LIMIT_SHED_IDLE] < 0);
		if (!nulls[7])
			values[7] = ms_interval(p->limit_ms[LG_LIMIT_SHED_IDLE]);
		if (p->has_role && !OidIsValid(p->roleid))
			values[8] = CStringGetTextDatum(psprintf("role \"%s\" does not exist; the policy matches no session",
													 p->role_name));
		else if (p->has_database && !OidIsValid(p->dbid))
			values[8] = CStringGetTextDatum(psprintf("database \"%s\" does not exist; the policy matches no session",
													 p->database_name));
		else
			nulls[8] = true;
		values[9] = Int64GetDatum((int64) generation);
		for (k = 0; k < LG_LIMIT_NTIME; k++)
		{
			nulls[10 + k] = (p->limit_ms[k] < 0);
			if (!nulls[10 + k])
				values[10 + k] = ms_interval(p->limit_ms[k]);
		}
		values[10 + LG_LIMIT_NTIME] = CStringGetTextDatum(lifeguard_action_name(p->action));

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	PG_RETURN_VOID();
}

/* ----------------------------------------------------------------
 * Admission: counting client sessions in their policies
 * ----------------------------------------------------------------
 */

/*
 * before_shmem_exit callback: uncount this session from its policies.
 */
static void
uncount_session(int code, Datum arg)
{
	BackendEntry *e;
	int			i;

	if (MyProc == NULL || Policies == NULL)
		return;
	e = &Policies->backends[lifeguard_proc_number(MyProc)];

	LWLockAcquire(Policies->lock, LW_EXCLUSIVE);
	if (e->pid == MyProcPid)
	{
		if (e->generation == Policies->generation)
		{
			for (i = 0; i < Policies->npolicies; i++)
				if (e->counted[i / 64] & (UINT64CONST(1) << (i % 64)))
					Policies->connections[i]--;
		}
		memset(e, 0, sizeof(BackendEntry));
	}
	LWLockRelease(Policies->lock);
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
							  lifeguard_shared_relcache_ready(), NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		dbid = ((Form_pg_database) GETSTRUCT(tup))->oid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return dbid;
}

/*
 * Count the calling backend, a client logging in as roleid to database
 * dbname with appname, in every policy it matches, unless the cap of one
 * that binds it is full (lifeguard_policy_binds(): a superuser or an admin
 * only by a policy that names the role).  Returns
 * true, with *refused filled in, when a cap is full; the session is then
 * counted in no policy if "enforce", in all it matches otherwise (a dry
 * run lets it in).  At exit the session is uncounted.
 */
bool
lifeguard_policy_admit(Oid roleid, const char *dbname, const char *appname,
					   bool enforce, LifeguardCapRefusal *refused)
{
	PolicyState *s = Policies;
	BackendEntry *e = &s->backends[lifeguard_proc_number(MyProc)];
	Oid			dbid = InvalidOid;
	bool		dbid_known = false;
	bool		privileged = false;
	bool		privileged_known = false;
	int			violated;
	int			i;

	if (!uncount_registered)
	{
		before_shmem_exit(uncount_session, (Datum) 0);
		uncount_registered = true;
	}

retry:
	violated = -1;
	LWLockAcquire(s->lock, LW_EXCLUSIVE);
	if (s->need_database && !dbid_known)
	{
		/* a policy matches on database: look ours up, not under the lock */
		LWLockRelease(s->lock);
		dbid = database_oid_at_login(dbname);
		dbid_known = true;
		goto retry;
	}
	memset(e, 0, sizeof(BackendEntry));
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
			s->connections[i] < p->max_connections)
			continue;
		if (!p->has_role && !privileged_known)
		{
			/* is this an admin?  Find out without holding the lock */
			LWLockRelease(s->lock);
			privileged = lifeguard_role_privileged(roleid);
			privileged_known = true;
			goto retry;
		}
		if (lifeguard_policy_binds(p, privileged))
		{
			violated = i;
			strlcpy(refused->policy, p->name, NAMEDATALEN);
			refused->cap = p->max_connections;
			refused->in_use = s->connections[i];
		}
	}

	if (violated >= 0 && enforce)
		memset(e, 0, sizeof(BackendEntry));
	else
	{
		for (i = 0; i < s->npolicies; i++)
			if (e->counted[i / 64] & (UINT64CONST(1) << (i % 64)))
				s->connections[i]++;
		e->generation = s->generation;
		e->pid = MyProcPid;
	}
	LWLockRelease(s->lock);

	return violated >= 0;
}

/* Number of policies in force */
int
lifeguard_policies_count(void)
{
	int			n;

	if (Policies == NULL)
		return 0;
	LWLockAcquire(Policies->lock, LW_SHARED);
	n = Policies->npolicies;
	LWLockRelease(Policies->lock);
	return n;
}

/* Bytes of the duty's shared memory: one backend entry per client slot */
static Size
policies_shmem_size(void)
{
	return add_size(offsetof(PolicyState, backends),
					mul_size(MaxConnections, sizeof(BackendEntry)));
}

static void
policies_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	Policies = (PolicyState *) ptr;
	if (!found)
	{
		Policies->lock = &locks[0].lock;
		pg_atomic_init_u64(&Policies->changed, 0);
	}
}

/*
 * The policy duty: the published policies and the sessions counted in
 * them; first in the worker's list, so that every other duty sees this
 * tick's policies.
 */
const LifeguardDuty lifeguard_policy_duty = {
	.name = "policy reload",
	.shmem = {"pg_lifeguard policies", policies_shmem_size, 1,
	policies_shmem_attach},
	.tick = policies_tick,
};
