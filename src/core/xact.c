/*-------------------------------------------------------------------------
 *
 * xact.c
 *		Running code safely: catching errors, subtransactions, and waiting
 *		without missing an interrupt.
 *
 * pg_lifeguard runs code it cannot trust to succeed (another extension's
 * configuration, a user's maintenance command, a damaged table) inside
 * the worker, which must survive it, and inside user backends, which must
 * not lose a cancel.  These helpers catch what may be survived and pass on
 * what may not (a cancel, a termination, running out of memory).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "core/xact.h"

/*
 * Must an error caught in a subtransaction be raised again rather than
 * reported and survived: a cancel, a termination, running out of memory?
 * Used wherever pg_lifeguard runs something it may not trust in a
 * subtransaction (pg_partman's configuration, a check, a maintenance
 * command).
 */
bool
lifeguard_error_passes_on(ErrorData *edata)
{
	return (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
			edata->elevel > ERROR);
}

/*
 * In a PG_CATCH block: the error being handled, copied into cxt (which
 * becomes the current context), with the error state cleared, so that the
 * caller can roll back and report it.  An error that must pass on
 * (lifeguard_error_passes_on) is thrown again instead.
 */
ErrorData *
lifeguard_catch_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (lifeguard_error_passes_on(edata))
		PG_RE_THROW();
	FlushErrorState();
	return edata;
}

/*
 * Run body(arg) in a subtransaction of the current transaction.  Returns
 * NULL when it succeeded (the subtransaction is committed), or else the
 * error it raised, copied into the caller's memory context, with the
 * subtransaction rolled back (and with it SPI, locks and a changed user
 * id).  An error that must pass on is thrown again.  The caller's memory
 * context and resource owner are current again either way.
 */
ErrorData *
lifeguard_run_subxact(void (*body) (void *arg), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		body(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		edata = lifeguard_catch_error(oldcxt);
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

/*
 * Sleep ms milliseconds on the process latch, answering interrupts (a
 * cancel or termination ends it at once) and the postmaster's death.
 */
void
lifeguard_sleep_ms(int ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left;

		CHECK_FOR_INTERRUPTS();
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
