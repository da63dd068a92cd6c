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

#include "limits/enforce.h"
#include "events/events.h"
#include "policy/policy.h"
#include "slots/slots.h"

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
	uint64		lock_graphs;	/* lock graphs the worker built, all workers */
	char		last_error[LIFEGUARD_ERROR_LEN];
	char		database[NAMEDATALEN];
	char		settings[LIFEGUARD_SETTINGS_LEN];	/* JSON, see worker.c */
} LifeguardWorkerState;

/*
 * What a client backend counted itself in at login, so that it can uncount
 * itself at exit and the worker can recount everyone when policies change.
 * One entry per client PGPROC (index pgprocno); protected by policy_lock.
 */
typedef struct LifeguardBackendEntry
{
	int			pid;			/* 0 = entry unused */
	Oid			roleid;
	Oid			dbid;
	uint64		generation;		/* policy generation "counted" refers to */
	uint64		counted[LIFEGUARD_POLICY_WORDS];	/* bitmap of policies */
	char		appname[NAMEDATALEN];	/* application_name at login */
} LifeguardBackendEntry;

/*
 * What the partition and job checks last reported about one partitioned
 * table (relid) or one job (job), in one database: an alert is reported
 * when its level or problems change, and an alert that repeats is reported
 * again every lifeguard.alert_repeat.  Only non-ok states are kept.
 * Protected by alert_lock (checks.c).
 *
 * An entry with no relid and a job starting with LIFEGUARD_ALERT_NOTE is
 * not a job but a note about the database, kept so it is said once (a
 * look-alike of pg_cron's tables, say); job names cannot start so.
 */
#define LIFEGUARD_MAX_ALERTS	512
#define LIFEGUARD_ALERT_NOTE	'('

typedef struct LifeguardAlert
{
	Oid			dbid;			/* InvalidOid = entry unused */
	Oid			relid;			/* partitioned table, or InvalidOid */
	char		job[NAMEDATALEN];	/* job name, or "" */
	char		table[2 * NAMEDATALEN + 1]; /* schema.table, or "" */
	int			level;			/* what was last reported; 0 = ok */
	int			flags;			/* which problems were reported */
	TimestampTz reported_at;
	uint64		check;			/* last check that saw it */
} LifeguardAlert;

typedef struct LifeguardShared
{
	/* Protects "worker" */
	slock_t		mutex;
	LifeguardWorkerState worker;

	/*
	 * Published policies and their live session counts, protected by
	 * policy_lock together with the backend entries.  policies_changed is
	 * bumped (atomically, no lock) when a transaction that changed
	 * lifeguard.policies commits; the worker republishes when it moves.
	 */
	LWLock	   *policy_lock;
	uint64		policy_generation;
	bool		policies_need_database; /* some policy sets database_name */
	int			npolicies;
	LifeguardPolicy policies[LIFEGUARD_MAX_POLICIES];
	int			policy_connections[LIFEGUARD_MAX_POLICIES];
	pg_atomic_uint64 policies_changed;

	/*
	 * Cost of the login hook, for worker_status(): logins it let through
	 * and the nanoseconds it spent on them (atomics, no lock).
	 */
	pg_atomic_uint64 login_hook_calls;
	pg_atomic_uint64 login_hook_ns;

	/* Partition and job alerts, and the checks made; see LifeguardAlert */
	LWLock	   *alert_lock;
	uint64		checks;			/* checks started, all databases */
	LifeguardAlert alerts[LIFEGUARD_MAX_ALERTS];

	/* Slot history ring, protected by history_lock */
	LWLock	   *history_lock;
	uint64		history_next;	/* samples ever taken */
	LifeguardSlotSample history[LIFEGUARD_HISTORY_SIZE];

	/*
	 * The event ring.  "lock" protects next_seq and ring[]; ring_size is
	 * fixed at startup.  Event counts are atomics, read without any lock.
	 */
	LWLock	   *lock;
	uint64		next_seq;		/* sequence number of the next event */
	int			ring_size;
	pg_atomic_uint64 event_counts[LG_EVENT_NKINDS];
	pg_atomic_uint64 action_counts[LG_EVENT_NKINDS];	/* refused, cancelled,
														 * terminated (not dry
														 * runs) */

	/*
	 * How far the worker got through the ring (eventlog.c), protected by
	 * "lock" like the ring itself and moved by the worker only: the last
	 * event written to lifeguard.events or lost before it could be, and the
	 * last one offered to NOTIFY.  The counters are atomics, read without a
	 * lock.
	 */
	uint64		persisted_seq;
	uint64		notified_seq;
	pg_atomic_uint64 events_persisted;	/* rows written to lifeguard.events */
	pg_atomic_uint64 events_dropped;	/* left the ring before being written */
	pg_atomic_uint64 events_notified;	/* sent with NOTIFY lifeguard */

	/*
	 * The rate limit of events people can cause (events.c): its buckets are
	 * protected by "lock" like the ring; what it held back is counted per
	 * kind in atomics, read without a lock.
	 */
	LifeguardEventBucket buckets[LIFEGUARD_EVENT_BUCKETS];
	pg_atomic_uint64 suppressed_counts[LG_EVENT_NKINDS];

	LifeguardEvent ring[FLEXIBLE_ARRAY_MEMBER];
} LifeguardShared;

/* NULL until shared memory is attached, and in a process without it */
extern LifeguardShared *LifeguardState;

/* MaxConnections entries, one per client PGPROC; see LifeguardBackendEntry */
extern LifeguardBackendEntry *LifeguardBackends;

/* MaxConnections entries, one per client PGPROC; see LifeguardReason */
extern LifeguardReason *LifeguardReasons;

extern void lifeguard_shmem_install_hooks(void);

#endif							/* LIFEGUARD_SHMEM_H */
