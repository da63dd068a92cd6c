/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The pg_lifeguard background worker: one latch loop, one tick per
 *		lifeguard.naptime.
 *
 * The worker starts as soon as the server reaches a consistent state (so it
 * also runs on a hot standby) and connects to lifeguard.database for life.
 * Each tick it does the work of every duty that is due; catalog work runs in
 * a short transaction, and only every LIFEGUARD_CATALOG_RECHECK_MS or when
 * something changed, so the steady-state tick touches shared memory only.
 *
 * Surviving its own errors.  A tick is a sequence of parts, each of which
 * can fail on its own: checking for the extension, reloading the policies,
 * and each duty (slots and idle shedding, time limits, partition and job
 * checks, the event log); inside some duties, each table they read or write
 * is a part of its own (checks.c, eventlog.c).  An ERROR in a part aborts
 * that part's transaction and nothing else: the tick goes on with the next
 * part, and what the failed part last published stays in force (a policy
 * reload that fails keeps the policies in force enforced).  A part that
 * fails is retried when it is next due, so a damaged table
 * (lifeguard.policies missing a column, say) fails at every try; each run
 * of failures is therefore reported once, when it starts (a WARNING and a
 * worker_error event), counted every time (worker_status().errors and
 * last_error), and its end once (a worker_recovered event), so repairing
 * the table is all it takes.  An ERROR outside every part, or one that
 * must not be survived where it happens (a cancel, running out of memory),
 * ends the tick: it is logged, counted and recorded as a worker_error event
 * (the same message at most once a minute), its transaction is aborted,
 * and the loop goes on after a pause.  A FATAL (for example from
 * pg_terminate_backend, which the standard "die" handler turns into one at
 * the next CHECK_FOR_INTERRUPTS) exits with status 1, and the postmaster
 * starts a new worker after LIFEGUARD_RESTART_SECONDS.  Nothing here exits
 * with another status: that would make the postmaster restart the whole
 * cluster.
 *
 * Never stalling: the worker commits with synchronous_commit = local (a
 * commit must not wait for a dead synchronous standby), and takes catalog
 * locks only conditionally, skipping the check when they are not granted at
 * once.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/lifeguard.h"
#include "checks/checks.h"
#include "limits/enforce.h"
#include "events/eventlog.h"
#include "events/events.h"
#include "policy/policy.h"
#include "core/shmem.h"
#include "slots/slots.h"
#include "core/worker.h"

PG_FUNCTION_INFO_V1(lifeguard_worker_status);

/* Seconds the postmaster waits before starting a worker that exited */
#define LIFEGUARD_RESTART_SECONDS		5

/* How often the worker rechecks the catalogs when nothing told it to */
#define LIFEGUARD_CATALOG_RECHECK_MS	5000

/* Shortest pause after a failed tick, so an error repeats at most once a second */
#define LIFEGUARD_ERROR_PAUSE_MS		1000

/* The same error is recorded as an event at most once per this interval */
#define LIFEGUARD_ERROR_EVENT_MS		60000

#define WORKER_STATUS_COLS	18

/* Whether the extension exists in lifeguard.database; -1 before the first check */
static int	extension_state = -1;
static TimestampTz last_catalog_check = 0;

/* Per-tick allocations, reset after every tick */
static MemoryContext tick_context = NULL;

/* Last error recorded as an event, to keep repeats out of the ring */
static char last_error_event[LIFEGUARD_ERROR_LEN];
static TimestampTz last_error_event_at = 0;

/*
 * Describe one of pg_lifeguard's background workers: shared memory and a
 * connection (to a database, or to none), started once the server reaches
 * a consistent state (so on a hot standby too), restarted after
 * restart_seconds (BGW_NEVER_RESTART: never).  The name is also its type.
 */
void
lifeguard_describe_worker(BackgroundWorker *worker, const char *name,
						  const char *function, int restart_seconds)
{
	memset(worker, 0, sizeof(BackgroundWorker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_ConsistentState;
	worker->bgw_restart_time = restart_seconds;
	strlcpy(worker->bgw_library_name, "pg_lifeguard", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_name, name, BGW_MAXLEN);
	strlcpy(worker->bgw_type, name, BGW_MAXLEN);
}

/*
 * Register the worker; called from _PG_init in the postmaster.
 */
void
lifeguard_register_worker(void)
{
	BackgroundWorker worker;

	lifeguard_describe_worker(&worker, "pg_lifeguard", "lifeguard_worker_main",
							  LIFEGUARD_RESTART_SECONDS);
	strlcpy(worker.bgw_name, "pg_lifeguard worker", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * Wake the worker so it ticks now rather than at the end of its nap.
 */
void
lifeguard_wake_worker(void)
{
	Latch	   *latch;

	if (LifeguardState == NULL)
		return;

	SpinLockAcquire(&LifeguardState->mutex);
	latch = LifeguardState->worker.latch;
	SpinLockRelease(&LifeguardState->mutex);

	if (latch != NULL)
		SetLatch(latch);
}

/*
 * Publish the pg_lifeguard settings this worker has in force, as a JSON
 * object of name (without the "lifeguard." prefix) to the value SHOW would
 * print.  Every lifeguard.* setting appears without being listed here;
 * developer options (GUC_NO_SHOW_ALL) and secrets (GUC_SUPERUSER_ONLY:
 * lifeguard.http_token) are left out.
 */
static void
publish_settings(void)
{
	struct config_generic **vars = get_guc_variables();
	int			nvars = GetNumConfigOptions();
	const char *prefix = LIFEGUARD_GUC_PREFIX ".";
	Size		prefixlen = strlen(prefix);
	MemoryContext oldcxt;
	StringInfoData buf;
	bool		first = true;
	int			i;

	oldcxt = MemoryContextSwitchTo(tick_context);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < nvars; i++)
	{
		struct config_generic *var = vars[i];
		char	   *value;

		if (strncmp(var->name, prefix, prefixlen) != 0 ||
			(var->flags & GUC_NO_SHOW_ALL) ||
			(var->flags & GUC_SUPERUSER_ONLY) ||
			(var->flags & GUC_CUSTOM_PLACEHOLDER))
			continue;

		value = GetConfigOptionByName(var->name, NULL, false);
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, var->name + prefixlen);
		appendStringInfoString(&buf, ": ");
		escape_json(&buf, value ? value : "");
	}
	appendStringInfoChar(&buf, '}');

	if (buf.len >= LIFEGUARD_SETTINGS_LEN)
	{
		ereport(WARNING,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("settings are too long to publish"),
				 errdetail("The lifeguard.* settings take %d bytes, more than fit in shared memory; worker_status() shows none until they are shorter.",
						   buf.len)));
		resetStringInfo(&buf);
		appendStringInfoString(&buf, "{}");
	}

	SpinLockAcquire(&LifeguardState->mutex);
	memcpy(LifeguardState->worker.settings, buf.data, buf.len + 1);
	SpinLockRelease(&LifeguardState->mutex);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(tick_context);
}

/*
 * The worker itself, as the subject of its own events.
 */
static const LifeguardEventSubject *
worker_subject(void)
{
	static LifeguardEventSubject self;

	self.pid = MyProcPid;
	self.database = lifeguard_database;
	return &self;
}

static void
set_phase(LifeguardWorkerPhase phase)
{
	SpinLockAcquire(&LifeguardState->mutex);
	LifeguardState->worker.phase = phase;
	SpinLockRelease(&LifeguardState->mutex);
}

/*
 * A part failed: count it and keep its message for worker_status(); when
 * "first" (a run of failures starts), also log it as a WARNING and record
 * a worker_error event, else only at DEBUG1.  database is the one the part
 * works in.  Outside any lock.
 */
void
lifeguard_report_part_failure(const char *part, const char *database,
							  const char *message, bool first)
{
	LifeguardEventSubject subject = {MyProcPid, NULL, database, NULL};
	char		text[LIFEGUARD_ERROR_LEN];

	/* cut at a character boundary, before the spinlock is taken */
	lifeguard_copy_clipped(text, psprintf("%s failed: %s", part, message),
						   sizeof(text));
	SpinLockAcquire(&LifeguardState->mutex);
	LifeguardState->worker.errors++;
	memcpy(LifeguardState->worker.last_error, text, sizeof(text));
	SpinLockRelease(&LifeguardState->mutex);

	if (!first)
	{
		elog(DEBUG1, "%s in database \"%s\" failed again: %s",
			 part, database, message);
		return;
	}
	ereport(WARNING,
			(errmsg("%s in database \"%s\" failed: %s",
					part, database, message),
			 errdetail("The worker goes on with its other work and tries this again when it is next due; further failures are only counted until it works again.")));
	lifeguard_event_record(LG_EVENT_WORKER_ERROR, LG_SEVERITY_WARNING,
						   &subject, NULL, NULL, "%s failed: %s",
						   part, message);
}

/*
 * A part that was failing works again: record a worker_recovered event.
 */
void
lifeguard_report_part_recovery(const char *part, const char *database)
{
	LifeguardEventSubject subject = {MyProcPid, NULL, database, NULL};

	lifeguard_event_record(LG_EVENT_WORKER_RECOVERED, LG_SEVERITY_INFO,
						   &subject, NULL, NULL, "%s works again", part);
}

/*
 * A part of this process's work ran: edata is the error it raised, or NULL
 * when it succeeded.  Reports the start and the end of a run of failures
 * once each.
 */
void
lifeguard_part_done(LifeguardPart *part, const char *database,
					ErrorData *edata)
{
	if (edata != NULL)
	{
		lifeguard_report_part_failure(part->name, database,
									  edata->message ? edata->message : "unknown error",
									  !part->failing);
		part->failing = true;
	}
	else if (part->failing)
	{
		lifeguard_report_part_recovery(part->name, database);
		part->failing = false;
	}
}

/*
 * Run body(arg) as one part of the tick: an ERROR it raises aborts its
 * transaction (and any subtransaction, SPI connection, lock or snapshot it
 * left), and is reported (lifeguard_part_done) instead of ending the tick.
 * An error that must pass on (a cancel, out of memory) is thrown again, to
 * end the tick.  The caller's memory context is current again either way.
 */
static void
run_part(LifeguardPart *part, void (*body) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		body(arg);
	}
	PG_CATCH();
	{
		edata = lifeguard_catch_error(cxt);
		HOLD_INTERRUPTS();
		AbortOutOfAnyTransaction();
		LWLockReleaseAll();
		pgstat_report_wait_end();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);

	lifeguard_part_done(part, lifeguard_database, edata);
	if (edata != NULL)
		FreeErrorData(edata);
}

/*
 * Does the extension exist in our database?  In a short transaction of its
 * own.  Never waits for a lock: when pg_extension's lock is not granted at
 * once (someone runs VACUUM FULL pg_extension, say) the previous answer
 * stands until the next check.
 */
static void
check_extension(void *arg)
{
	int			found = extension_state;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (ConditionalLockRelationOid(ExtensionRelationId, AccessShareLock) &&
		ConditionalLockRelationOid(ExtensionNameIndexId, AccessShareLock))
		found = OidIsValid(get_extension_oid(LIFEGUARD_EXTENSION, true)) ? 1 : 0;
	CommitTransactionCommand();

	if (found == extension_state || found < 0)
		return;

	if (found)
		ereport(LOG,
				(errmsg("extension \"%s\" found in database \"%s\", worker is running",
						LIFEGUARD_EXTENSION, lifeguard_database)));
	else
		ereport(LOG,
				(errmsg("extension \"%s\" is not installed in database \"%s\", worker is waiting for it",
						LIFEGUARD_EXTENSION, lifeguard_database),
				 errhint("Run CREATE EXTENSION %s in database \"%s\", or set lifeguard.database.",
						 LIFEGUARD_EXTENSION, lifeguard_database)));
	extension_state = found;
}

/*
 * Read and publish the policies when they changed, or always when *arg
 * (force) is true, in a short transaction of its own.  Never waits for
 * lifeguard.policies' lock (policy.c).  When this fails, the policies
 * published last stay in force.
 */
static void
reload_policies(void *arg)
{
	bool		force = *(bool *) arg;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	lifeguard_policies_refresh(extension_state == 1, force);
	CommitTransactionCommand();
}

/*
 * Catalog work, as two parts: does the extension exist in our database,
 * and what are the policies?  "periodic" is the regular recheck; otherwise
 * only what changed is reread.
 */
static void
check_catalogs(TimestampTz now, bool periodic)
{
	static LifeguardPart extension_part = {"extension check"};
	static LifeguardPart policy_part = {"policy reload"};
	int			before = extension_state;
	bool		force;

	run_part(&extension_part, check_extension, NULL);
	if (extension_state < 0)
		return;					/* not known yet: pg_extension was busy */

	force = periodic || extension_state != before;
	run_part(&policy_part, reload_policies, &force);
	if (periodic)
		last_catalog_check = now;
}

/* What a tick read once for every duty */
typedef struct TickState
{
	TimestampTz now;
	LifeguardSlotCounts counts;
	LifeguardSession *sessions; /* NULL when no policy needs them */
	int			nsessions;
	LifeguardPolicy *policies;
	int			npolicies;
} TickState;

/* Slot counts, the slot history, and idle shedding (slots.c) */
static void
duty_slots(void *arg)
{
	TickState  *t = (TickState *) arg;

	lifeguard_slots_tick(t->now, &t->counts, t->sessions, t->nsessions,
						 t->policies, t->npolicies);
}

/* Time limits and blocking (enforce.c) */
static void
duty_limits(void *arg)
{
	TickState  *t = (TickState *) arg;

	lifeguard_enforce_tick(t->now, &t->counts, t->sessions, t->nsessions,
						   t->policies, t->npolicies);
}

/* Partitions and jobs, every check_interval; they only observe (checks.c) */
static void
duty_checks(void *arg)
{
	lifeguard_checks_tick(((TickState *) arg)->now);
}

/* Writing the events to lifeguard.events, pruning, NOTIFY (eventlog.c) */
static void
duty_eventlog(void *arg)
{
	lifeguard_eventlog_tick(((TickState *) arg)->now, extension_state == 1);
}

/* The duties, in the order of a tick; each is a part that fails alone */
typedef struct WorkerDuty
{
	LifeguardPart part;
	void		(*run) (void *arg);
} WorkerDuty;

static WorkerDuty duties[] = {
	{{"slot duty"}, duty_slots},
	{{"time limit duty"}, duty_limits},
	{{"partition and job checks"}, duty_checks},
	/* last, so that this tick's events are written in this tick */
	{{"event log duty"}, duty_eventlog},
};

/*
 * One tick: the work of every duty that is due.  Runs in tick_context;
 * each part catches its own errors (run_part); what is left may throw
 * ERROR, which worker_tick() catches.
 */
static void
tick_body(void)
{
	static LifeguardPolicy *policies = NULL;
	TimestampTz now = GetCurrentTimestamp();
	bool		periodic;
	bool		need_sessions;
	TickState	tick;
	int			i;

	periodic = (extension_state != 1 ||
				TimestampDifferenceExceeds(last_catalog_check, now,
										   LIFEGUARD_CATALOG_RECHECK_MS));
	if (periodic || lifeguard_policies_stale())
		check_catalogs(now, periodic);

	if (extension_state != 1)
		set_phase(LG_WORKER_WAITING);
	else if (!lifeguard_enabled)
		set_phase(LG_WORKER_DISABLED);
	else
		set_phase(LG_WORKER_RUNNING);

	/*
	 * Read the slots, and the sessions only when some policy needs them,
	 * once for every duty.
	 */
	if (policies == NULL)
		policies = MemoryContextAlloc(TopMemoryContext,
									  sizeof(LifeguardPolicy) * LIFEGUARD_MAX_POLICIES);
	tick.now = now;
	tick.policies = policies;
	tick.npolicies = lifeguard_policies_copy(policies);
	tick.sessions = NULL;
	need_sessions = (lifeguard_policies_limit_idle(policies, tick.npolicies) ||
					 lifeguard_policies_limit_sessions(policies, tick.npolicies));
	tick.nsessions = lifeguard_collect_sessions(need_sessions ? &tick.sessions : NULL,
												&tick.counts);

	for (i = 0; i < lengthof(duties); i++)
		run_part(&duties[i].part, duties[i].run, &tick);

	if (lifeguard_debug_tick_error)
	{
		/* fail inside a transaction, to exercise the whole abort path */
		StartTransactionCommand();
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("simulated failure of a pg_lifeguard worker tick"),
				 errdetail("lifeguard.debug_tick_error is on.")));
	}
}

/*
 * Clean up after an ERROR in a tick: report it, abort whatever transaction
 * it left behind, count it, and record it as an event unless the same error
 * was recorded less than a minute ago.
 */
static void
recover_from_tick_error(void)
{
	ErrorData  *edata;
	TimestampTz now;
	bool		repeat;

	HOLD_INTERRUPTS();

	MemoryContextSwitchTo(tick_context);
	edata = CopyErrorData();
	EmitErrorReport();
	FlushErrorState();

	AbortOutOfAnyTransaction();
	LWLockReleaseAll();
	pgstat_report_wait_end();

	SpinLockAcquire(&LifeguardState->mutex);
	LifeguardState->worker.errors++;
	strlcpy(LifeguardState->worker.last_error,
			edata->message ? edata->message : "unknown error",
			LIFEGUARD_ERROR_LEN);
	SpinLockRelease(&LifeguardState->mutex);

	now = GetCurrentTimestamp();
	repeat = (strncmp(last_error_event, edata->message ? edata->message : "",
					  LIFEGUARD_ERROR_LEN - 1) == 0 &&
			  !TimestampDifferenceExceeds(last_error_event_at, now,
										  LIFEGUARD_ERROR_EVENT_MS));
	if (!repeat)
	{
		strlcpy(last_error_event, edata->message ? edata->message : "",
				LIFEGUARD_ERROR_LEN);
		last_error_event_at = now;
		lifeguard_event_record(LG_EVENT_WORKER_ERROR, LG_SEVERITY_WARNING,
							   worker_subject(), NULL, NULL,
							   "tick failed: %s",
							   edata->message ? edata->message : "unknown error");
	}

	FreeErrorData(edata);
	RESUME_INTERRUPTS();
}

/*
 * Run one tick, catching any ERROR.  Returns false when the tick failed.
 */
static bool
worker_tick(void)
{
	volatile bool ok = true;

	MemoryContextSwitchTo(tick_context);
	PG_TRY();
	{
		tick_body();
	}
	PG_CATCH();
	{
		recover_from_tick_error();
		ok = false;
	}
	PG_END_TRY();

	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(tick_context);
	return ok;
}

/*
 * before_shmem_exit callback: the worker is going away, whatever the reason.
 * Registered before the database connection, so it runs after the
 * connection's own cleanup has aborted any transaction.
 */
static void
worker_exit(int code, Datum arg)
{
	SpinLockAcquire(&LifeguardState->mutex);
	LifeguardState->worker.pid = 0;
	LifeguardState->worker.latch = NULL;
	LifeguardState->worker.phase = LG_WORKER_NOT_RUNNING;
	SpinLockRelease(&LifeguardState->mutex);

	lifeguard_event_record(LG_EVENT_WORKER_STOPPED, LG_SEVERITY_INFO,
						   worker_subject(), NULL, NULL,
						   "worker pid %d stopped with exit code %d",
						   MyProcPid, code);
}

/*
 * Entry point of the background worker.
 */
void
lifeguard_worker_main(Datum main_arg)
{
	LifeguardWorkerState *w;
	uint64		starts;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (LifeguardState == NULL)
		elog(FATAL, "shared memory of pg_lifeguard is not initialized");
	w = &LifeguardState->worker;

	before_shmem_exit(worker_exit, (Datum) 0);

	SpinLockAcquire(&LifeguardState->mutex);
	w->pid = MyProcPid;
	w->latch = MyLatch;
	w->phase = LG_WORKER_STARTING;
	w->started_at = GetCurrentTimestamp();
	w->last_tick_at = 0;
	w->ticks = 0;
	w->last_tick_us = 0;
	w->max_tick_us = 0;
	starts = ++w->starts;
	strlcpy(w->database, lifeguard_database, NAMEDATALEN);
	SpinLockRelease(&LifeguardState->mutex);

	if (starts == 1)
		lifeguard_event_record(LG_EVENT_WORKER_STARTED, LG_SEVERITY_INFO,
							   worker_subject(), NULL, NULL,
							   "worker started, connecting to database \"%s\"",
							   lifeguard_database);
	else
		lifeguard_event_record(LG_EVENT_WORKER_RESTARTED, LG_SEVERITY_WARNING,
							   worker_subject(), NULL, NULL,
							   "worker restarted (start %llu since server start), connecting to database \"%s\"",
							   (unsigned long long) starts, lifeguard_database);

	BackgroundWorkerInitializeConnection(lifeguard_database, NULL, 0);
	/* before any SQL: names resolve in pg_catalog alone (privileges.c) */
	lifeguard_pin_worker_search_path();
	pgstat_report_appname("pg_lifeguard");

	/* A commit must never wait for a synchronous standby that is gone */
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);

	tick_context = AllocSetContextCreate(TopMemoryContext,
										 "pg_lifeguard tick",
										 ALLOCSET_DEFAULT_SIZES);
	publish_settings();

	for (;;)
	{
		instr_time	start;
		instr_time	elapsed;
		int64		tick_us;
		long		timeout;
		TimestampTz due;
		bool		ok;

		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			publish_settings();
		}

		INSTR_TIME_SET_CURRENT(start);
		ok = worker_tick();
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		tick_us = INSTR_TIME_GET_MICROSEC(elapsed);

		SpinLockAcquire(&LifeguardState->mutex);
		w->ticks++;
		w->last_tick_at = GetCurrentTimestamp();
		w->last_tick_us = tick_us;
		if (tick_us > w->max_tick_us)
			w->max_tick_us = tick_us;
		SpinLockRelease(&LifeguardState->mutex);

		/*
		 * Keep the cadence: the nap is what is left of naptime.  When a
		 * limit seen running will be broken before that, wake up just
		 * after it is, so the action does not wait for the next tick.
		 */
		timeout = lifeguard_naptime - (long) (tick_us / 1000);
		due = ok ? lifeguard_enforce_next_due() : 0;
		if (due != 0)
		{
			long		due_ms = (long) ((due - GetCurrentTimestamp() + 999) / 1000);

			if (due_ms < timeout)
				timeout = due_ms;
		}
		if (!ok && timeout < LIFEGUARD_ERROR_PAUSE_MS)
			timeout = LIFEGUARD_ERROR_PAUSE_MS;
		if (timeout < 1)
			timeout = 1;

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

static const char *
phase_name(LifeguardWorkerPhase phase)
{
	switch (phase)
	{
		case LG_WORKER_NOT_RUNNING:
			return "not running";
		case LG_WORKER_STARTING:
			return "starting";
		case LG_WORKER_WAITING:
			return "waiting for extension";
		case LG_WORKER_RUNNING:
			return "running";
		case LG_WORKER_DISABLED:
			return "disabled";
	}
	return "unknown";
}

/*
 * lifeguard.worker_status(): one row describing the worker.
 */
Datum
lifeguard_worker_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	LifeguardWorkerState *w;
	Datum		values[WORKER_STATUS_COLS];
	bool		nulls[WORKER_STATUS_COLS];
	uint64		calls;
	uint64		ns;

	lifeguard_require_monitor("worker_status");

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	w = palloc(sizeof(LifeguardWorkerState));
	SpinLockAcquire(&LifeguardState->mutex);
	memcpy(w, &LifeguardState->worker, sizeof(LifeguardWorkerState));
	SpinLockRelease(&LifeguardState->mutex);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(w->pid);
	nulls[0] = (w->pid == 0);
	values[1] = CStringGetTextDatum(phase_name(w->phase));
	values[2] = CStringGetTextDatum(w->database[0] ? w->database : lifeguard_database);
	values[3] = TimestampTzGetDatum(w->started_at);
	nulls[3] = (w->started_at == 0);
	values[4] = TimestampTzGetDatum(w->last_tick_at);
	nulls[4] = (w->last_tick_at == 0);
	values[5] = Int64GetDatum((int64) w->ticks);
	values[6] = Int64GetDatum(w->last_tick_us);
	values[7] = Int64GetDatum(w->max_tick_us);
	values[8] = Int64GetDatum((int64) w->errors);
	values[9] = CStringGetTextDatum(w->last_error);
	nulls[9] = (w->last_error[0] == '\0');
	values[10] = Int64GetDatum(w->starts > 0 ? (int64) w->starts - 1 : 0);
	if (w->settings[0] != '\0')
		values[11] = DirectFunctionCall1(jsonb_in, CStringGetDatum(w->settings));
	else
		nulls[11] = true;
	calls = pg_atomic_read_u64(&LifeguardState->login_hook_calls);
	ns = pg_atomic_read_u64(&LifeguardState->login_hook_ns);
	values[12] = Int64GetDatum((int64) calls);
	values[13] = Float8GetDatum(calls > 0 ? ns / 1000.0 / calls : 0.0);
	nulls[13] = (calls == 0);
	values[14] = Int64GetDatum((int64) w->lock_graphs);
	values[15] = Int64GetDatum((int64) pg_atomic_read_u64(&LifeguardState->events_persisted));
	values[16] = Int64GetDatum((int64) lifeguard_events_pending());
	values[17] = Int64GetDatum((int64) pg_atomic_read_u64(&LifeguardState->events_dropped));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
