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

/* Most enabled policies that can be published; the table refuses more */
#define LIFEGUARD_MAX_POLICIES	128
#define LIFEGUARD_POLICY_WORDS	(LIFEGUARD_MAX_POLICIES / 64)

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
	int64		idle_timeout_ms;	/* -1 = none */
	int64		shed_idle_after_ms; /* -1 = none */
} LifeguardPolicy;

extern bool lifeguard_like_match(const char *str, const char *pattern);
extern bool lifeguard_policy_matches(const LifeguardPolicy *p, Oid roleid,
									 Oid dbid, const char *appname);
extern void lifeguard_policies_refresh(bool extension_present, bool force);
extern bool lifeguard_policies_stale(void);
extern int	lifeguard_policies_copy(LifeguardPolicy *dst);

#endif							/* LIFEGUARD_POLICY_H */
