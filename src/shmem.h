/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		pg_lifeguard's shared memory: worker state and the event ring.
 *
 * The locking protocol is described at the top of shmem.c; every field
 * below names the lock that protects it.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SHMEM_H
#define LIFEGUARD_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "events.h"

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
 * The worker's own state.  Written by the worker only, read by anyone;
 * protected by LifeguardShared->mutex (a spinlock: every access is a
 * handful of assignments or one memcpy).
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
	char		last_error[LIFEGUARD_ERROR_LEN];
	char		database[NAMEDATALEN];
	char		settings[LIFEGUARD_SETTINGS_LEN];	/* JSON, see worker.c */
} LifeguardWorkerState;

typedef struct LifeguardShared
{
	/* Protects "worker" */
	slock_t		mutex;
	LifeguardWorkerState worker;

	/*
	 * The event ring.  "lock" protects next_seq and ring[]; ring_size is
	 * fixed at startup.  Event counts are atomics, read without any lock.
	 */
	LWLock	   *lock;
	uint64		next_seq;		/* sequence number of the next event */
	int			ring_size;
	pg_atomic_uint64 event_counts[LG_EVENT_NKINDS];
	LifeguardEvent ring[FLEXIBLE_ARRAY_MEMBER];
} LifeguardShared;

/* NULL until shared memory is attached, and in a process without it */
extern LifeguardShared *LifeguardState;

extern void lifeguard_shmem_install_hooks(void);

#endif							/* LIFEGUARD_SHMEM_H */
