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
 * (the cache, roles_is_member_of(), also decides membership in
 * pg_database_owner from the current database's owner: filled before that
 * database is known, it would deny the database owner its rights for the
 * whole session).
 *
 * Signalling re-implements the rules of pg_signal_backend() (static in
 * signalfuncs.c): only client backends, never a superuser's unless allowed,
 * and for a calling role the same privilege test as pg_terminate_backend.
 *
 * Name resolution.  The workers run as the bootstrap superuser, and some
 * SQL-callable functions run SQL as the owner of the extension's tables.
 * Neither may ever resolve a function, operator or type through a schema
 * that another role can create objects in: a database owner owns "public"
 * in PostgreSQL 15, an upgraded cluster may still let everyone create
 * there, and anyone may own a schema named like the worker's role.  So:
 *
 *	- every background worker pins search_path to "pg_catalog, pg_temp"
 *	  right after it connects (lifeguard_pin_worker_search_path), over
 *	  whatever ALTER DATABASE or ALTER ROLE set; with pg_temp named last,
 *	  functions and operators resolve in pg_catalog alone;
 *	- C functions that run SQL for a caller pin it for as long as that SQL
 *	  runs (lifeguard_pin_search_path / lifeguard_unpin_search_path);
 *	- the install script's functions have SET search_path or a BEGIN ATOMIC
 *	  body, and name other extensions' objects only after finding them
 *	  through pg_extension and pg_depend (lifeguard_extension_table).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "catalog/pg_class.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "postmaster/postmaster.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/catcache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/privileges.h"

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
 * A user-supplied name or pattern as an error message may quote it: at most
 * LIFEGUARD_MESSAGE_NAME_LEN bytes, cut at a character boundary and followed
 * by "..." when it was longer, so that an argument of 100,000 characters
 * does not come back whole in the message, nor go whole into the server
 * log.  Names PostgreSQL can store (NAMEDATALEN - 1 bytes) come back
 * unchanged.
 */
char *
lifeguard_name_for_message(const char *name)
{
	int			len = strlen(name);

	if (len <= LIFEGUARD_MESSAGE_NAME_LEN)
		return pstrdup(name);
	return psprintf("%.*s...",
					pg_mbcliplen(name, len, LIFEGUARD_MESSAGE_NAME_LEN), name);
}

/*
 * Does roleid reach one of the roles in targets (or is it one of them),
 * walking pg_auth_members upwards breadth-first?  With inherit_only, only
 * grants whose privileges are inherited are followed (compat.h), as
 * has_privs_of_role() does; otherwise any membership counts.  Reads only
 * shared catalogs, through the syscache, and never PostgreSQL's own
 * role-membership cache: filled in the login hook, before the database is
 * known, that cache would lose the session's pg_database_owner membership.
 * Bounded by the number of roles roleid belongs to.
 */
static bool
role_reaches(Oid roleid, List *targets, bool inherit_only)
{
	List	   *queue = list_make1_oid(roleid);
	List	   *seen = list_make1_oid(roleid);
	bool		result = false;

	while (queue != NIL && !result)
	{
		Oid			member = linitial_oid(queue);
		CatCList   *memlist;
		int			i;

		queue = list_delete_first(queue);
		if (list_member_oid(targets, member))
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

			if (inherit_only && !lifeguard_membership_inherits(tup))
				continue;
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
	return result;
}

/*
 * Is roleid a member, directly or through other roles, of a role named in
 * lifeguard.admin_roles (or one of them itself)?  Superuser status is not
 * considered here.  Needs catalog access (a transaction).
 */
bool
lifeguard_role_is_admin(Oid roleid)
{
	char	   *rawstring;
	List	   *names;
	List	   *admins = NIL;
	ListCell   *lc;
	bool		result;

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

	result = role_reaches(roleid, admins, false);
	list_free(admins);
	return result;
}

/*
 * May roleid use the slots of reserved_connections (PostgreSQL 16 on):
 * does it have the privileges of pg_use_reserved_connections?  Always
 * false in 15, which has neither.  Superuser status is not considered.
 */
bool
lifeguard_role_uses_reserved_connections(Oid roleid)
{
	Oid			role = LG_USE_RESERVED_CONNECTIONS_ROLE;
	List	   *targets;
	bool		result;

	if (!OidIsValid(role))
		return false;
	targets = list_make1_oid(role);
	result = role_reaches(roleid, targets, true);
	list_free(targets);
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
	if (!lifeguard_proc_is_client(proc))
		return LG_SIGNAL_NOT_CLIENT;

	roleid = lifeguard_proc_role(proc);
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
				(errmsg("could not send signal to process %d: %m",
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
 * Pin search_path for the rest of this background worker's life, over any
 * value ALTER DATABASE or ALTER ROLE gave it.  Call right after
 * BackgroundWorkerInitializeConnection(), before any SQL runs.
 */
void
lifeguard_pin_worker_search_path(void)
{
	SetConfigOption("search_path", LIFEGUARD_SAFE_SEARCH_PATH,
					PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * Pin search_path until lifeguard_unpin_search_path(), in a new GUC nesting
 * level, for SQL a function runs on a caller's behalf.  Returns the level.
 * An error in between needs no unpinning: the (sub)transaction's abort
 * unwinds the level.  Never keep a level across a commit (SPI_commit in a
 * procedure ends every level).
 */
int
lifeguard_pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", LIFEGUARD_SAFE_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	return nestlevel;
}

/* Give the caller its own search_path back */
void
lifeguard_unpin_search_path(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * The member of extension extoid that is a relation named relname, from
 * pg_depend (whose lock and reference index the caller holds), wherever it
 * lives: an extension's tables need not be in its own schema (pg_cron's
 * control file names none, and its tables are in "cron").  InvalidOid when
 * the extension has no such member; a relation of that name that some role
 * created is never one.
 */
static Oid
extension_member(Oid extoid, const char *relname)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tup;
	Oid			found = InvalidOid;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		char	   *name;

		if (dep->classid != RelationRelationId ||
			dep->deptype != DEPENDENCY_EXTENSION || dep->objsubid != 0)
			continue;
		name = get_rel_name(dep->objid);
		if (name != NULL && strcmp(name, relname) == 0)
		{
			found = dep->objid;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The OID of extension extname, from pg_extension (whose lock and name
 * index the caller holds).  False when it is not installed.
 */
static bool
extension_lookup(const char *extname, Oid *extoid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(extname));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);

		*extoid = ext->oid;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Find table relname of extension extname, installed in this database: the
 * relation of that name that pg_depend records as a member of the
 * extension, and only when it is an ordinary table.  Returns its OID, or
 * InvalidOid with *why set to a sentence for the operator when the
 * extension is installed but has no such table; *why is NULL when the
 * extension is not installed.  *busy says that a catalog lock was not
 * granted at once and nothing is known: ask again later.
 */
Oid
lifeguard_extension_table(const char *extname, const char *relname,
						  const char **why, bool *busy)
{
	Oid			extoid;
	Oid			relid;

	*why = NULL;
	*busy = false;
	if (!ConditionalLockRelationOid(ExtensionRelationId, AccessShareLock) ||
		!ConditionalLockRelationOid(ExtensionNameIndexId, AccessShareLock) ||
		!ConditionalLockRelationOid(DependRelationId, AccessShareLock) ||
		!ConditionalLockRelationOid(DependReferenceIndexId, AccessShareLock))
	{
		*busy = true;
		return InvalidOid;
	}
	if (!extension_lookup(extname, &extoid))
		return InvalidOid;
	relid = extension_member(extoid, relname);
	if (!OidIsValid(relid))
	{
		*why = psprintf("extension \"%s\" is installed but has no table \"%s\"",
						extname, relname);
		return InvalidOid;
	}
	if (get_rel_relkind(relid) != RELKIND_RELATION)
	{
		*why = psprintf("relation \"%s.%s\" of extension \"%s\" is not an ordinary table",
						get_namespace_name(get_rel_namespace(relid)), relname,
						extname);
		return InvalidOid;
	}
	return relid;
}
