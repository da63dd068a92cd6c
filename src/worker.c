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
 * Surviving its own errors: an ERROR inside a tick is caught, logged,
 * counted and recorded as a worker_error event, its transaction is aborted,
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

#include "pg_lifeguard.h"
#include "checks.h"
#include "enforce.h"
#include "eventlog.h"
#include "events.h"
#include "policy.h"
#include "shmem.h"
#include "slots.h"
#include "worker.h"

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
				(errmsg("pg_lifeguard: settings too long to publish (%d bytes)",
						buf.len),
				 errdetail("worker_status() shows no settings until they are shorter.")));
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
 * Catalog work, in one short transaction: does the extension exist in our
 * database, and what are the policies?  Never waits for a lock: when
 * pg_extension's lock is not granted at once (someone runs VACUUM FULL
 * pg_extension, say) the previous answer stands until the next check, and
 * the same goes for lifeguard.policies (policy.c).  "periodic" is the
 * regular recheck; otherwise only what changed is reread.
 */
static void
check_catalogs(TimestampTz now, bool periodic)
{
	int			found = extension_state;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (ConditionalLockRelationOid(ExtensionRelationId, AccessShareLock) &&
		ConditionalLockRelationOid(ExtensionNameIndexId, AccessShareLock))
		found = OidIsValid(get_extension_oid(LIFEGUARD_EXTENSION, true)) ? 1 : 0;
	if (found >= 0)
		lifeguard_policies_refresh(found == 1,
								   periodic || found != extension_state);
	CommitTransactionCommand();

	if (periodic)
		last_catalog_check = now;
	if (found == extension_state || found < 0)
		return;

	if (found)
		ereport(LOG,
				(errmsg("pg_lifeguard: extension found in database \"%s\", worker is running",
						lifeguard_database)));
	else
		ereport(LOG,
				(errmsg("pg_lifeguard: extension \"%s\" is not installed in database \"%s\", worker is waiting for it",
						LIFEGUARD_EXTENSION, lifeguard_database),
				 errhint("Run CREATE EXTENSION %s in database \"%s\", or set lifeguard.database.",
						 LIFEGUARD_EXTENSION, lifeguard_database)));
	extension_state = found;
}

/*
 * One tick: the work of every duty that is due.  Runs in tick_context;
 * may throw ERROR, which worker_tick() catches.
 */
static void
tick_body(void)
{
	static LifeguardPolicy *policies = NULL;
	TimestampTz now = GetCurrentTimestamp();
	bool		periodic;
	int			npolicies;
	bool		need_sessions;
	LifeguardSlotCounts counts;
	LifeguardSession *sessions = NULL;
	int			n;

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
	npolicies = lifeguard_policies_copy(policies);
	need_sessions = (lifeguard_policies_limit_idle(policies, npolicies) ||
					 lifeguard_policies_limit_sessions(policies, npolicies));
	n = lifeguard_collect_sessions(need_sessions ? &sessions : NULL, &counts);

	lifeguard_slots_tick(now, &counts, sessions, n, policies, npolicies);
	lifeguard_enforce_tick(now, &counts, sessions, n, policies, npolicies);

	/* partitions and jobs, every check_interval (they only observe) */
	lifeguard_checks_tick(now);

	/* last, so that this tick's events are written in this tick */
	lifeguard_eventlog_tick(now, extension_state == 1);

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
		ereport(FATAL,
				(errmsg("pg_lifeguard: shared memory is not initialized")));
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
