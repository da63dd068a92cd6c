/*-------------------------------------------------------------------------
 *
 * privileges.c
 *		Who may read pg_lifeguard's state, who is an admin, and who may be
 *		signalled.
 *
 * Reading reuses PostgreSQL's predefined roles, as pg_stat_activity does:
 * superusers and roles with the privileges of pg_monitor.  The check is made
 * in C rather than through EXECUTE grants so that every caller gets the same
 * clear message, whatever grants a DBA has added.
 *
 * Admins are superusers and members (direct or indirect, with or without
 * INHERIT) of a role listed in lifeguard.admin_roles.  Membership is walked
 * through the pg_auth_members syscache, never through the ACL role cache:
 * the login hook runs before the session's database is known, and filling
 * that cache there would leave the session with the wrong privileges
 * (../shared/PG15-NOTES.md).
 *
 * Signalling re-implements the rules of pg_signal_backend() (static in
 * signalfuncs.c): only client backends, never a superuser's unless allowed,
 * and for a calling role the same privilege test as pg_terminate_backend.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_class.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "postmaster/postmaster.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/catcache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

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

/*
 * Is roleid a member, directly or through other roles, of a role named in
 * lifeguard.admin_roles (or one of them itself)?  Superuser status is not
 * considered here.  Needs catalog access (a transaction); reads only shared
 * catalogs, through the syscache.  Bounded by the number of roles roleid
 * belongs to.
 */
bool
lifeguard_role_is_admin(Oid roleid)
{
	char	   *rawstring;
	List	   *names;
	List	   *admins = NIL;
	List	   *queue;
	List	   *seen;
	ListCell   *lc;
	bool		result = false;

	if (lifeguard_admin_roles == NULL || lifeguard_admin_roles[0] == '\0')
		return false;

	rawstring = pstrdup(lifeguard_admin_roles);
	if (!SplitIdentifierString(rawstring, ',', &names))
		return false;			/* cannot happen: the check hook refuses it */
	foreach(lc, names)
	{
		Oid			admin = get_role_oid((char *) lfirst(lc), true);

		if (OidIsValid(admin))
			admins = lappend_oid(admins, admin);
	}
	list_free(names);
	pfree(rawstring);

	/* breadth-first walk up from roleid through pg_auth_members */
	queue = list_make1_oid(roleid);
	seen = list_make1_oid(roleid);
	while (queue != NIL && !result)
	{
		Oid			member = linitial_oid(queue);
		CatCList   *memlist;
		int			i;

		queue = list_delete_first(queue);
		if (list_member_oid(admins, member))
		{
			result = true;
			break;
		}
		memlist = SearchSysCacheList1(AUTHMEMMEMROLE,
									  ObjectIdGetDatum(member));
		for (i = 0; i < memlist->n_members; i++)
		{
			HeapTuple	tup = &memlist->members[i]->tuple;
			Oid			parent = ((Form_pg_auth_members) GETSTRUCT(tup))->roleid;

			if (!list_member_oid(seen, parent))
			{
				seen = lappend_oid(seen, parent);
				queue = lappend_oid(queue, parent);
			}
		}
		ReleaseSysCacheList(memlist);
	}

	list_free(queue);
	list_free(seen);
	list_free(admins);
	return result;
}

/*
 * The worker, before looking roles and databases up: take the locks the
 * syscache would take on a miss (AccessShareLock on pg_authid,
 * pg_auth_members and pg_database) without waiting.  Returns false when one
 * is not granted at once (someone runs VACUUM FULL on it, say): the caller
 * skips its lookups and tries again next tick.  Caller is in a transaction,
 * which keeps the locks.
 */
bool
lifeguard_lock_role_catalogs(void)
{
	/*
	 * The indexes too: a syscache miss scans them, and REINDEX (which a
	 * superuser may leave open in a transaction) locks only them.
	 */
	static const Oid relids[] = {
		AuthIdRelationId, AuthIdOidIndexId, AuthIdRolnameIndexId,
		AuthMemRelationId, AuthMemRoleMemIndexId, AuthMemMemRoleIndexId,
		DatabaseRelationId, DatabaseOidIndexId, DatabaseNameIndexId
	};
	int			i;

	for (i = 0; i < lengthof(relids); i++)
		if (!ConditionalLockRelationOid(relids[i], AccessShareLock))
			return false;
	return true;
}

/*
 * Send sig (SIGINT or SIGTERM) to the client backend with this pid, by the
 * rules of pg_signal_backend():
 *
 *	- it must be a client backend (not autovacuum, a walsender or a
 *	  background worker) whose role is still expected_roleid (when valid),
 *	  so a pid reused since the caller looked is left alone;
 *	- a superuser's backend only when allow_superuser;
 *	- when caller is a valid role (a SQL function acting for a user): a
 *	  superuser's backend only for a superuser, and others' only with the
 *	  privileges of their role or of pg_signal_backend.
 *
 * The check is made right before the signal.
 */
LifeguardSignalResult
lifeguard_signal_backend(int pid, int sig, Oid expected_roleid,
						 bool allow_superuser, Oid caller)
{
	PGPROC	   *proc = BackendPidGetProc(pid);
	Oid			roleid;

	if (proc == NULL)
		return LG_SIGNAL_GONE;
	if (proc->isBackgroundWorker || proc->pgprocno >= MaxConnections)
		return LG_SIGNAL_NOT_CLIENT;

	roleid = proc->roleId;
	if (!OidIsValid(roleid))
		return LG_SIGNAL_NOT_CLIENT;	/* still authenticating */
	if (OidIsValid(expected_roleid) && roleid != expected_roleid)
		return LG_SIGNAL_GONE;
	if (superuser_arg(roleid) && !allow_superuser)
		return LG_SIGNAL_SUPERUSER;
	if (OidIsValid(caller))
	{
		if (superuser_arg(roleid) && !superuser_arg(caller))
			return LG_SIGNAL_SUPERUSER;
		if (!has_privs_of_role(caller, roleid) &&
			!has_privs_of_role(caller, ROLE_PG_SIGNAL_BACKEND))
			return LG_SIGNAL_NO_PRIVILEGE;
	}

#ifdef HAVE_SETSID
	if (kill(-pid, sig) != 0)
#else
	if (kill(pid, sig) != 0)
#endif
	{
		ereport(WARNING,
				(errmsg("pg_lifeguard: could not send signal to process %d: %m",
						pid)));
		return LG_SIGNAL_FAILED;
	}
	return LG_SIGNAL_SENT;
}

/*
 * The owner of a relation, through the syscache; ERROR when it is gone.
 */
Oid
lifeguard_relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Must an error caught in a subtransaction be raised again rather than
 * reported and survived: a cancel, a termination, running out of memory?
 * Used wherever pg_lifeguard runs something it may not trust in a
 * subtransaction (pg_partman's configuration, a check, a maintenance
 * command).
 */
bool
lifeguard_error_passes_on(ErrorData *edata)
{
	return (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
			edata->elevel > ERROR);
}

/*
 * In a PG_CATCH block: the error being handled, copied into cxt (which
 * becomes the current context), with the error state cleared, so that the
 * caller can roll back and report it.  An error that must pass on
 * (lifeguard_error_passes_on) is thrown again instead.
 */
ErrorData *
lifeguard_catch_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (lifeguard_error_passes_on(edata))
		PG_RE_THROW();
	FlushErrorState();
	return edata;
}

/*
 * Run body(arg) in a subtransaction of the current transaction.  Returns
 * NULL when it succeeded (the subtransaction is committed), or else the
 * error it raised, copied into the caller's memory context, with the
 * subtransaction rolled back (and with it SPI, locks and a changed user
 * id).  An error that must pass on is thrown again.  The caller's memory
 * context and resource owner are current again either way.
 */
ErrorData *
lifeguard_run_subxact(void (*body) (void *arg), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		body(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		edata = lifeguard_catch_error(oldcxt);
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}
