/*-------------------------------------------------------------------------
 *
 * policy.h
 *		Policies: which sessions a limit applies to, as published in shared
 *		memory.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_POLICY_H
#define LIFEGUARD_POLICY_H

#include "core/duty.h"

/* Most enabled policies that can be published; the table refuses more */
#define LIFEGUARD_MAX_POLICIES	128
#define LIFEGUARD_POLICY_WORDS	(LIFEGUARD_MAX_POLICIES / 64)

/*
 * Bounds of every interval a policy sets, in the milliseconds it is
 * enforced in (whole milliseconds of extract(epoch), as the table's CHECK
 * constraints count them): at least 1 ms, at most 100 years of 365.25
 * days, which microseconds, timestamps and intervals all hold.
 */
#define LIFEGUARD_LIMIT_MIN_MS	INT64CONST(1)
#define LIFEGUARD_LIMIT_MAX_MS	INT64CONST(3155760000000)

/* What a policy does to a session past one of its time limits */
typedef enum LifeguardAction
{
	LG_ACTION_LOG = 0,			/* record an event only */
	LG_ACTION_CANCEL,			/* cancel the statement (escalating) */
	LG_ACTION_TERMINATE			/* terminate the session */
} LifeguardAction;

/*
 * The time limits a policy may set on sessions, enforced by the worker:
 * the first LG_LIMIT_NTIME by the time limits duty (with the policy's
 * action), the idle ones by the slots duty (terminating).
 */
typedef enum LifeguardLimit
{
	LG_LIMIT_STATEMENT = 0,
	LG_LIMIT_LOCK_WAIT,
	LG_LIMIT_IDLE_IN_XACT,
	LG_LIMIT_TRANSACTION,
	LG_LIMIT_BLOCKING,
	LG_LIMIT_IDLE,				/* idle_timeout */
	LG_LIMIT_SHED_IDLE,			/* shed_idle_after, under slot pressure */
	LG_LIMIT_NKINDS				/* must be last */
} LifeguardLimit;

#define LG_LIMIT_NTIME	(LG_LIMIT_BLOCKING + 1)

/*
 * One enabled row of lifeguard.policies, resolved for matching: role and
 * database names are turned into OIDs by the worker when it publishes, so
 * neither the login hook nor the worker's tick looks names up.
 */
typedef struct LifeguardPolicy
{
	char		name[NAMEDATALEN];
	char		role_name[NAMEDATALEN];
	char		database_name[NAMEDATALEN];
	char		app_pattern[NAMEDATALEN];
	bool		has_role;		/* role_name IS NOT NULL */
	bool		has_database;	/* database_name IS NOT NULL */
	bool		has_app;		/* application_name IS NOT NULL */
	Oid			roleid;			/* InvalidOid: named role does not exist */
	Oid			dbid;			/* InvalidOid: named database does not exist */
	int			max_connections;	/* -1 = no cap */
	int64		limit_ms[LG_LIMIT_NKINDS];	/* -1 = none */
	LifeguardAction action;
} LifeguardPolicy;

extern bool lifeguard_like_match(const char *str, const char *pattern);
extern bool lifeguard_policy_matches(const LifeguardPolicy *p, Oid roleid,
									 Oid dbid, const char *appname);

/* The resolver: which policies bind a session, and the strictest one */
extern bool lifeguard_role_privileged(Oid roleid);
extern bool lifeguard_policy_binds(const LifeguardPolicy *p, bool privileged);
extern int	lifeguard_policy_strictest(const LifeguardPolicy *policies,
									   int npolicies, const bool *matches,
									   LifeguardLimit limit, bool privileged);
extern int	lifeguard_policies_copy(LifeguardPolicy *dst);
extern int	lifeguard_policies_count(void);
extern const LifeguardPolicy *lifeguard_tick_policies(int *npolicies);
extern const char *lifeguard_limit_name(LifeguardLimit limit);
extern const char *lifeguard_action_name(LifeguardAction action);

/* The policy whose cap refused a login, and its numbers at that moment */
typedef struct LifeguardCapRefusal
{
	char		policy[NAMEDATALEN];
	int			cap;
	int			in_use;
} LifeguardCapRefusal;

extern bool lifeguard_policy_admit(Oid roleid, const char *dbname,
								   const char *appname, bool enforce,
								   LifeguardCapRefusal *refused);

extern const LifeguardDuty lifeguard_policy_duty;

#endif							/* LIFEGUARD_POLICY_H */
