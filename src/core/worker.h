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
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "core/duty.h"

/* Room for the settings the worker publishes, as a JSON object */
#define LIFEGUARD_SETTINGS_LEN	8192
/* Room for the message of the worker's last error */
#define LIFEGUARD_ERROR_LEN		256

/* What the worker is doing, as worker_status() reports it */
typedef enum LifeguardWorkerPhase
{
	LG_WORKER_NOT_RUNNING = 0,	/* no worker process (yet, or any more) */
	LG_WORKER_STARTING,			/* started, connecting to its database */
	LG_WORKER_WAITING,			/* extension not created in its database */
	LG_WORKER_RUNNING,			/* watching and acting */
	LG_WORKER_DISABLED			/* lifeguard.enabled = off: watching only */
} LifeguardWorkerPhase;

/*
 * The worker's own state, in shared memory (worker.c); read it with
 * lifeguard_worker_state().
 */
typedef struct LifeguardWorkerState
{
	pid_t		pid;			/* 0 when no worker runs */
	LifeguardWorkerPhase phase;
	Latch	   *latch;			/* the worker's latch, to wake it up */
	TimestampTz started_at;
	TimestampTz last_tick_at;
	uint64		ticks;
	int64		last_tick_us;	/* duration of the last tick */
	int64		max_tick_us;	/* longest tick since the worker started */
	uint64		errors;			/* ERRORs caught in ticks, all workers */
	uint64		starts;			/* worker processes started since boot */
	uint64		acted_overflows;	/* acted-on memory full (acted.c) */
	char		last_error[LIFEGUARD_ERROR_LEN];
	char		database[NAMEDATALEN];
	char		settings[LIFEGUARD_SETTINGS_LEN];	/* JSON, see worker.c */
} LifeguardWorkerState;

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
extern void lifeguard_wake_worker(void);
extern void lifeguard_worker_state(LifeguardWorkerState *dst);
extern void lifeguard_worker_count_acted_overflow(void);

extern const LifeguardShmemPiece lifeguard_worker_shmem;

extern PGDLLEXPORT void lifeguard_worker_main(Datum main_arg);

#endif							/* LIFEGUARD_WORKER_H */
