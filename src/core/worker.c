/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The pg_lifeguard background worker: one latch loop, one tick per
 *		lifeguard.naptime.
 *
 * The worker starts as soon as the server reaches a consistent state (so it
 * also runs on a hot standby) and connects to lifeguard.database for life.
 * It knows no duty: _PG_init hands it the list of duties (duty.h), and each
 * tick it checks that the extension exists (every
 * LIFEGUARD_CATALOG_RECHECK_MS, or every tick while it does not), then
 * walks the list in order, taking the session snapshot once, just before
 * the first duty that uses it, with the sessions only when a duty needs
 * them.  It naps until the next tick, or until the earliest deadline a
 * duty asked for (a time limit about to run out).  Catalog work runs in
 * short transactions, and only when something changed or a recheck is
 * due, so the steady-state tick touches shared memory only.
 *
 * Surviving its own errors.  A tick is a sequence of parts, each of which
 * can fail on its own: checking for the extension, and each duty's tick;
 * inside some duties, each table they read or write is a part of its own
 * (checks.c, eventlog.c).  An ERROR in a part aborts
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
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/duty.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/sessions.h"
#include "core/shmem.h"
#include "core/worker.h"
#include "core/xact.h"

/* Seconds the postmaster waits before starting a worker that exited */
#define LIFEGUARD_RESTART_SECONDS		5

/* How often the worker checks that the extension exists */
#define LIFEGUARD_CATALOG_RECHECK_MS	5000

/* Shortest pause after a failed tick, so an error repeats at most once a second */
#define LIFEGUARD_ERROR_PAUSE_MS		1000

/* The same error is recorded as an event at most once per this interval */
#define LIFEGUARD_ERROR_EVENT_MS		60000

/* Whether the extension exists in lifeguard.database; -1 before the first check */
static int	extension_state = -1;
static TimestampTz last_catalog_check = 0;

/* Per-tick allocations, reset after every tick */
static MemoryContext tick_context = NULL;

/* The duties, in the order of a tick (lifeguard_register_duties) */
static const LifeguardDuty *const *duties = NULL;
static int	nduties = 0;

/*
 * The worker's state in shared memory.  "mutex" (a spinlock) protects
 * "state": only the worker writes it (and a check worker, to count an
 * error); anyone may copy it.  Holders copy a few fields or the struct:
 * no palloc, no ereport, nothing that could fail, nothing else locked.
 */
typedef struct WorkerShared
{
	slock_t		mutex;
	LifeguardWorkerState state;
} WorkerShared;

static WorkerShared *Worker = NULL;

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
 * Keep the list of duties the worker walks each tick, and register the
 * worker; called from _PG_init in the postmaster.
 */
void
lifeguard_register_duties(const LifeguardDuty *const *list, int n)
{
	BackgroundWorker worker;

	duties = list;
	nduties = n;
	lifeguard_describe_worker(&worker, "pg_lifeguard", "lifeguard_worker_main",
							  LIFEGUARD_RESTART_SECONDS);
	strlcpy(worker.bgw_name, "pg_lifeguard worker", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

static Size
worker_shmem_size(void)
{
	return sizeof(WorkerShared);
}

static void
worker_shmem_attach(void *ptr, bool found, LWLockPadded *locks)
{
	Worker = (WorkerShared *) ptr;
	if (!found)
	{
		SpinLockInit(&Worker->mutex);
		Worker->state.phase = LG_WORKER_NOT_RUNNING;
	}
}

/* The worker's piece of shared memory */
const LifeguardShmemPiece lifeguard_worker_shmem = {
	"pg_lifeguard worker", worker_shmem_size, 0, worker_shmem_attach
};

/*
 * Copy the worker's state (worker_status(), metrics); all zeros without
 * shared memory.
 */
void
lifeguard_worker_state(LifeguardWorkerState *dst)
{
	if (Worker == NULL)
	{
		memset(dst, 0, sizeof(LifeguardWorkerState));
		return;
	}
	SpinLockAcquire(&Worker->mutex);
	memcpy(dst, &Worker->state, sizeof(LifeguardWorkerState));
	SpinLockRelease(&Worker->mutex);
}

/* The acted-on memory was full (acted.c): count it */
void
lifeguard_worker_count_acted_overflow(void)
{
	if (Worker == NULL)
		return;
	SpinLockAcquire(&Worker->mutex);
	Worker->state.acted_overflows++;
	SpinLockRelease(&Worker->mutex);
}

/*
 * Wake the worker so it ticks now rather than at the end of its nap.
 */
void
lifeguard_wake_worker(void)
{
	Latch	   *latch;

	if (Worker == NULL)
		return;

	SpinLockAcquire(&Worker->mutex);
	latch = Worker->state.latch;
	SpinLockRelease(&Worker->mutex);

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
	int			nvars;
	LifeguardGucVar **vars = lifeguard_guc_variables(&nvars);
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
		LifeguardGucVar *var = vars[i];
		const char *name = lifeguard_guc_name(var);
		int			flags = lifeguard_guc_flags(var);
		char	   *value;

		if (strncmp(name, prefix, prefixlen) != 0 ||
			(flags & GUC_NO_SHOW_ALL) ||
			(flags & GUC_SUPERUSER_ONLY) ||
			(flags & GUC_CUSTOM_PLACEHOLDER))
			continue;

		value = GetConfigOptionByName(name, NULL, false);
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, name + prefixlen);
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

	SpinLockAcquire(&Worker->mutex);
	memcpy(Worker->state.settings, buf.data, buf.len + 1);
	SpinLockRelease(&Worker->mutex);

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
	SpinLockAcquire(&Worker->mutex);
	Worker->state.phase = phase;
	SpinLockRelease(&Worker->mutex);
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
	SpinLockAcquire(&Worker->mutex);
	Worker->state.errors++;
	memcpy(Worker->state.last_error, text, sizeof(text));
	SpinLockRelease(&Worker->mutex);

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
 * Take the session snapshot for the tick, if not taken yet: the counts,
 * and the sessions when a duty from "from" on needs them.
 */
static void
take_snapshot(LifeguardTick *tick, int from)
{
	bool		need_sessions = false;
	int			i;

	if (tick->have_snapshot)
		return;
	for (i = from; i < nduties && !need_sessions; i++)
		need_sessions = (duties[i]->needs_sessions != NULL &&
						 duties[i]->needs_sessions());
	tick->sessions = NULL;
	tick->nsessions = lifeguard_collect_sessions(need_sessions ? &tick->sessions : NULL,
												 &tick->counts);
	tick->have_snapshot = true;
}

/* run_part() body: one duty's tick */
typedef struct DutyCall
{
	const LifeguardDuty *duty;
	LifeguardTick *tick;
} DutyCall;

static void
run_duty(void *arg)
{
	DutyCall   *call = (DutyCall *) arg;

	call->duty->tick(call->tick);
}

/*
 * One tick: the work of every duty, in order.  Runs in tick_context; each
 * part catches its own errors (run_part); what is left may throw ERROR,
 * which worker_tick() catches.
 */
static void
tick_body(void)
{
	static LifeguardPart extension_part = {"extension check"};
	static LifeguardPart *duty_parts = NULL;
	TimestampTz now = GetCurrentTimestamp();
	LifeguardTick tick;
	int			i;

	if (duty_parts == NULL)
	{
		duty_parts = MemoryContextAllocZero(TopMemoryContext,
											sizeof(LifeguardPart) * Max(nduties, 1));
		for (i = 0; i < nduties; i++)
			duty_parts[i].name = duties[i]->name;
	}

	memset(&tick, 0, sizeof(tick));
	tick.now = now;
	if (extension_state != 1 ||
		TimestampDifferenceExceeds(last_catalog_check, now,
								   LIFEGUARD_CATALOG_RECHECK_MS))
	{
		run_part(&extension_part, check_extension, NULL);
		last_catalog_check = now;
	}
	tick.extension_known = (extension_state >= 0);
	tick.installed = (extension_state == 1);

	if (extension_state != 1)
		set_phase(LG_WORKER_WAITING);
	else if (!lifeguard_enabled)
		set_phase(LG_WORKER_DISABLED);
	else
		set_phase(LG_WORKER_RUNNING);

	for (i = 0; i < nduties; i++)
	{
		DutyCall	call;

		if (duties[i]->tick == NULL)
			continue;
		if (duties[i]->uses_snapshot)
			take_snapshot(&tick, i);
		call.duty = duties[i];
		call.tick = &tick;
		run_part(&duty_parts[i], run_duty, &call);
	}

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

	SpinLockAcquire(&Worker->mutex);
	Worker->state.errors++;
	strlcpy(Worker->state.last_error,
			edata->message ? edata->message : "unknown error",
			LIFEGUARD_ERROR_LEN);
	SpinLockRelease(&Worker->mutex);

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
	SpinLockAcquire(&Worker->mutex);
	Worker->state.pid = 0;
	Worker->state.latch = NULL;
	Worker->state.phase = LG_WORKER_NOT_RUNNING;
	SpinLockRelease(&Worker->mutex);

	lifeguard_event_record(LG_EVENT_WORKER_STOPPED, LG_SEVERITY_INFO,
						   worker_subject(), NULL, NULL,
						   "worker pid %d stopped with exit code %d",
						   MyProcPid, code);
}

/* The earliest deadline a duty asked to be woken for, or 0 */
static TimestampTz
next_due(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz earliest = 0;
	int			i;

	for (i = 0; i < nduties; i++)
	{
		TimestampTz due;

		if (duties[i]->next_due == NULL)
			continue;
		due = duties[i]->next_due(now);
		if (due != 0 && (earliest == 0 || due < earliest))
			earliest = due;
	}
	return earliest;
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

	if (!lifeguard_shmem_attached())
		elog(FATAL, "shared memory of pg_lifeguard is not initialized");
	w = &Worker->state;

	before_shmem_exit(worker_exit, (Datum) 0);

	SpinLockAcquire(&Worker->mutex);
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
	SpinLockRelease(&Worker->mutex);

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

		SpinLockAcquire(&Worker->mutex);
		w->ticks++;
		w->last_tick_at = GetCurrentTimestamp();
		w->last_tick_us = tick_us;
		if (tick_us > w->max_tick_us)
			w->max_tick_us = tick_us;
		SpinLockRelease(&Worker->mutex);

		/*
		 * Keep the cadence: the nap is what is left of naptime.  When a
		 * limit seen running will be broken before that, wake up just
		 * after it is, so the action does not wait for the next tick.
		 */
		timeout = lifeguard_naptime - (long) (tick_us / 1000);
		due = ok ? next_due() : 0;
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
