/*-------------------------------------------------------------------------
 *
 * checks.c
 *		Partition and job checks: every lifeguard.check_interval, in every
 *		database of lifeguard.databases.
 *
 * The worker starts a short-lived "check worker" (a dynamic background
 * worker, not a client slot) for every database of lifeguard.databases,
 * its own included, one per database at a time, so that however long a
 * check takes, the worker's tick (and so enforcement) never waits for it.
 * Only when no background worker slot is free does the worker check its
 * own database itself, rather than not at all.  A check:
 *
 *	- reads every partitioned table's health (partitions.c) and reports a
 *	  default partition taking rows, partitions running out, and the
 *	  warnings (gaps, retention, pg_partman configuration);
 *	- reads the runs of registered pg_cron jobs from pg_cron's
 *	  job_run_details when pg_cron lives in this database, finding its
 *	  tables through pg_extension and pg_depend (lifeguard._cron_ingest());
 *	- reads every job's status from lifeguard.jobs and reports late,
 *	  failing, escalated and recovered jobs.
 *
 * What was last reported lives in this duty's shared memory
 * (LifeguardAlert, checks.h), so a state is reported when it changes, and
 * an escalated job or a critical table again every lifeguard.alert_repeat,
 * not at every check.
 *
 * Locking protocol.  CheckState->lock (LWLock) protects "checks" and
 * alerts[].  Only the processes running checks (the worker, and the check
 * workers it starts for other databases) take it LW_EXCLUSIVE, to compare
 * one table's or job's state with what was last reported and update the
 * entry: a scan of LIFEGUARD_MAX_ALERTS entries, no palloc, no ereport;
 * the event is recorded after it is released.  lifeguard_alerts_copy()
 * (metrics, /health) takes it LW_SHARED for one copy.  A user session
 * never takes it otherwise, and nothing else is locked while it is held.
 *
 * Never waiting: every table and catalog a check reads or writes is locked
 * with ConditionalLockRelationOid first, and the part is skipped until the
 * next check when a lock is not granted at once; job rows a user session
 * has locked are skipped (SKIP LOCKED).  lock_timeout is set as a safety
 * net only.  Each part runs in its own subtransaction: an error is counted,
 * and the other parts still run.  A part that fails at every check (a
 * damaged table) is reported once per database, as a worker_error event
 * when it starts failing and a worker_recovered event when it works again;
 * a note in the alert table remembers which parts are failing, since each
 * check of another database is made by a new process.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "checks/checks.h"
#include "checks/partitions.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/shmem.h"
#include "core/worker.h"
#include "core/xact.h"

/* Job levels, in order of gravity */
#define JOB_OK			0
#define JOB_LATE		1
#define JOB_FAILING		2
#define JOB_ESCALATED	3

/* The safety net: no lock a check takes should ever need to wait */
#define LG_CHECK_LOCK_TIMEOUT	"500ms"

/* Check workers the worker has started, by database */
typedef struct CheckWorker
{
	char		database[NAMEDATALEN];
	BackgroundWorkerHandle *handle;
	bool		missing;		/* said that the database does not exist */
} CheckWorker;

static CheckWorker check_workers[LIFEGUARD_MAX_CHECK_DATABASES];
static TimestampTz last_checks_at = 0;

/* The duty's shared memory; see "Locking protocol" above */
typedef struct CheckState
{
	LWLock	   *lock;
	uint64		checks;			/* checks started, all databases */
	LifeguardAlert alerts[LIFEGUARD_MAX_ALERTS];
} CheckState;

static CheckState *Checks = NULL;

static Size
checks_shmem_size(void)
{
	return sizeof(CheckState);
}

static void
checks_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	Checks = (CheckState *) ptr;
	if (!found)
		Checks->lock = &locks[0].lock;
}

static const LifeguardEventSubject *
check_subject(const char *dbname)
{
	static LifeguardEventSubject subject;

	subject.pid = MyProcPid;
	subject.database = dbname;
	return &subject;
}

/*
 * The entry of this database's table (relid) or job (job), or NULL; with
 * free_entry, also the first unused entry.  Caller holds alert_lock.
 */
static LifeguardAlert *
alert_find(Oid relid, const char *job, LifeguardAlert **free_entry)
{
	int			i;

	for (i = 0; i < LIFEGUARD_MAX_ALERTS; i++)
	{
		LifeguardAlert *a = &Checks->alerts[i];

		if (a->dbid == InvalidOid)
		{
			if (free_entry != NULL && *free_entry == NULL)
				*free_entry = a;
			continue;
		}
		if (a->dbid == MyDatabaseId && a->relid == relid &&
			strcmp(a->job, job) == 0)
			return a;
	}
	return NULL;
}

/*
 * Compare a table's or job's state with what was last reported, and keep
 * it.  Returns true when it must be reported now: its level or problems
 * changed, or it repeats and alert_repeat has passed.
 */
static bool
alert_update(Oid relid, const char *table, const char *job, int level,
			 int flags, bool repeats, uint64 check, TimestampTz now)
{
	LifeguardAlert *e;
	LifeguardAlert *free_entry = NULL;
	bool		report;

	LWLockAcquire(Checks->lock, LW_EXCLUSIVE);
	e = alert_find(relid, job, &free_entry);

	if (e == NULL)
		report = (level != 0);
	else
		report = (level != e->level || flags != e->flags ||
				  (repeats && level != 0 &&
				   TimestampDifferenceExceeds(e->reported_at, now,
											  lifeguard_alert_repeat * 1000)));

	if (level == 0)
	{
		if (e != NULL)
			memset(e, 0, sizeof(LifeguardAlert));
	}
	else
	{
		if (e == NULL && free_entry != NULL)
		{
			e = free_entry;
			e->dbid = MyDatabaseId;
			e->relid = relid;
			strlcpy(e->job, job, NAMEDATALEN);
			lifeguard_copy_clipped(e->table, table, sizeof(e->table));
		}
		/* with the table full, every check reports it: noisy, not silent */
		if (e != NULL)
		{
			e->level = level;
			e->flags = flags;
			e->check = check;
			if (report)
				e->reported_at = now;
		}
	}
	LWLockRelease(Checks->lock);

	return report;
}

/* Keep what was last reported about a table or job, as seen by this check */
static void
alert_touch(Oid relid, const char *job, uint64 check)
{
	LifeguardAlert *e;

	LWLockAcquire(Checks->lock, LW_EXCLUSIVE);
	e = alert_find(relid, job, NULL);
	if (e != NULL)
		e->check = check;
	LWLockRelease(Checks->lock);
}

/* Forget what this database's last check reported about things now gone */
static void
alert_sweep(uint64 check)
{
	int			i;

	LWLockAcquire(Checks->lock, LW_EXCLUSIVE);
	for (i = 0; i < LIFEGUARD_MAX_ALERTS; i++)
	{
		LifeguardAlert *a = &Checks->alerts[i];

		if (a->dbid == MyDatabaseId && a->check != check)
			memset(a, 0, sizeof(LifeguardAlert));
	}
	LWLockRelease(Checks->lock);
}

/* Lock a relation by name, without waiting; false when absent or busy */
static bool
try_lock(const char *nspname, const char *relname, LOCKMODE mode)
{
	Oid			nsp = get_namespace_oid(nspname, true);
	Oid			relid;

	if (!OidIsValid(nsp))
		return false;
	relid = get_relname_relid(relname, nsp);
	return OidIsValid(relid) && ConditionalLockRelationOid(relid, mode);
}

static void
check_partitions(const char *dbname, uint64 check, TimestampTz now)
{
	List	   *tables;
	ListCell   *lc;

	if (!lifeguard_partitions_scan(false, &tables))
	{
		elog(DEBUG1, "partition check skipped: the partition catalogs are locked");
		return;
	}

	foreach(lc, tables)
	{
		LifeguardPartitionHealth *h = lfirst(lc);
		LifeguardEventKind kind;
		LifeguardSeverity severity;
		StringInfoData detail;
		ListCell   *plc;

		/*
		 * A default partition that could not be probed (its lock was not
		 * granted) and whose statistics say nothing: keep what was last
		 * reported rather than flap to ok and back.
		 */
		if (h->default_inconclusive && !(h->flags & LG_PART_DEFAULT_ROWS))
		{
			alert_touch(h->parent, "", check);
			continue;
		}

		if (!alert_update(h->parent, h->name, "", (int) h->status, h->flags,
						  h->status == LG_LEVEL_CRITICAL, check, now))
			continue;

		if (h->flags & LG_PART_DEFAULT_ROWS)
			kind = LG_EVENT_DEFAULT_PARTITION_ROWS;
		else if (h->flags & (LG_PART_UNCOVERED | LG_PART_NO_PARTITIONS |
							 LG_PART_RUNNING_OUT))
			kind = LG_EVENT_PARTITIONS_RUNNING_OUT;
		else if (h->flags != 0)
			kind = LG_EVENT_PARTITION_WARNING;
		else
			kind = LG_EVENT_PARTITION_OK;

		severity = (h->status == LG_LEVEL_CRITICAL) ? LG_SEVERITY_CRITICAL :
			(h->status == LG_LEVEL_WARNING) ? LG_SEVERITY_WARNING :
			LG_SEVERITY_INFO;

		initStringInfo(&detail);
		appendStringInfo(&detail, "%s: ", h->name);
		if (h->problems == NIL)
			appendStringInfoString(&detail, "no problems any more");
		foreach(plc, h->problems)
			appendStringInfo(&detail, "%s%s",
							 foreach_current_index(plc) > 0 ? "; " : "",
							 (char *) lfirst(plc));
		lifeguard_event_record(kind, severity, check_subject(dbname),
							   NULL, NULL, "%s", detail.data);
	}
}

static int
job_level(const char *status)
{
	if (strcmp(status, "late") == 0)
		return JOB_LATE;
	if (strcmp(status, "failing") == 0)
		return JOB_FAILING;
	if (strcmp(status, "escalated") == 0)
		return JOB_ESCALATED;
	return JOB_OK;
}

/* The note kept about pg_cron's tables (checks.h, LIFEGUARD_ALERT_NOTE) */
#define CRON_NOTE	"(pg_cron tables)"

/*
 * Is there a relation named like pg_cron's in a schema called "cron",
 * although pg_cron is not installed here?  Looked up by name only to say
 * so: nothing in it is ever read.
 */
static bool
cron_lookalike_exists(void)
{
	Oid			nsp = get_namespace_oid("cron", true);

	return OidIsValid(nsp) &&
		(OidIsValid(get_relname_relid("job_run_details", nsp)) ||
		 OidIsValid(get_relname_relid("job", nsp)));
}

/*
 * Runs of registered pg_cron jobs, when pg_cron lives in this database.
 * Its two tables are found through pg_extension and must be members of the
 * pg_cron extension and ordinary tables; a schema that merely has pg_cron's
 * name, or a table some role put in pg_cron's schema, is never read, and
 * is said once with an untrusted_object event.
 */
static void
ingest_cron_runs(const char *dbname, uint64 check, TimestampTz now)
{
	Oid			details;
	Oid			jobs;
	const char *why;
	const char *why_jobs;
	bool		busy;
	bool		busy_jobs;
	Oid			argtypes[2] = {REGCLASSOID, REGCLASSOID};
	Datum		args[2];
	int			ret;

	if (RecoveryInProgress())
		return;
	details = lifeguard_extension_table("pg_cron", "job_run_details",
										&why, &busy);
	jobs = lifeguard_extension_table("pg_cron", "job", &why_jobs, &busy_jobs);
	if (busy || busy_jobs)
	{
		/* nothing known: keep what was said, try at the next check */
		alert_touch(InvalidOid, CRON_NOTE, check);
		return;
	}
	if (why == NULL)
		why = why_jobs;
	if (why == NULL && !OidIsValid(details) && cron_lookalike_exists())
		why = "schema \"cron\" has tables named like pg_cron's, but the pg_cron extension is not installed in this database";
	if (alert_update(InvalidOid, "", CRON_NOTE, why != NULL ? 1 : 0, 0,
					 false, check, now) && why != NULL)
		lifeguard_event_record(LG_EVENT_UNTRUSTED_OBJECT, LG_SEVERITY_WARNING,
							   check_subject(dbname), NULL, NULL,
							   "%s: pg_cron runs are not read from it", why);
	if (!OidIsValid(details) || !OidIsValid(jobs))
		return;

	if (!ConditionalLockRelationOid(details, AccessShareLock) ||
		!ConditionalLockRelationOid(jobs, AccessShareLock))
		return;
	if (!try_lock("lifeguard", "job_registry", RowExclusiveLock) ||
		!try_lock("lifeguard", "job_runs", RowExclusiveLock))
	{
		elog(DEBUG1, "pg_cron runs not read: the job tables are locked");
		return;
	}
	args[0] = ObjectIdGetDatum(details);
	args[1] = ObjectIdGetDatum(jobs);
	ret = SPI_execute_with_args("SELECT lifeguard._cron_ingest($1, $2)",
								2, argtypes, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "lifeguard._cron_ingest() failed: %s",
			 SPI_result_code_string(ret));
}

static void
check_jobs(const char *dbname, uint64 check, TimestampTz now)
{
	uint64		i;
	int			ret;

	if (!try_lock("lifeguard", "jobs", AccessShareLock) ||
		!try_lock("lifeguard", "job_registry", AccessShareLock))
	{
		elog(DEBUG1, "job check skipped: lifeguard.jobs is locked");
		return;
	}

	ret = SPI_execute("SELECT name, status, consecutive_failures::pg_catalog.int4,"
					  " coalesce(last_error, '(none)'),"
					  " coalesce(last_succeeded::pg_catalog.text, 'never'),"
					  " expected_every, escalate_after"
					  " FROM lifeguard.jobs", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read lifeguard.jobs: %s",
			 SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 1);
		char	   *status = SPI_getvalue(tup, desc, 2);
		bool		isnull;
		int			failures = DatumGetInt32(SPI_getbinval(tup, desc, 3,
														   &isnull));
		char	   *error = SPI_getvalue(tup, desc, 4);
		char	   *succeeded = SPI_getvalue(tup, desc, 5);
		int			level = job_level(status);

		if (!alert_update(InvalidOid, "", name, level, 0,
						  level == JOB_ESCALATED, check, now))
			continue;

		switch (level)
		{
			case JOB_LATE:
				lifeguard_event_record(LG_EVENT_JOB_LATE, LG_SEVERITY_WARNING,
									   check_subject(dbname), NULL, NULL,
									   "job \"%s\" is late: last success %s, expected every %s",
									   name, succeeded,
									   SPI_getvalue(tup, desc, 6));
				break;
			case JOB_FAILING:
				lifeguard_event_record(LG_EVENT_JOB_FAILING, LG_SEVERITY_WARNING,
									   check_subject(dbname), NULL, NULL,
									   failures == 1 ?
									   "job \"%s\" is failing: %d failure in a row, last error: %s" :
									   "job \"%s\" is failing: %d failures in a row, last error: %s",
									   name, failures, error);
				break;
			case JOB_ESCALATED:
				lifeguard_event_record(LG_EVENT_JOB_ESCALATED, LG_SEVERITY_CRITICAL,
									   check_subject(dbname), NULL, NULL,
									   failures == 1 ?
									   "job \"%s\" escalated: last success %s, escalate_after %s, %d failure in a row, last error: %s" :
									   "job \"%s\" escalated: last success %s, escalate_after %s, %d failures in a row, last error: %s",
									   name, succeeded,
									   SPI_getvalue(tup, desc, 7),
									   failures, error);
				break;
			default:
				lifeguard_event_record(LG_EVENT_JOB_RECOVERED, LG_SEVERITY_INFO,
									   check_subject(dbname), NULL, NULL,
									   "job \"%s\" is ok again: last success %s",
									   name, succeeded);
				break;
		}
	}
}

typedef enum CheckPart
{
	PART_PARTITIONS,
	PART_CRON,
	PART_JOBS
} CheckPart;

/* The parts' names in messages, in CheckPart's order */
static const char *const part_names[] = {
	"partition check", "pg_cron check", "job check"
};

/*
 * The notes (checks.h, LIFEGUARD_ALERT_NOTE) that keep, per database, which
 * parts are failing, so that a run of failures is reported once even when
 * each check is made by a new check worker; in CheckPart's order.
 */
static const char *const part_notes[] = {
	"(partition check failing)", "(pg_cron check failing)", "(job check failing)"
};

/* What one part of a check needs, for run_part_body() */
typedef struct PartRun
{
	CheckPart	part;
	const char *dbname;
	uint64		check;
	TimestampTz now;
} PartRun;

static void
run_part_body(void *arg)
{
	PartRun    *run = (PartRun *) arg;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	switch (run->part)
	{
		case PART_PARTITIONS:
			check_partitions(run->dbname, run->check, run->now);
			break;
		case PART_CRON:
			ingest_cron_runs(run->dbname, run->check, run->now);
			break;
		case PART_JOBS:
			check_jobs(run->dbname, run->check, run->now);
			break;
	}
	SPI_finish();
}

/*
 * One part of a check, in a subtransaction: an error is counted, and the
 * check goes on with the next part.  The first error of a run of failures
 * in this database is also logged and recorded as a worker_error event,
 * and the first success after them as worker_recovered (worker.c); the
 * part's note in shared memory says which is which.
 */
static void
run_part(CheckPart part, const char *dbname, uint64 check, TimestampTz now)
{
	PartRun		run = {part, dbname, check, now};
	ErrorData  *edata;
	bool		changed;

	edata = lifeguard_run_subxact(run_part_body, &run);
	changed = alert_update(InvalidOid, "", part_notes[part],
						   edata != NULL ? 1 : 0, 0, false, check, now);
	if (edata != NULL)
	{
		lifeguard_report_part_failure(part_names[part], dbname,
									  edata->message, changed);
		FreeErrorData(edata);
	}
	else if (changed)
		lifeguard_report_part_recovery(part_names[part], dbname);
}

/*
 * Check the database this process is connected to, in one transaction.
 */
static void
run_checks(const char *dbname, bool own)
{
	TimestampTz now;
	uint64		check;
	bool		installed = false;

	if (lifeguard_debug_check_delay > 0)
	{
		ereport(LOG,
				(errmsg_internal("waiting %d ms (lifeguard.debug_check_delay) before checking database \"%s\"",
								 lifeguard_debug_check_delay, dbname)));
		lifeguard_sleep_ms(lifeguard_debug_check_delay);
	}
	now = GetCurrentTimestamp();

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) set_config_option("lock_timeout", LG_CHECK_LOCK_TIMEOUT,
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	PushActiveSnapshot(GetTransactionSnapshot());

	LWLockAcquire(Checks->lock, LW_EXCLUSIVE);
	check = ++Checks->checks;
	LWLockRelease(Checks->lock);

	if (ConditionalLockRelationOid(ExtensionRelationId, AccessShareLock))
		installed = OidIsValid(get_extension_oid(LIFEGUARD_EXTENSION, true));
	else
	{
		/* pg_extension busy: keep what was known, try at the next check */
		PopActiveSnapshot();
		CommitTransactionCommand();
		return;
	}

	/*
	 * Say once that a listed database lacks the extension (the worker says
	 * so itself for its own database).
	 */
	if (alert_update(InvalidOid, "", "", installed ? 0 : 1, 0, false, check, now) &&
		!installed && !own)
		ereport(LOG,
				(errmsg("extension \"%s\" is not installed in database \"%s\"",
						LIFEGUARD_EXTENSION, dbname),
				 errdetail("Its partitions and jobs are not checked."),
				 errhint("Run CREATE EXTENSION %s in database \"%s\", or remove it from lifeguard.databases.",
						 LIFEGUARD_EXTENSION, dbname)));

	if (installed)
	{
		run_part(PART_PARTITIONS, dbname, check, now);
		run_part(PART_CRON, dbname, check, now);
		run_part(PART_JOBS, dbname, check, now);
		alert_sweep(check);
	}

	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * Does the database exist?  Asked in a short transaction of the worker's
 * own; when pg_database is busy, the answer is yes (the check worker will
 * find out).
 */
static bool
database_exists(const char *dbname)
{
	bool		exists = true;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (ConditionalLockRelationOid(DatabaseRelationId, AccessShareLock))
		exists = OidIsValid(get_database_oid(dbname, true));
	CommitTransactionCommand();
	return exists;
}

/*
 * Start a check worker for dbname, unless the last one is still running.
 * Returns false when none could be registered (no free background worker
 * slot), true otherwise.
 */
static bool
start_check_worker(const char *dbname)
{
	CheckWorker *slot = NULL;
	BackgroundWorker worker;
	MemoryContext oldcxt;
	bool		started = true;
	int			i;

	for (i = 0; i < LIFEGUARD_MAX_CHECK_DATABASES; i++)
	{
		CheckWorker *cw = &check_workers[i];

		if (cw->database[0] != '\0' && strcmp(cw->database, dbname) == 0)
		{
			slot = cw;
			break;
		}
		if (slot == NULL && cw->database[0] == '\0')
			slot = cw;
	}
	if (slot == NULL)
		return true;			/* cannot happen: the list is bounded */
	strlcpy(slot->database, dbname, NAMEDATALEN);

	/* a database that does not exist is said once, not tried every time */
	if (!database_exists(dbname))
	{
		if (!slot->missing)
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_DATABASE),
					 errmsg("database \"%s\" in lifeguard.databases does not exist",
							dbname),
					 errhint("Create it, or remove it from lifeguard.databases.")));
		slot->missing = true;
		return true;
	}
	slot->missing = false;

	if (slot->handle != NULL)
	{
		pid_t		pid;

		if (GetBackgroundWorkerPid(slot->handle, &pid) != BGWH_STOPPED)
		{
			elog(DEBUG1, "check of database \"%s\" is still running",
				 dbname);
			return true;
		}
		pfree(slot->handle);
		slot->handle = NULL;
	}

	lifeguard_describe_worker(&worker, "pg_lifeguard check",
							  "lifeguard_check_main", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_lifeguard check of %s", dbname);
	strlcpy(worker.bgw_extra, dbname, BGW_EXTRALEN);
	worker.bgw_notify_pid = MyProcPid;

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &slot->handle))
	{
		started = false;
		slot->handle = NULL;
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a worker to check database \"%s\"",
						dbname),
				 errhint("Raise max_worker_processes: each database in lifeguard.databases other than lifeguard.database needs one while it is checked.")));
	}
	MemoryContextSwitchTo(oldcxt);
	return started;
}

/*
 * The duty's tick: when check_interval has passed, start a check worker
 * for every database of lifeguard.databases.
 */
static void
checks_tick(LifeguardTick *tick)
{
	TimestampTz now = tick->now;
	char	   *rawstring;
	List	   *names;
	ListCell   *lc;
	bool		own = false;

	if (last_checks_at != 0 &&
		!TimestampDifferenceExceeds(last_checks_at, now,
									lifeguard_check_interval * 1000))
		return;
	last_checks_at = now;

	rawstring = pstrdup(lifeguard_databases);
	if (!SplitIdentifierString(rawstring, ',', &names))
		names = NIL;			/* the check hook does not let this happen */
	if (names == NIL)
		own = true;
	foreach(lc, names)
	{
		const char *dbname = lfirst(lc);

		if (strcmp(dbname, lifeguard_database) == 0)
			own = true;
		else
			(void) start_check_worker(dbname);
	}

	/*
	 * The worker's own database is checked by a check worker too, so that
	 * a slow check never delays enforcement; here only when no background
	 * worker slot is free (start_check_worker() warned).
	 */
	if (own && !start_check_worker(lifeguard_database))
		run_checks(lifeguard_database, true);
}

/*
 * Entry point of a check worker: connect to the database named in
 * bgw_extra, check it once, exit.  Never restarted; the worker starts a
 * new one at the next check_interval.
 */
void
lifeguard_check_main(Datum main_arg)
{
	char		dbname[NAMEDATALEN];

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (!lifeguard_shmem_attached())
		elog(FATAL, "shared memory of pg_lifeguard is not initialized");

	strlcpy(dbname, MyBgworkerEntry->bgw_extra, NAMEDATALEN);
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	/* before any SQL: names resolve in pg_catalog alone (privileges.c) */
	lifeguard_pin_worker_search_path();
	pgstat_report_appname("pg_lifeguard check");
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);

	run_checks(dbname, strcmp(dbname, lifeguard_database) == 0);
	proc_exit(0);
}

/*
 * Copy what the checks last reported that is a problem (tables and jobs,
 * not the notes) into dst (LIFEGUARD_MAX_ALERTS entries); returns how
 * many, and the number of checks started in *checks.
 */
int
lifeguard_alerts_copy(LifeguardAlert *dst, uint64 *checks)
{
	int			n = 0;
	int			i;

	*checks = 0;
	if (Checks == NULL)
		return 0;
	LWLockAcquire(Checks->lock, LW_SHARED);
	*checks = Checks->checks;
	for (i = 0; i < LIFEGUARD_MAX_ALERTS; i++)
	{
		LifeguardAlert *a = &Checks->alerts[i];

		if (OidIsValid(a->dbid) && a->level > 0 &&
			(OidIsValid(a->relid) ||
			 (a->job[0] != '\0' && a->job[0] != LIFEGUARD_ALERT_NOTE)))
			memcpy(&dst[n++], a, sizeof(LifeguardAlert));
	}
	LWLockRelease(Checks->lock);
	return n;
}

/*
 * The partitions and jobs duty: the alerts in shared memory, and the
 * checks every check_interval.  They only observe.
 */
const LifeguardDuty lifeguard_checks_duty = {
	.name = "partition and job checks",
	.shmem = {"pg_lifeguard checks", checks_shmem_size, 1, checks_shmem_attach},
	.tick = checks_tick,
};
