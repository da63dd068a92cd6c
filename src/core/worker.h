/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The pg_lifeguard background worker.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_WORKER_H
#define LIFEGUARD_WORKER_H

#include "postmaster/bgworker.h"

/*
 * A part of the worker's work that can fail on its own while the rest goes
 * on (reloading the policies, writing the event log...).  A run of
 * failures is reported once, when it starts, and its end once (worker.c,
 * "Surviving its own errors").  Process-local; the checks keep the same
 * state in shared memory for their check workers (checks.c).
 */
typedef struct LifeguardPart
{
	const char *name;			/* in messages: "policy reload" */
	bool		failing;		/* its last run failed */
} LifeguardPart;

extern void lifeguard_part_done(LifeguardPart *part, const char *database,
								ErrorData *edata);
extern void lifeguard_report_part_failure(const char *part,
										  const char *database,
										  const char *message, bool first);
extern void lifeguard_report_part_recovery(const char *part,
										   const char *database);

extern void lifeguard_describe_worker(BackgroundWorker *worker,
									  const char *name, const char *function,
									  int restart_seconds);
extern void lifeguard_register_worker(void);
extern void lifeguard_wake_worker(void);

extern PGDLLEXPORT void lifeguard_worker_main(Datum main_arg);

#endif							/* LIFEGUARD_WORKER_H */
