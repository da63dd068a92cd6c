/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every use pg_lifeguard makes of PostgreSQL internals, and every
 *		PG_VERSION_NUM guard, in one place.
 *
 * pg_lifeguard reads structures that are not an extension API: the PGPROC
 * array, the shared backend status array, the GUC table, the lock
 * manager's method tables and tag layout, the cumulative statistics'
 * table entries, and the text of a few of PostgreSQL's own messages.  No
 * other file does: they call the accessors below.  Porting to another
 * major version is then a matter of this one file.
 *
 * Each accessor names what it relies on (struct and field, the header that
 * declares it) and what later versions changed.  Built and tested against
 * PostgreSQL 15 only: the branches for 16, 17 and 18 (#if PG_VERSION_NUM
 * >= 160000, 170000, 180000) follow those versions' headers but have not
 * been compiled.
 *
 * What is not here is public API, used where it is needed: postgres.h,
 * miscadmin.h (MyProcPid, MyDatabaseId, MaxConnections, MyLatch), fmgr.h,
 * funcapi.h, SPI, ereport, syscache and genam catalog access, relation and
 * table access method calls, LWLock, spinlock, latch and heavyweight lock
 * functions (LockAcquire, ConditionalLockRelationOid), the timeout API,
 * MyProc (compared with NULL, never dereferenced outside this file),
 * BackendPidGetProc() (whose PGPROC is only read through the accessors
 * here), GetBlockerStatusData() and the BlockedProcsData it returns
 * (lock.h's reporting interface, as used by pg_blocking_pids()), backend
 * status functions (pgstat_report_appname, pgstat_clip_activity,
 * pgstat_clear_backend_activity_snapshot), am_walsender, the
 * ClientAuthentication_hook and emit_log_hook arguments, and background
 * worker registration.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_COMPAT_H
#define LIFEGUARD_COMPAT_H

#include "access/htup_details.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "libpq/pqcomm.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/postmaster.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/backend_status.h"
#include "utils/guc_tables.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#if PG_VERSION_NUM >= 180000
#include "storage/procnumber.h"
#include "storage/waiteventset.h"
#endif

/*
 * The most backends a server may have, the upper bound of a slot-count
 * setting: MAX_BACKENDS, in postmaster/postmaster.h up to 17, in
 * storage/procnumber.h (and unsigned) from 18.
 */
#define LG_MAX_BACKENDS			((int) MAX_BACKENDS)

/*
 * Unix-domain sockets: optional up to 15 (HAVE_UNIX_SOCKETS, from
 * pg_config_manual.h), always there from 16, which removed the macro.
 */
#if PG_VERSION_NUM >= 160000 || defined(HAVE_UNIX_SOCKETS)
#define LG_HAVE_UNIX_SOCKETS	1
#endif

/* ----------------------------------------------------------------
 * The PGPROC array (storage/proc.h)
 * ----------------------------------------------------------------
 */

/*
 * The PGPROC numbered procno: ProcGlobal->allProcs[procno] (PROC_HDR,
 * storage/proc.h, 15-18).  The first MaxConnections entries are the client
 * backends' (InitProcGlobal puts them on the freeProcs list), in 15-18.
 */
static inline PGPROC *
lifeguard_proc(int procno)
{
	return &ProcGlobal->allProcs[procno];
}

/* The length of that array: PROC_HDR.allProcCount (15-18) */
static inline int
lifeguard_proc_count(void)
{
	return (int) ProcGlobal->allProcCount;
}

/*
 * The number of a PGPROC, its index in ProcGlobal->allProcs: the field
 * PGPROC.pgprocno in 15 and 16; 17 removed it in favour of
 * GetNumberFromPGProc() (storage/proc.h).
 */
static inline int
lifeguard_proc_number(PGPROC *proc)
{
#if PG_VERSION_NUM >= 170000
	return (int) GetNumberFromPGProc(proc);
#else
	return proc->pgprocno;
#endif
}

/*
 * The pid of the process using this PGPROC, or 0 when it is on the free
 * list.  In use means: its latch has an owner.  InitProcess() takes the
 * latch (OwnLatch) right after taking the PGPROC off the free list, and
 * ProcKill() gives it up (DisownLatch) right before putting it back.  The
 * pid field cannot tell: PostgreSQL 15 leaves a client backend's pid in its
 * PGPROC after exit.  Read without a lock: a momentary view.  Relies on
 * PGPROC.procLatch (storage/proc.h) and Latch.owner_pid (storage/latch.h),
 * both still there in 18.
 */
static inline int
lifeguard_proc_pid(PGPROC *proc)
{
	return proc->procLatch.owner_pid;
}

/*
 * What the process of this PGPROC waits for: PGPROC.wait_event_info
 * (storage/proc.h, 15-18), as pg_stat_activity reads it, without a lock.
 */
static inline uint32
lifeguard_proc_wait_event_info(PGPROC *proc)
{
	return proc->wait_event_info;
}

/*
 * When its current heavyweight lock wait began, or 0 (also for a moment
 * after the wait began): PGPROC.waitStart, a pg_atomic_uint64 (14-18).
 */
static inline TimestampTz
lifeguard_proc_wait_start(PGPROC *proc)
{
	return (TimestampTz) pg_atomic_read_u64(&proc->waitStart);
}

/*
 * The database and the role of its session: PGPROC.databaseId and roleId
 * (15-18), InvalidOid while the backend is still starting up.
 */
static inline Oid
lifeguard_proc_database(PGPROC *proc)
{
	return proc->databaseId;
}

static inline Oid
lifeguard_proc_role(PGPROC *proc)
{
	return proc->roleId;
}

/*
 * Is this the PGPROC of a client backend: one of the first MaxConnections
 * (see lifeguard_proc) and not a background worker's.  15-17 have
 * PGPROC.isBackgroundWorker; 18 replaced it with isRegularBackend (true
 * only for a client backend).
 */
static inline bool
lifeguard_proc_is_client(PGPROC *proc)
{
#if PG_VERSION_NUM >= 180000
	if (!proc->isRegularBackend)
		return false;
#else
	if (proc->isBackgroundWorker)
		return false;
#endif
	return lifeguard_proc_number(proc) < MaxConnections;
}

/*
 * Are at least n PGPROCs free for client backends?  HaveNFreeProcs()
 * (storage/proc.h) counts the free list under its spinlock.  16 added an
 * output argument, the number it found.
 */
static inline bool
lifeguard_have_free_procs(int n)
{
#if PG_VERSION_NUM >= 160000
	int			nfree;

	return HaveNFreeProcs(n, &nfree);
#else
	return HaveNFreeProcs(n);
#endif
}

/*
 * Slots kept by PostgreSQL itself (postmaster/postmaster.h).
 * superuser_reserved_connections: the global ReservedBackends in 15,
 * renamed SuperuserReservedConnections in 16.  reserved_connections
 * (ReservedConnections, 16 on; none in 15): kept for roles with the
 * privileges of pg_use_reserved_connections, whose logins InitPostgres()
 * refuses only when fewer than superuser_reserved_connections slots are
 * free, other roles' when fewer than both together.  Superusers pass both.
 */
#if PG_VERSION_NUM >= 160000
#define LG_SUPERUSER_RESERVED	SuperuserReservedConnections
#define LG_ROLE_RESERVED		ReservedConnections
#define LG_USE_RESERVED_CONNECTIONS_ROLE	ROLE_PG_USE_RESERVED_CONNECTIONS
#else
#define LG_SUPERUSER_RESERVED	ReservedBackends
#define LG_ROLE_RESERVED		0
#define LG_USE_RESERVED_CONNECTIONS_ROLE	InvalidOid
#endif

/*
 * Does this pg_auth_members row pass the granted role's privileges on to
 * the member?  16 made that a property of each grant (the inherit_option
 * column, GRANT ... WITH INHERIT); in 15 it is the member role's
 * rolinherit, which only the walk's caller could look up, and it is only
 * asked in 16 on (for pg_use_reserved_connections): true.
 */
static inline bool
lifeguard_membership_inherits(HeapTuple tup)
{
#if PG_VERSION_NUM >= 160000
	return ((Form_pg_auth_members) GETSTRUCT(tup))->inherit_option;
#else
	return true;
#endif
}

/*
 * Does this wait_event_info say "waiting on a heavyweight lock"?  Its top
 * byte is the wait event class, PG_WAIT_LOCK for a lock (utils/wait_event.h,
 * 15-18).
 */
#define LIFEGUARD_WAITS_ON_LOCK(wait_event_info) \
	(((wait_event_info) & 0xFF000000) == PG_WAIT_LOCK)

/* ----------------------------------------------------------------
 * The backend status array (utils/backend_status.h)
 * ----------------------------------------------------------------
 */

/*
 * The BackendStatusArray is static in backend_status.c; it is found by its
 * shared memory index name, as backend_status.c sizes it: one
 * PgBackendStatus per possible backend and per auxiliary process,
 * MaxBackends + NUM_AUXPROCTYPES in 15 and 16.  17 removed NUM_AUXPROCTYPES
 * and sizes it MaxBackends + NUM_AUXILIARY_PROCS (storage/proc.h).
 */
#define LG_STATUS_ARRAY_NAME	"Backend Status Array"

static inline int
lifeguard_status_slots(void)
{
#if PG_VERSION_NUM >= 170000
	return MaxBackends + NUM_AUXILIARY_PROCS;
#else
	return MaxBackends + NUM_AUXPROCTYPES;
#endif
}

/*
 * The shared status array, found once per process.  It exists from
 * postmaster start; not finding it under its name, or finding it with
 * another size, means a server this code was not built for.
 */
static inline volatile PgBackendStatus *
lifeguard_status_array(void)
{
	static volatile PgBackendStatus *status_array = NULL;
	Size		size;
	bool		found;
	void	   *array;

	if (status_array != NULL)
		return status_array;

	size = mul_size(sizeof(PgBackendStatus), lifeguard_status_slots());
	array = ShmemInitStruct(LG_STATUS_ARRAY_NAME, size, &found);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shared memory structure \"%s\" not found",
						LG_STATUS_ARRAY_NAME),
				 errdetail("This build of pg_lifeguard does not match the running server.")));
	status_array = (volatile PgBackendStatus *) array;
	return status_array;
}

/* Find the shared status array now (raises the error above if absent) */
static inline void
lifeguard_status_attach(void)
{
	(void) lifeguard_status_array();
}

/* What pg_lifeguard uses of one status entry */
typedef struct LifeguardStatusCopy
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
} LifeguardStatusCopy;

/*
 * Copy what pg_lifeguard needs from shared status entry i, retrying while
 * its backend is writing it (the st_changecount protocol of
 * backend_status.h: pgstat_begin_read_activity and friends).  appname
 * (NAMEDATALEN bytes) is copied too when not NULL.  Returns false for an
 * unused entry.
 *
 * Fields: PgBackendStatus.st_procpid, st_backendType, st_userid,
 * st_databaseid, st_state, st_proc_start_timestamp,
 * st_xact_start_timestamp, st_activity_start_timestamp,
 * st_state_start_timestamp, st_appname (15-18).  18 fills the entry while
 * the backend authenticates, in state STATE_STARTING; such an entry counts
 * as unused here, as in 15, where it appears only once the login is
 * complete.
 */
static inline bool
lifeguard_status_read(int i, LifeguardStatusCopy *out, char *appname)
{
	volatile PgBackendStatus *be = &lifeguard_status_array()[i];

	/* all set, so that no compiler sees a field of an unused entry read */
	memset(out, 0, sizeof(LifeguardStatusCopy));
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
#if PG_VERSION_NUM >= 180000
	if (out->pid > 0 && out->state == STATE_STARTING)
		out->pid = 0;
#endif
	return out->pid > 0;
}

/*
 * The client address of shared status entry i: PgBackendStatus.st_clientaddr
 * (a SockAddr, 15-18), copied without the changecount protocol.
 */
static inline void
lifeguard_status_client_addr(int i, SockAddr *addr)
{
	*addr = lifeguard_status_array()[i].st_clientaddr;
}

/*
 * Look pid up in this transaction's snapshot of the status array (the one
 * pg_stat_activity reads, taken at the first call after
 * pgstat_clear_backend_activity_snapshot()).  Fills *out; *appname and
 * *activity_raw point into the snapshot (st_appname, st_activity_raw,
 * which pgstat_clip_activity() makes printable).  Returns false when no
 * entry has that pid.  The snapshot's entries are numbered from 1 and read
 * with pgstat_fetch_stat_local_beentry() in 15 and 16;
 * 17 renamed it pgstat_get_local_beentry_by_index().
 */
static inline bool
lifeguard_status_lookup(int pid, LifeguardStatusCopy *out,
						const char **appname, const char **activity_raw)
{
	int			nbe = pgstat_fetch_stat_numbackends();
	int			b;

	for (b = 1; b <= nbe; b++)
	{
#if PG_VERSION_NUM >= 170000
		LocalPgBackendStatus *local = pgstat_get_local_beentry_by_index(b);
#else
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(b);
#endif
		PgBackendStatus *be;

		if (local == NULL || local->backendStatus.st_procpid != pid)
			continue;
		be = &local->backendStatus;
		out->pid = be->st_procpid;
		out->type = be->st_backendType;
		out->roleid = be->st_userid;
		out->dbid = be->st_databaseid;
		out->state = be->st_state;
		out->backend_start = be->st_proc_start_timestamp;
		out->xact_start = be->st_xact_start_timestamp;
		out->activity_start = be->st_activity_start_timestamp;
		out->state_start = be->st_state_start_timestamp;
		*appname = be->st_appname;
		*activity_raw = be->st_activity_raw;
		return true;
	}
	return false;
}

/*
 * Backend states (BackendState, utils/backend_status.h).  15-17 have
 * STATE_UNDEFINED, IDLE, RUNNING, IDLEINTRANSACTION, FASTPATH,
 * IDLEINTRANSACTION_ABORTED and DISABLED; 18 added STATE_STARTING for a
 * backend still authenticating.
 */
static inline bool
lifeguard_state_is_idle(BackendState state)
{
	return state == STATE_IDLE;
}

static inline bool
lifeguard_state_is_idle_in_xact(BackendState state)
{
	return state == STATE_IDLEINTRANSACTION ||
		state == STATE_IDLEINTRANSACTION_ABORTED;
}

/* Does the backend report its activity (track_activities on)? */
static inline bool
lifeguard_state_is_tracked(BackendState state)
{
	return state != STATE_DISABLED && state != STATE_UNDEFINED;
}

/* The state as pg_stat_activity.state shows it, or NULL (undefined) */
static inline const char *
lifeguard_state_name(BackendState state)
{
	switch (state)
	{
		case STATE_IDLE:
			return "idle";
		case STATE_RUNNING:
			return "active";
		case STATE_IDLEINTRANSACTION:
			return "idle in transaction";
		case STATE_FASTPATH:
			return "fastpath function call";
		case STATE_IDLEINTRANSACTION_ABORTED:
			return "idle in transaction (aborted)";
		case STATE_DISABLED:
			return "disabled";
#if PG_VERSION_NUM >= 180000
		case STATE_STARTING:
			return "starting";
#endif
		case STATE_UNDEFINED:
			break;
	}
	return NULL;
}

/* ----------------------------------------------------------------
 * The lock manager (storage/lock.h)
 * ----------------------------------------------------------------
 */

/*
 * The lock modes that conflict with mode on the object of tag: the
 * conflictTab of its lock method (LockMethodData, GetLockTagsMethodTable(),
 * 15-18).
 */
static inline LOCKMASK
lifeguard_lock_conflicts(const LOCKTAG *tag, LOCKMODE mode)
{
	return GetLockTagsMethodTable(tag)->conflictTab[mode];
}

/*
 * What kind of object tag locks, as pg_locks.locktype shows it:
 * LockTagTypeNames[] indexed by LOCKTAG.locktag_type (15-18).
 */
static inline const char *
lifeguard_locktag_type_name(const LOCKTAG *tag)
{
	return LockTagTypeNames[tag->locktag_type];
}

/* The name of mode in tag's lock method, as pg_locks.mode shows it */
static inline const char *
lifeguard_lock_mode_name(const LOCKTAG *tag, LOCKMODE mode)
{
	return GetLockmodeName(tag->locktag_lockmethodid, mode);
}

/*
 * The relation that tag locks (whole, its extension, one of its pages or
 * tuples), when in the current database; otherwise InvalidOid.  LOCKTAG
 * fields for these types: locktag_field1 the database, locktag_field2 the
 * relation (the SET_LOCKTAG_* macros of storage/lock.h, 15-18).
 */
static inline Oid
lifeguard_locktag_relation(const LOCKTAG *tag)
{
	if ((tag->locktag_type == LOCKTAG_RELATION ||
		 tag->locktag_type == LOCKTAG_RELATION_EXTEND ||
		 tag->locktag_type == LOCKTAG_PAGE ||
		 tag->locktag_type == LOCKTAG_TUPLE) &&
		tag->locktag_field1 == MyDatabaseId)
		return (Oid) tag->locktag_field2;
	return InvalidOid;
}

/*
 * The lock that the commit of a NOTIFY takes: PreCommit_Notify()
 * (commands/async.c, 15-18) locks the shared object "database 0" of
 * pg_database in AccessExclusiveLock, server-wide.
 */
static inline void
lifeguard_set_notify_locktag(LOCKTAG *tag)
{
	SET_LOCKTAG_OBJECT(*tag, InvalidOid, DatabaseRelationId, InvalidOid, 0);
}

/* ----------------------------------------------------------------
 * PostgreSQL's own messages, matched in text
 * ----------------------------------------------------------------
 */

/*
 * The errors the cancel and terminate signals raise in the target backend
 * (ProcessInterrupts(), tcop/postgres.c), as ErrorData.message_id holds
 * them, and the error of a lock_timeout (same place; compared after
 * translation with _()).  The same text in 15-18.
 */
#define LG_CANCEL_MESSAGE		"canceling statement due to user request"
#define LG_TERMINATE_MESSAGE	"terminating connection due to administrator command"
#define LG_LOCK_TIMEOUT_MESSAGE	"canceling statement due to lock timeout"

/* ----------------------------------------------------------------
 * Other internals
 * ----------------------------------------------------------------
 */

/*
 * A setting, as the GUC table holds it (struct config_generic,
 * utils/guc_tables.h); read with lifeguard_guc_name() and _flags().
 */
typedef struct config_generic LifeguardGucVar;

/*
 * All settings, built-in and custom: get_guc_variables() (utils/guc_tables.h).
 * In 15 it returns the server's own array, whose length is
 * GetNumConfigOptions(); 16 removed GetNumConfigOptions() and returns a
 * palloc'd copy (in the current memory context), its length in *num.
 */
static inline LifeguardGucVar **
lifeguard_guc_variables(int *num)
{
#if PG_VERSION_NUM >= 160000
	return get_guc_variables(num);
#else
	*num = GetNumConfigOptions();
	return get_guc_variables();
#endif
}

/* A setting's name and its GUC_* flags: config_generic.name and .flags */
static inline const char *
lifeguard_guc_name(LifeguardGucVar *var)
{
	return var->name;
}

static inline int
lifeguard_guc_flags(LifeguardGucVar *var)
{
	return var->flags;
}

/*
 * The live tuples the cumulative statistics count for a table of this
 * database: PgStat_StatTabEntry.n_live_tuples from
 * pgstat_fetch_stat_tabentry() (pgstat.h); 16 renamed the field
 * live_tuples.  Returns false when there are no statistics for it.
 */
static inline bool
lifeguard_stat_live_tuples(Oid relid, int64 *live_tuples)
{
	PgStat_StatTabEntry *tab = pgstat_fetch_stat_tabentry(relid);

	if (tab == NULL)
		return false;
#if PG_VERSION_NUM >= 160000
	*live_tuples = tab->live_tuples;
#else
	*live_tuples = tab->n_live_tuples;
#endif
	return true;
}

/*
 * A WaitEventSet for nevents events: CreateWaitEventSet().  In 15 and 16 it
 * is allocated in cxt.  17 takes a ResourceOwner instead and allocates in
 * TopMemoryContext; NULL (no owner) keeps it until FreeWaitEventSet(), which
 * the caller calls as before.  18 moved it to storage/waiteventset.h.
 */
static inline WaitEventSet *
lifeguard_create_wait_event_set(MemoryContext cxt, int nevents)
{
#if PG_VERSION_NUM >= 170000
	return CreateWaitEventSet(NULL, nevents);
#else
	return CreateWaitEventSet(cxt, nevents);
#endif
}

/*
 * Are the critical shared relcache entries built (the shared relcache init
 * file was read)?  Until then pg_database cannot be scanned through its
 * index before a database is chosen.  The global
 * criticalSharedRelcachesBuilt (utils/relcache.h, 15-18).
 */
static inline bool
lifeguard_shared_relcache_ready(void)
{
	return criticalSharedRelcachesBuilt;
}

#endif							/* LIFEGUARD_COMPAT_H */
