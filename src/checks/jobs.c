/*-------------------------------------------------------------------------
 *
 * jobs.c
 *		Maintenance jobs: the heartbeat API (job_start, job_success,
 *		job_failure) and the bounded runner lifeguard.run_maintenance.
 *
 * A job is a row of lifeguard.job_registry, registered through the view
 * lifeguard.jobs.  Its state columns are written only here (and by the
 * worker's pg_cron reader, see checks.c), with the rights of the table's
 * owner: the caller needs no privilege on the tables, only the privileges
 * of the job's owner role (or superuser).  The maintenance command itself
 * always runs with the caller's own rights.
 *
 * run_maintenance is a procedure that commits per attempt (SPI in
 * non-atomic mode).  Each attempt runs in a subtransaction under a local
 * lock_timeout and a statement deadline, so the job can neither queue for
 * long on a lock nor hold one for long while others queue; a lock timeout
 * is retried with backoff after the attempt's transaction has ended and
 * released every lock.  For a pg_partman job, pg_partman's own advisory
 * lock is tried first: pg_partman skips a run that finds it taken with
 * only a NOTICE, which would otherwise be recorded as a success.  And
 * pg_partman 4 re-raises every error as P0001: a lock timeout inside it is
 * recognised by its message.  pg_partman 5 goes further: it catches the
 * error of each partition set and only says it in a WARNING ("pg_partman
 * maintenance skipped partition set ..."), so its run_maintenance()
 * succeeds while partitions stop being made, the silent failure this
 * extension exists to see.  During a pg_partman job's attempt an
 * emit_log_hook keeps the first such warning, and the attempt fails with
 * its text.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/xact.h"

PG_FUNCTION_INFO_V1(lifeguard_job_start);
PG_FUNCTION_INFO_V1(lifeguard_job_success);
PG_FUNCTION_INFO_V1(lifeguard_job_failure);
PG_FUNCTION_INFO_V1(lifeguard_run_maintenance);

/* Longest error message kept in a run's record, in bytes */
#define LG_JOB_ERROR_LEN		4096

/* Bounds of run_maintenance's arguments */
#define LG_MAX_LOCK_TIMEOUT_MS	(3600 * 1000)	/* 1 hour */
#define LG_MIN_STATEMENT_MS		1000	/* 1 second */
#define LG_MAX_STATEMENT_MS		(24 * 3600 * 1000)	/* 1 day */
#define LG_MAX_RETRIES			100
#define LG_MAX_BACKOFF_MS		60000	/* 1 minute */

/* pg_partman's key for the advisory lock run_maintenance() takes */
#define LG_PARTMAN_LOCK_KEY		"pg_partman run_maintenance"

/* How pg_partman 5 begins the WARNING for a partition set it skipped */
#define LG_PARTMAN_SKIPPED		"pg_partman maintenance skipped partition set"

/*
 * The first such warning of the running attempt (its first line), and the
 * emit_log_hook that was there before the attempt put its own.
 */
static char partman_skipped[LG_JOB_ERROR_LEN];
static emit_log_hook_type prev_emit_log_hook = NULL;

typedef struct JobInfo
{
	Oid			owner;
	char	   *kind;
} JobInfo;

typedef enum AttemptOutcome
{
	ATTEMPT_OK,
	ATTEMPT_RETRY,				/* a lock was not granted in time */
	ATTEMPT_FAILED,				/* any other error, or the deadline */
	ATTEMPT_RETHROW				/* cancelled or terminated: pass it on */
} AttemptOutcome;

/* Saved user around the state writes, which run as the tables' owner */
typedef struct Elevation
{
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;		/* of the pinned search_path */
} Elevation;

/* ERROR 22004 when argument argno, named argname, is NULL */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname)));
}

static text *
required_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	require_arg(fcinfo, argno, argname);
	return PG_GETARG_TEXT_PP(argno);
}

/* The job name argument: not NULL, not empty */
static char *
job_name_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name = text_to_cstring(required_text_arg(fcinfo, argno, "job_name"));

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job_name must not be empty")));
	return name;
}

/* An error message for a run record, cut to LG_JOB_ERROR_LEN bytes */
static char *
clip_error(const char *msg)
{
	int			len = strlen(msg);

	if (len <= LG_JOB_ERROR_LEN)
		return pstrdup(msg);
	return pnstrdup(msg, pg_mbcliplen(msg, len, LG_JOB_ERROR_LEN));
}

static void
elevate(Elevation *e)
{
	Oid			nsp = get_namespace_oid("lifeguard", false);
	Oid			relid = get_relname_relid("job_registry", nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist",
						"lifeguard", "job_registry"),
				 errhint("Is the pg_lifeguard extension installed in this database?")));
	GetUserIdAndSecContext(&e->save_userid, &e->save_sec);
	/* the caller's search_path is the caller's: never used as the owner */
	e->nestlevel = lifeguard_pin_search_path();
	SetUserIdAndSecContext(lifeguard_relation_owner(relid),
						   e->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

static void
restore(Elevation *e)
{
	SetUserIdAndSecContext(e->save_userid, e->save_sec);
	lifeguard_unpin_search_path(e->nestlevel);
}

/*
 * Run one statement on the job tables as their owner.  Returns the first
 * column of the first row as an int8 (0 when there is none).
 */
static int64
state_exec(const char *sql, int nargs, Oid *types, Datum *values,
		   const char *nulls, int expect)
{
	Elevation	e;
	int			ret;
	int64		result = 0;

	elevate(&e);
	ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	restore(&e);
	if (ret != expect)
		elog(ERROR, "could not write job state: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed > 0 && SPI_tuptable != NULL)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = DatumGetInt64(d);
	}
	return result;
}

/*
 * Look a job up and check that the current user may report on it: a
 * superuser, or a role with the privileges of the job's owner.
 */
static JobInfo
job_lookup(const char *name)
{
	Elevation	e;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	JobInfo		info;
	bool		isnull;
	int			ret;

	values[0] = CStringGetTextDatum(name);
	elevate(&e);
	ret = SPI_execute_with_args("SELECT owner::pg_catalog.oid, kind FROM lifeguard.job_registry"
								" WHERE name OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, true, 1);
	restore(&e);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not look up job: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job \"%s\" is not registered",
						lifeguard_name_for_message(name)),
				 errhint("Register it first: INSERT INTO lifeguard.jobs (name, kind, expected_every) VALUES (...).")));

	info.owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1,
												&isnull));
	info.kind = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

	if (!superuser() && !has_privs_of_role(GetUserId(), info.owner))
	{
		char	   *owner = GetUserNameFromId(info.owner, true);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for job \"%s\"",
						lifeguard_name_for_message(name)),
				 owner ?
				 errdetail("Only superusers and roles with the privileges of the job's owner \"%s\" may report its runs.",
						   owner) :
				 errdetail("Only superusers and roles with the privileges of the job's owner may report its runs.")));
	}
	return info;
}

static char *
caller_name(void)
{
	char	   *name = GetUserNameFromId(GetUserId(), true);

	return name ? name : psprintf("%u", GetUserId());
}

/* A run has started: a job_runs row, and the job's last_started */
static int64
record_start(const char *name, const char *source)
{
	Oid			types[4] = {TEXTOID, TEXTOID, NAMEOID, TIMESTAMPTZOID};
	Datum		values[4];
	Oid			utypes[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		uvalues[2];

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(source);
	values[2] = DirectFunctionCall1(namein, CStringGetDatum(caller_name()));
	values[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	uvalues[0] = values[0];
	uvalues[1] = values[3];

	state_exec("UPDATE lifeguard.job_registry SET last_started = $2"
			   " WHERE name OPERATOR(pg_catalog.=) $1",
			   2, utypes, uvalues, NULL, SPI_OK_UPDATE);
	return state_exec("INSERT INTO lifeguard.job_runs"
					  " (job_name, source, status, started_at, attempts, run_by)"
					  " VALUES ($1, $2, 'running', $4, 0, $3)"
					  " RETURNING run_id",
					  4, types, values, NULL, SPI_OK_INSERT_RETURNING);
}

/*
 * A run has ended.  run_id 0 means the job's newest running heartbeat run,
 * or a new finished row when there is none.  Returns the run's id.
 */
static int64
record_finish(const char *name, int64 run_id, bool succeeded,
			  const char *error, int attempts)
{
	/*
	 * $1 name, $2 run_id, $3 status, $4 error, $5 attempts, $6 run_by,
	 * $7 time; each statement uses the ones it needs
	 */
	Oid			types[7] = {TEXTOID, INT8OID, TEXTOID, TEXTOID, INT4OID,
	NAMEOID, TIMESTAMPTZOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int64		id;

	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(run_id);
	values[2] = CStringGetTextDatum(succeeded ? "succeeded" : "failed");
	if (error != NULL)
		values[3] = CStringGetTextDatum(clip_error(error));
	else
		nulls[3] = 'n';
	values[4] = Int32GetDatum(attempts);
	values[5] = DirectFunctionCall1(namein, CStringGetDatum(caller_name()));
	values[6] = TimestampTzGetDatum(GetCurrentTimestamp());

	/* run_id 0: the job's newest running heartbeat run */
	id = state_exec("UPDATE lifeguard.job_runs"
					" SET status = $3, finished_at = $7, error = $4, attempts = $5"
					" WHERE run_id OPERATOR(pg_catalog.=)"
					"  CASE WHEN $2 OPERATOR(pg_catalog.<>) 0 THEN $2 ELSE"
					"   (SELECT pg_catalog.max(r.run_id) FROM lifeguard.job_runs r"
					"     WHERE r.job_name OPERATOR(pg_catalog.=) $1"
					"       AND r.source OPERATOR(pg_catalog.=) 'heartbeat'"
					"       AND r.status OPERATOR(pg_catalog.=) 'running') END"
					" RETURNING run_id",
					7, types, values, nulls, SPI_OK_UPDATE_RETURNING);
	if (id == 0)
		id = state_exec("INSERT INTO lifeguard.job_runs"
						" (job_name, source, status, finished_at, error, attempts, run_by)"
						" VALUES ($1, 'heartbeat', $3, $7, $4, $5, $6)"
						" RETURNING run_id",
						7, types, values, nulls, SPI_OK_INSERT_RETURNING);

	if (succeeded)
		state_exec("UPDATE lifeguard.job_registry"
				   " SET last_succeeded = $7, consecutive_failures = 0,"
				   "     last_error = NULL"
				   " WHERE name OPERATOR(pg_catalog.=) $1",
				   7, types, values, nulls, SPI_OK_UPDATE);
	else
		state_exec("UPDATE lifeguard.job_registry"
				   " SET last_failed = $7,"
				   "     consecutive_failures = consecutive_failures OPERATOR(pg_catalog.+) 1,"
				   "     last_error = $4"
				   " WHERE name OPERATOR(pg_catalog.=) $1",
				   7, types, values, nulls, SPI_OK_UPDATE);
	return id;
}

/*
 * lifeguard.job_start(job_name): a run has started.
 */
Datum
lifeguard_job_start(PG_FUNCTION_ARGS)
{
	char	   *name = job_name_arg(fcinfo, 0);
	int64		id;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) job_lookup(name);
	id = record_start(name, "heartbeat");
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * lifeguard.job_success(job_name): the current run succeeded.
 */
Datum
lifeguard_job_success(PG_FUNCTION_ARGS)
{
	char	   *name = job_name_arg(fcinfo, 0);
	int64		id;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) job_lookup(name);
	id = record_finish(name, 0, true, NULL, 1);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * lifeguard.job_failure(job_name, error): the current run failed.
 */
Datum
lifeguard_job_failure(PG_FUNCTION_ARGS)
{
	char	   *name = job_name_arg(fcinfo, 0);
	char	   *error;
	int64		id;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("error must not be NULL"),
				 errhint("Pass the job's error message, or '' when it has none.")));
	error = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) job_lookup(name);
	id = record_finish(name, 0, false, error, 1);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * An interval argument as milliseconds, between min_ms and max_ms.
 */
static int
interval_ms_arg(FunctionCallInfo fcinfo, int argno, const char *argname,
				int min_ms, int max_ms, const char *min_text,
				const char *max_text)
{
	Interval   *iv;
	double		ms;

	require_arg(fcinfo, argno, argname);
	iv = PG_GETARG_INTERVAL_P(argno);
	ms = ((double) iv->month * DAYS_PER_MONTH + iv->day) * (USECS_PER_DAY / 1000.0) +
		(double) iv->time / 1000.0;
	if (ms < min_ms || ms > max_ms)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %s and %s",
						argname, min_text, max_text),
				 errdetail("%s was %s.", argname,
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(iv))))));
	return (int) ms;
}

/* Put the statement deadline back as the CALL had it */
static void
restore_statement_timeout(bool outer_active, TimestampTz outer_fin)
{
	disable_timeout(STATEMENT_TIMEOUT, false);
	if (outer_active)
		enable_timeout_at(STATEMENT_TIMEOUT, outer_fin);
}

/*
 * A lock timeout that the command caught and raised again as another
 * error: pg_partman's run_maintenance() turns every error into
 * RAISE EXCEPTION '% CONTEXT: ...' (SQLSTATE P0001), keeping the message
 * first.  Compared with the server's own message, as translated for this
 * session, so it holds whatever lc_messages says.
 */
static bool
is_rewrapped_lock_timeout(ErrorData *edata)
{
	const char *lock_timeout_msg = _(LG_LOCK_TIMEOUT_MESSAGE);

	return (edata->sqlerrcode == ERRCODE_RAISE_EXCEPTION &&
			edata->message != NULL &&
			strncmp(edata->message, lock_timeout_msg,
					strlen(lock_timeout_msg)) == 0);
}

/*
 * emit_log_hook during a pg_partman job's attempt: keep the first line of
 * the first "skipped partition set" warning.  Runs in ErrorContext, so it
 * only copies into a static buffer.
 */
static void
catch_partman_skip(ErrorData *edata)
{
	if (edata->elevel == WARNING && edata->message != NULL &&
		partman_skipped[0] == '\0' &&
		strncmp(edata->message, LG_PARTMAN_SKIPPED,
				strlen(LG_PARTMAN_SKIPPED)) == 0)
	{
		size_t		len = strcspn(edata->message, "\n");

		if (len >= sizeof(partman_skipped))
			len = pg_mbcliplen(edata->message, len, sizeof(partman_skipped) - 1);
		memcpy(partman_skipped, edata->message, len);
		partman_skipped[len] = '\0';
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * Watch for pg_partman 5's skipped partition sets from here on.  The hook
 * only sees messages that go to the server log: a log_min_messages above
 * WARNING is lowered to it for the attempt (a local setting, gone when the
 * attempt's transaction ends).
 */
static void
watch_partman_skips(void)
{
	partman_skipped[0] = '\0';
	if (log_min_messages > WARNING)
		(void) set_config_option("log_min_messages", "warning", PGC_SUSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
								 false);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = catch_partman_skip;
}

static void
unwatch_partman_skips(void)
{
	if (emit_log_hook == catch_partman_skip)
		emit_log_hook = prev_emit_log_hook;
}

/*
 * One attempt, in a subtransaction of the current transaction.  On any
 * error, *edata gets a copy of it.
 */
static AttemptOutcome
run_attempt(const char *command, bool partman, int lock_ms, int statement_ms,
			ErrorData **edata)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	bool		outer_active = get_timeout_active(STATEMENT_TIMEOUT);
	TimestampTz outer_fin = outer_active ? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
	TimestampTz deadline;
	AttemptOutcome outcome;

	*edata = NULL;
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), statement_ms);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		char		buf[32];
		int			ret;

		snprintf(buf, sizeof(buf), "%d", lock_ms);
		(void) set_config_option("lock_timeout", buf, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
								 false);
		if (!outer_active || deadline < outer_fin)
			enable_timeout_at(STATEMENT_TIMEOUT, deadline);

		if (partman)
		{
			bool		isnull;
			Datum		got;

			ret = SPI_execute("SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('"
							  LG_PARTMAN_LOCK_KEY "'))", false, 1);
			if (ret != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "could not try pg_partman's advisory lock");
			got = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								1, &isnull);
			if (isnull || !DatumGetBool(got))
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("pg_partman maintenance is already running"),
						 errdetail("Another session holds pg_partman's \"%s\" advisory lock; pg_partman would have skipped this run with only a NOTICE.",
								   LG_PARTMAN_LOCK_KEY)));
			watch_partman_skips();
		}

		ret = SPI_execute(command, false, 0);
		if (partman)
		{
			unwatch_partman_skips();

			/*
			 * A set pg_partman 5 skipped fails the attempt, with its words;
			 * one skipped for a lock timeout is retried like any other.
			 */
			if (partman_skipped[0] != '\0')
				ereport(ERROR,
						(errcode(strstr(partman_skipped, _(LG_LOCK_TIMEOUT_MESSAGE)) ?
								 ERRCODE_LOCK_NOT_AVAILABLE :
								 ERRCODE_RAISE_EXCEPTION),
						 errmsg_internal("%s", partman_skipped)));
		}
		if (ret == SPI_ERROR_TRANSACTION)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("maintenance command cannot begin or end a transaction"),
					 errdetail("Each attempt of lifeguard.run_maintenance runs in a transaction of its own.")));
		if (ret == SPI_ERROR_COPY)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("maintenance command cannot COPY to or from the client")));
		if (ret < 0)
			elog(ERROR, "could not run the maintenance command: %s",
				 SPI_result_code_string(ret));

		restore_statement_timeout(outer_active, outer_fin);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		outcome = ATTEMPT_OK;
	}
	PG_CATCH();
	{
		bool		past_deadline = (GetCurrentTimestamp() >= deadline);

		unwatch_partman_skips();
		restore_statement_timeout(outer_active, outer_fin);
		MemoryContextSwitchTo(oldcxt);
		*edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		if ((*edata)->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
			is_rewrapped_lock_timeout(*edata))
			outcome = ATTEMPT_RETRY;
		else if ((*edata)->sqlerrcode == ERRCODE_QUERY_CANCELED && past_deadline)
			outcome = ATTEMPT_FAILED;
		else if (lifeguard_error_passes_on(*edata))
			outcome = ATTEMPT_RETHROW;
		else
			outcome = ATTEMPT_FAILED;
	}
	PG_END_TRY();

	return outcome;
}

/*
 * CALL lifeguard.run_maintenance(job_name, command, lock_timeout, retries,
 * statement_timeout).
 */
Datum
lifeguard_run_maintenance(PG_FUNCTION_ARGS)
{
	char	   *name = job_name_arg(fcinfo, 0);
	char	   *command;
	int			lock_ms;
	int			statement_ms;
	int			retries;
	bool		atomic;
	JobInfo		job;
	bool		partman;
	int64		run_id;
	int			attempt;
	int			backoff_ms;

	command = text_to_cstring(required_text_arg(fcinfo, 1, "command"));
	if (command[strspn(command, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("command must not be empty")));
	lock_ms = interval_ms_arg(fcinfo, 2, "lock_timeout", 1,
							  LG_MAX_LOCK_TIMEOUT_MS, "1 millisecond", "1 hour");
	require_arg(fcinfo, 3, "retries");
	retries = PG_GETARG_INT32(3);
	if (retries < 0 || retries > LG_MAX_RETRIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retries must be between 0 and %d", LG_MAX_RETRIES),
				 errdetail("retries was %d.", retries)));
	statement_ms = interval_ms_arg(fcinfo, 4, "statement_timeout",
								   LG_MIN_STATEMENT_MS, LG_MAX_STATEMENT_MS,
								   "1 second", "1 day");

	atomic = (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
			  castNode(CallContext, fcinfo->context)->atomic);
	if (atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("lifeguard.run_maintenance cannot run inside a transaction block"),
				 errdetail("It commits after every attempt, so that no attempt keeps a lock while it waits."),
				 errhint("CALL it on its own, not inside BEGIN ... COMMIT or from a function.")));

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");

	job = job_lookup(name);
	partman = (strcmp(job.kind, "pg_partman") == 0);
	run_id = record_start(name, "run_maintenance");
	SPI_commit();

	backoff_ms = lock_ms;
	for (attempt = 1;; attempt++)
	{
		ErrorData  *edata;
		AttemptOutcome outcome;

		outcome = run_attempt(command, partman, lock_ms, statement_ms, &edata);
		/* end the attempt's transaction: every lock it took is released */
		SPI_commit();

		if (outcome == ATTEMPT_OK)
		{
			record_finish(name, run_id, true, NULL, attempt);
			SPI_commit();
			break;
		}

		if (outcome == ATTEMPT_RETRY && attempt <= retries)
		{
			ereport(NOTICE,
					(errmsg("job \"%s\": attempt %d of %d gave up: %s",
							name, attempt, retries + 1, edata->message),
					 errdetail("Retrying in %d ms.", backoff_ms)));
			FreeErrorData(edata);
			lifeguard_sleep_ms(backoff_ms);
			backoff_ms = Min(backoff_ms * 2, LG_MAX_BACKOFF_MS);
			continue;
		}

		record_finish(name, run_id, false, edata->message, attempt);
		SPI_commit();

		/*
		 * No SPI_finish() here: it would free edata, which lives in SPI's
		 * procedure context.  The ERROR's abort closes the connection.
		 */
		if (outcome == ATTEMPT_RETHROW)
			ReThrowError(edata);
		ereport(ERROR,
				(errcode(outcome == ATTEMPT_RETRY ? ERRCODE_LOCK_NOT_AVAILABLE :
						 edata->sqlerrcode),
				 errmsg_plural("maintenance job \"%s\" failed after %d attempt: %s",
							   "maintenance job \"%s\" failed after %d attempts: %s",
							   attempt,
							   name, attempt, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("The run is recorded in lifeguard.job_runs (run_id %lld).",
						 (long long) run_id)));
	}

	SPI_finish();
	PG_RETURN_VOID();
}
