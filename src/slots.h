/*-------------------------------------------------------------------------
 *
 * slots.h
 *		Connection slots: accounting, the login hook, idle shedding.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SLOTS_H
#define LIFEGUARD_SLOTS_H

#include "libpq/pqcomm.h"
#include "storage/proc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

/*
 * The pid of the process using this PGPROC, or 0 when it is on the free
 * list.  In use means: its latch has an owner.  InitProcess() takes the
 * latch (OwnLatch) right after taking the PGPROC off the free list, and
 * ProcKill() gives it up (DisownLatch) right before putting it back.  The
 * pid field cannot tell: PostgreSQL 15 leaves a client backend's pid in its
 * PGPROC after exit.  Read without a lock: a momentary view.
 */
static inline int
lifeguard_proc_pid(PGPROC *proc)
{
	return proc->procLatch.owner_pid;
}

/* Does this wait_event_info say "waiting on a heavyweight lock"? */
#define LIFEGUARD_WAITS_ON_LOCK(wait_event_info) \
	(((wait_event_info) & 0xFF000000) == PG_WAIT_LOCK)

typedef enum LifeguardSlotStatus
{
	LG_SLOTS_OK = 0,
	LG_SLOTS_WARNING,
	LG_SLOTS_CRITICAL
} LifeguardSlotStatus;

typedef enum LifeguardSessionState
{
	LG_SESSION_ACTIVE = 0,
	LG_SESSION_IDLE,
	LG_SESSION_IDLE_IN_XACT,
	LG_SESSION_WAITING			/* active, waiting on a heavyweight lock */
} LifeguardSessionState;

/* Whole-server slot counts at one moment */
typedef struct LifeguardSlotCounts
{
	int			max_connections;
	int			superuser_reserved;
	int			admin_reserved;
	int			usable;			/* what ordinary roles may use */
	int			used;			/* client PGPROCs in use */
	int			active;
	int			idle;
	int			idle_in_xact;
	int			waiting;
	int			authenticating; /* in use, not yet (or no longer) reporting */
	double		used_pct;		/* used / usable, in percent */
	LifeguardSlotStatus status;
} LifeguardSlotCounts;

/* One client backend that reports its state */
typedef struct LifeguardSession
{
	int			pid;
	Oid			roleid;
	Oid			dbid;
	LifeguardSessionState state;
	TimestampTz backend_start;
	TimestampTz state_start;
	SockAddr	client_addr;
	char		appname[NAMEDATALEN];
} LifeguardSession;

/* One sample of the slot history ring */
typedef struct LifeguardSlotSample
{
	TimestampTz sampled_at;
	int32		used;
	int32		free;
	int32		active;
	int32		idle;
	int32		idle_in_xact;
	int32		waiting;
	int32		authenticating;
	int32		usable;
	int32		status;			/* LifeguardSlotStatus */
} LifeguardSlotSample;

/* Samples kept: one hour at one sample a second */
#define LIFEGUARD_HISTORY_SIZE		3600
#define LIFEGUARD_HISTORY_EVERY_MS	1000

extern void lifeguard_slots_install_hooks(void);
extern int	lifeguard_collect_sessions(LifeguardSession **sessions,
									   LifeguardSlotCounts *counts);
extern const char *lifeguard_slot_status_name(LifeguardSlotStatus status);
extern void lifeguard_slots_tick(TimestampTz now);

#endif							/* LIFEGUARD_SLOTS_H */
