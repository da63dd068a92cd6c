/*-------------------------------------------------------------------------
 *
 * privileges.h
 *		Who may read pg_lifeguard's state, who is an admin, who may be
 *		signalled; and resolving names only where no one else can plant
 *		objects.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_PRIVILEGES_H
#define LIFEGUARD_PRIVILEGES_H

typedef enum LifeguardSignalResult
{
	LG_SIGNAL_SENT = 0,
	LG_SIGNAL_GONE,				/* no such backend (any more) */
	LG_SIGNAL_NOT_CLIENT,		/* not a client backend: never signalled */
	LG_SIGNAL_SUPERUSER,		/* a superuser's backend */
	LG_SIGNAL_NO_PRIVILEGE,		/* the calling role may not signal it */
	LG_SIGNAL_FAILED			/* kill() failed */
} LifeguardSignalResult;

extern void lifeguard_require_monitor(const char *funcname);
extern char *lifeguard_name_for_message(const char *name);
extern bool lifeguard_role_is_admin(Oid roleid);
extern bool lifeguard_role_uses_reserved_connections(Oid roleid);
extern bool lifeguard_lock_role_catalogs(void);
extern Oid	lifeguard_relation_owner(Oid relid);
extern LifeguardSignalResult lifeguard_signal_backend(int pid, int sig,
													  Oid expected_roleid,
													  bool allow_superuser,
													  Oid caller);

/* Name resolution (privileges.c, "Name resolution") */
extern void lifeguard_pin_worker_search_path(void);
extern int	lifeguard_pin_search_path(void);
extern void lifeguard_unpin_search_path(int nestlevel);
extern Oid	lifeguard_extension_table(const char *extname, const char *relname,
									  const char **why, bool *busy);

#endif							/* LIFEGUARD_PRIVILEGES_H */
