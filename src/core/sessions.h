/*-------------------------------------------------------------------------
 *
 * sessions.h
 *		Who holds a client slot, and what each client session is doing.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SESSIONS_H
#define LIFEGUARD_SESSIONS_H

#include "libpq/pqcomm.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "core/events.h"
#include "core/lifeguard.h"

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
	int			superuser_reserved;	/* superuser_reserved_connections */
	int			role_reserved;	/* reserved_connections (16 on), 0 in 15 */
	int			admin_reserved;
	int			usable;			/* what ordinary roles may use */
	int			used;			/* client PGPROCs in use */
	int			active;
	int			idle;
	int			idle_in_xact;
	int			waiting;
	int			authenticating; /* in use, not yet (or no longer) reporting */
	double		used_pct;		/* used / usable, in percent */
	LifeguardLevel status;
	TimestampTz oldest_lock_wait;	/* earliest waitStart of a lock wait, or 0 */
} LifeguardSlotCounts;

/* One client backend that reports its state */
typedef struct LifeguardSession
{
	int			pid;
	int			pgprocno;		/* index of its PGPROC */
	int			beindex;		/* index of its backend status entry */
	Oid			roleid;
	Oid			dbid;
	LifeguardSessionState state;
	bool		tracked;		/* reports its activity (track_activities) */
	uint32		wait_event_info;
	TimestampTz wait_start;		/* lock wait started (PGPROC), or 0 */
	TimestampTz backend_start;
	TimestampTz xact_start;		/* 0 outside a transaction */
	TimestampTz activity_start; /* start of the current (or last) statement */
	TimestampTz state_start;
	SockAddr	client_addr;
	char		appname[NAMEDATALEN];
} LifeguardSession;

extern int	lifeguard_collect_sessions(LifeguardSession **sessions,
									   LifeguardSlotCounts *counts);
extern bool lifeguard_session_unchanged(const LifeguardSession *s);
extern void lifeguard_session_subject(const LifeguardSession *s,
									  LifeguardEventSubject *subject);
extern const char *lifeguard_session_state_name(LifeguardSessionState state);

#endif							/* LIFEGUARD_SESSIONS_H */
