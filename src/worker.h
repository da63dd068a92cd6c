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

extern void lifeguard_describe_worker(BackgroundWorker *worker,
									  const char *name, const char *function,
									  int restart_seconds);
extern void lifeguard_register_worker(void);
extern void lifeguard_wake_worker(void);

extern PGDLLEXPORT void lifeguard_worker_main(Datum main_arg);

#endif							/* LIFEGUARD_WORKER_H */
