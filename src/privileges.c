/*-------------------------------------------------------------------------
 *
 * privileges.c
 *		Who may read pg_lifeguard's state.
 *
 * Reading reuses PostgreSQL's predefined roles, as pg_stat_activity does:
 * superusers and roles with the privileges of pg_monitor.  The check is made
 * in C rather than through EXECUTE grants so that every caller gets the same
 * clear message, whatever grants a DBA has added.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "pg_lifeguard.h"

/*
 * Raise ERROR 42501 unless the current user has the privileges of
 * pg_monitor (superusers always have).
 */
void
lifeguard_require_monitor(const char *funcname)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_MONITOR))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", funcname),
				 errdetail("Only superusers and roles with the privileges of the \"%s\" role may read pg_lifeguard's state.",
						   "pg_monitor"),
				 errhint("GRANT pg_monitor TO the role that runs this query.")));
}
