/*-------------------------------------------------------------------------
 *
 * sessions.c
 *		Who holds a client slot, and what each client session is doing.
 *
 * A client slot is one of the first max_connections PGPROCs (autovacuum,
 * background workers and walsenders have pools of their own).  "used"
 * counts those in use (lifeguard_proc_pid() in compat.h says how that is
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
#include "utils/backend_status.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/sessions.h"

/* What the PGPROC walk found about one client slot in use */
typedef struct ProcInfo
{
	int			pid;
	int			pgprocno;
	uint32		wait_event_info;
	TimestampTz wait_start;
} ProcInfo;

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

/* "ok", "warning" or "critical" */
const char *
lifeguard_level_name(LifeguardLevel level)
{
	switch (level)
	{
		case LG_LEVEL_OK:
			return "ok";
		case LG_LEVEL_WARNING:
			return "warning";
		case LG_LEVEL_CRITICAL:
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

static LifeguardLevel
status_for(double pct)
{
	if (pct >= lifeguard_slot_critical)
		return LG_LEVEL_CRITICAL;
	if (pct >= lifeguard_slot_warning)
		return LG_LEVEL_WARNING;
	return LG_LEVEL_OK;
}

static LifeguardSessionState
session_state(BackendState state, uint32 wait_event_info)
{
	if (lifeguard_state_is_idle(state))
		return LG_SESSION_IDLE;
	if (lifeguard_state_is_idle_in_xact(state))
		return LG_SESSION_IDLE_IN_XACT;
	return LIFEGUARD_WAITS_ON_LOCK(wait_event_info) ?
		LG_SESSION_WAITING : LG_SESSION_ACTIVE;
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

	lifeguard_status_attach();

	memset(c, 0, sizeof(LifeguardSlotCounts));
	c->max_connections = MaxConnections;
	c->superuser_reserved = LG_SUPERUSER_RESERVED;
	c->role_reserved = LG_ROLE_RESERVED;
	c->admin_reserved = lifeguard_reserved_admin_slots;
	c->usable = MaxConnections - c->superuser_reserved - c->role_reserved -
		c->admin_reserved;

	for (i = 0; i < MaxConnections; i++)
	{
		PGPROC	   *proc = lifeguard_proc(i);
		int			pid = lifeguard_proc_pid(proc);
		ProcInfo   *p;

		if (pid == 0)
			continue;			/* on the free list */
		c->used++;
		p = &procs[nprocs++];
		p->pid = pid;
		p->pgprocno = i;
		p->wait_event_info = lifeguard_proc_wait_event_info(proc);
		p->wait_start = 0;
		if (LIFEGUARD_WAITS_ON_LOCK(p->wait_event_info))
		{
			p->wait_start = lifeguard_proc_wait_start(proc);
			if (p->wait_start != 0 &&
				(c->oldest_lock_wait == 0 || p->wait_start < c->oldest_lock_wait))
				c->oldest_lock_wait = p->wait_start;
		}
	}
	qsort(procs, nprocs, sizeof(ProcInfo), procinfo_cmp);

	nslots = lifeguard_status_slots();
	if (sessions != NULL)
		out = palloc(sizeof(LifeguardSession) * Max(nprocs, 1));

	for (i = 0; i < nslots && known < nprocs; i++)
	{
		LifeguardStatusCopy st;
		ProcInfo	key;
		ProcInfo   *p;
		LifeguardSessionState state;

		if (!lifeguard_status_read(i, &st, out != NULL ? appname : NULL) ||
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
			s->tracked = lifeguard_state_is_tracked(st.state);
			s->wait_event_info = p->wait_event_info;
			s->wait_start = state == LG_SESSION_WAITING ? p->wait_start : 0;
			s->backend_start = st.backend_start;
			s->xact_start = st.xact_start;
			s->activity_start = st.activity_start;
			s->state_start = st.state_start;
			lifeguard_status_client_addr(i, &s->client_addr);
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
	LifeguardStatusCopy st;
	PGPROC	   *proc = lifeguard_proc(s->pgprocno);

	if (lifeguard_proc_pid(proc) != s->pid)
		return false;
	if (!lifeguard_status_read(s->beindex, &st, NULL))
		return false;
	return st.pid == s->pid &&
		st.backend_start == s->backend_start &&
		st.xact_start == s->xact_start &&
		st.activity_start == s->activity_start &&
		session_state(st.state, lifeguard_proc_wait_event_info(proc)) == s->state;
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
