/*-------------------------------------------------------------------------
 *
 * sessions.c
 *		Who holds a client slot, and what each client session is doing.
 *
 * A client slot is one of the first max_connections PGPROCs (autovacuum,
 * background workers and walsenders have pools of their own).  "used"
 * counts those in use (lifeguard_proc_pid() in sessions.h says how that is
 * told), which includes backends still authenticating.  What each session
 * is doing comes from the backend status array, where a backend appears
 * only once its login is complete; the difference is reported as
 * "authenticating", so an authentication storm is visible.
 *
 * Cost.  The worker reads all of this every tick, so it must be cheap at
 * hundreds of connections.  pgstat_fetch_stat_numbackends() is not: in
 * PostgreSQL 15 it copies every slot of the status array, query text and
 * all, into a fresh snapshot.  Here the shared array is read in place,
 * entry by entry, with the changecount protocol of backend_status.h, and
 * only the few fields pg_lifeguard uses are copied.  The array is static in
 * backend_status.c; it is found once per process by its shared memory
 * index name.  Lock waits are read from PGPROC (wait_event_info and
 * waitStart), never from the lock manager.
 *
 * Everything is read without locks: a momentary view, as in
 * pg_stat_activity.  A session can end or change state right after it was
 * read; whoever acts on one calls lifeguard_session_unchanged() first.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "storage/shmem.h"
#include "utils/backend_status.h"

#include "core/lifeguard.h"
#include "core/sessions.h"

/*
 * The backend status array, as backend_status.c sizes it: one entry per
 * possible backend and one per auxiliary process type.
 */
#define LG_STATUS_ARRAY_NAME	"Backend Status Array"
#define LG_STATUS_SLOTS			(MaxBackends + NUM_AUXPROCTYPES)

static volatile PgBackendStatus *status_array = NULL;

/* What the PGPROC walk found about one client slot in use */
typedef struct ProcInfo
{
	int			pid;
	int			pgprocno;
	uint32		wait_event_info;
	TimestampTz wait_start;
} ProcInfo;

/* What one status entry said, copied under the changecount protocol */
typedef struct StatusCopy
{
	int			pid;
	BackendType type;
	Oid			roleid;
	Oid			dbid;
	BackendState state;
	TimestampTz backend_start;
	TimestampTz xact_start;
	TimestampTz activity_start;
	TimestampTz state_start;
} StatusCopy;

static const char *const session_state_names[] = {
	[LG_SESSION_ACTIVE] = "active",
	[LG_SESSION_IDLE] = "idle",
	[LG_SESSION_IDLE_IN_XACT] = "idle in transaction",
	[LG_SESSION_WAITING] = "waiting",
};

const char *
lifeguard_session_state_name(LifeguardSessionState state)
{
	return session_state_names[state];
}

const char *
lifeguard_slot_status_name(LifeguardSlotStatus status)
{
	switch (status)
	{
		case LG_SLOTS_OK:
			return "ok";
		case LG_SLOTS_WARNING:
			return "warning";
		case LG_SLOTS_CRITICAL:
			return "critical";
	}
	return "unknown";
}

static int
procinfo_cmp(const void *a, const void *b)
{
	int			pa = ((const ProcInfo *) a)->pid;
	int			pb = ((const ProcInfo *) b)->pid;

	return (pa > pb) - (pa < pb);
}

static LifeguardSlotStatus
status_for(double pct)
{
	if (pct >= lifeguard_slot_critical)
		return LG_SLOTS_CRITICAL;
	if (pct >= lifeguard_slot_warning)
		return LG_SLOTS_WARNING;
	return LG_SLOTS_OK;
}

/*
 * Find the shared backend status array (once per process).  It exists from
 * postmaster start; not finding it under its name, or finding it with
 * another size, means a server this code was not built for.
 */
static void
attach_status_array(void)
{
	Size		size;
	bool		found;
	void	   *array;

	if (status_array != NULL)
		return;

	size = mul_size(sizeof(PgBackendStatus), LG_STATUS_SLOTS);
	array = ShmemInitStruct(LG_STATUS_ARRAY_NAME, size, &found);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shared memory structure \"%s\" not found",
						LG_STATUS_ARRAY_NAME),
				 errdetail("This build of pg_lifeguard does not match the running server.")));
	status_array = (volatile PgBackendStatus *) array;
}

/*
 * Copy what pg_lifeguard needs from status entry i, retrying while its
 * backend is writing it.  appname (NAMEDATALEN bytes) is copied too when
 * not NULL.  Returns false for an unused entry.
 */
static bool
read_status_entry(int i, StatusCopy *out, char *appname)
{
	volatile PgBackendStatus *be = &status_array[i];

	for (;;)
	{
		int			before;
		int			after;

		pgstat_begin_read_activity(be, before);
		out->pid = be->st_procpid;
		if (out->pid > 0)
		{
			out->type = be->st_backendType;
			out->roleid = be->st_userid;
			out->dbid = be->st_databaseid;
			out->state = be->st_state;
			out->backend_start = be->st_proc_start_timestamp;
			out->xact_start = be->st_xact_start_timestamp;
			out->activity_start = be->st_activity_start_timestamp;
			out->state_start = be->st_state_start_timestamp;
			if (appname != NULL && out->type == B_BACKEND)
			{
				/* st_appname[NAMEDATALEN - 1] is never written but as '\0' */
				memcpy(appname, (char *) be->st_appname, NAMEDATALEN);
				appname[NAMEDATALEN - 1] = '\0';
			}
		}
		pgstat_end_read_activity(be, after);
		if (pgstat_read_activity_complete(before, after))
			break;
		CHECK_FOR_INTERRUPTS();
	}
	return out->pid > 0;
}

static LifeguardSessionState
session_state(BackendState state, uint32 wait_event_info)
{
	switch (state)
	{
		case STATE_IDLE:
			return LG_SESSION_IDLE;
		case STATE_IDLEINTRANSACTION:
		case STATE_IDLEINTRANSACTION_ABORTED:
			return LG_SESSION_IDLE_IN_XACT;
		default:
			return LIFEGUARD_WAITS_ON_LOCK(wait_event_info) ?
				LG_SESSION_WAITING : LG_SESSION_ACTIVE;
	}
}

/*
 * Count the client slots and, when "sessions" is not NULL, describe every
 * client backend that reports its state (palloc'd array; the count is
 * returned).  counts->oldest_lock_wait is always set: the lock wait of the
 * longest-waiting client, from PGPROC, without touching the lock manager.
 */
int
lifeguard_collect_sessions(LifeguardSession **sessions,
						   LifeguardSlotCounts *c)
{
	ProcInfo   *procs = palloc(sizeof(ProcInfo) * Max(MaxConnections, 1));
	LifeguardSession *out = NULL;
	char		appname[NAMEDATALEN];
	int			nprocs = 0;
	int			nout = 0;
	int			known = 0;
	int			nslots;
	int			i;

	attach_status_array();

	memset(c, 0, sizeof(LifeguardSlotCounts));
	c->max_connections = MaxConnections;
	c->superuser_reserved = LG_SUPERUSER_RESERVED;
	c->admin_reserved = lifeguard_reserved_admin_slots;
	c->usable = MaxConnections - c->superuser_reserved - c->admin_reserved;

	for (i = 0; i < MaxConnections; i++)
	{
		PGPROC	   *proc = &ProcGlobal->allProcs[i];
		int			pid = lifeguard_proc_pid(proc);
		ProcInfo   *p;

		if (pid == 0)
			continue;			/* on the free list */
		c->used++;
		p = &procs[nprocs++];
		p->pid = pid;
		p->pgprocno = i;
		p->wait_event_info = proc->wait_event_info;
		p->wait_start = 0;
		if (LIFEGUARD_WAITS_ON_LOCK(p->wait_event_info))
		{
			p->wait_start = (TimestampTz) pg_atomic_read_u64(&proc->waitStart);
			if (p->wait_start != 0 &&
				(c->oldest_lock_wait == 0 || p->wait_start < c->oldest_lock_wait))
				c->oldest_lock_wait = p->wait_start;
		}
	}
	qsort(procs, nprocs, sizeof(ProcInfo), procinfo_cmp);

	nslots = LG_STATUS_SLOTS;
	if (sessions != NULL)
		out = palloc(sizeof(LifeguardSession) * Max(nprocs, 1));

	for (i = 0; i < nslots && known < nprocs; i++)
	{
		StatusCopy	st;
		ProcInfo	key;
		ProcInfo   *p;
		LifeguardSessionState state;

		if (!read_status_entry(i, &st, out != NULL ? appname : NULL) ||
			st.type != B_BACKEND)
			continue;
		key.pid = st.pid;
		p = bsearch(&key, procs, nprocs, sizeof(ProcInfo), procinfo_cmp);
		if (p == NULL)
			continue;			/* exited since we looked */
		known++;

		state = session_state(st.state, p->wait_event_info);
		switch (state)
		{
			case LG_SESSION_IDLE:
				c->idle++;
				break;
			case LG_SESSION_IDLE_IN_XACT:
				c->idle_in_xact++;
				break;
			case LG_SESSION_WAITING:
				c->waiting++;
				break;
			case LG_SESSION_ACTIVE:
				c->active++;
				break;
		}

		if (out != NULL)
		{
			LifeguardSession *s = &out[nout++];

			s->pid = st.pid;
			s->pgprocno = p->pgprocno;
			s->beindex = i;
			s->roleid = st.roleid;
			s->dbid = st.dbid;
			s->state = state;
			s->tracked = (st.state != STATE_DISABLED &&
						  st.state != STATE_UNDEFINED);
			s->wait_event_info = p->wait_event_info;
			s->wait_start = state == LG_SESSION_WAITING ? p->wait_start : 0;
			s->backend_start = st.backend_start;
			s->xact_start = st.xact_start;
			s->activity_start = st.activity_start;
			s->state_start = st.state_start;
			s->client_addr = status_array[i].st_clientaddr;
			strlcpy(s->appname, appname, NAMEDATALEN);
		}
	}
	pfree(procs);

	c->authenticating = Max(0, c->used - known);
	c->used_pct = c->usable > 0 ? 100.0 * c->used / c->usable : 100.0;
	c->status = status_for(c->used_pct);

	if (sessions != NULL)
		*sessions = out;
	return nout;
}

/*
 * Is this session still what lifeguard_collect_sessions() saw: the same
 * backend (pid, start time, PGPROC), in the same state, in the same
 * statement and transaction?  Called right before signalling it, so a
 * signal meant for one statement does not hit the next one.
 */
bool
lifeguard_session_unchanged(const LifeguardSession *s)
{
	StatusCopy	st;
	PGPROC	   *proc = &ProcGlobal->allProcs[s->pgprocno];

	if (lifeguard_proc_pid(proc) != s->pid)
		return false;
	if (!read_status_entry(s->beindex, &st, NULL))
		return false;
	return st.pid == s->pid &&
		st.backend_start == s->backend_start &&
		st.xact_start == s->xact_start &&
		st.activity_start == s->activity_start &&
		session_state(st.state, proc->wait_event_info) == s->state;
}

/*
 * The session as the subject of an event: its pid, role, database and
 * application_name.  Looks the names up, so the caller is in a
 * transaction.
 */
void
lifeguard_session_subject(const LifeguardSession *s,
						  LifeguardEventSubject *subject)
{
	subject->pid = s->pid;
	subject->role = GetUserNameFromId(s->roleid, true);
	subject->database = OidIsValid(s->dbid) ? get_database_name(s->dbid) : NULL;
	subject->application_name = s->appname;
}
