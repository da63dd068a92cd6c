/*-------------------------------------------------------------------------
 *
 * login.c
 *		The login hook: the emergency admin reserve and per-class caps.
 *
 * The hook (ClientAuthentication_hook) runs in every new client backend
 * after authentication succeeded, before PostgreSQL's own checks of
 * superuser_reserved_connections and reserved_connections, which come
 * later in InitPostgres():
 *
 *	1. Admin reserve: when fewer than superuser_reserved_connections +
 *	   reserved_connections (16 on) + lifeguard.reserved_admin_slots PGPROCs
 *	   are free, a login that is not a superuser's nor an admin's is
 *	   refused.  The slots, from the last free one up:
 *	   superuser_reserved_connections (superusers), the admin reserve
 *	   (superusers and admins), reserved_connections (roles with the
 *	   privileges of pg_use_reserved_connections, and the above), then
 *	   everyone's.  So a pg_use_reserved_connections role is refused only
 *	   when it would take an admin slot, and an admin still passes
 *	   PostgreSQL's own checks as long as it may use reserved_connections
 *	   (docs/slots.md: grant pg_use_reserved_connections to admin roles
 *	   when reserved_connections is set).  Only under that pressure is
 *	   role membership looked at, through the syscache (privileges.c).
 *	2. Caps: the session checks the cap of every policy it matches and
 *	   counts itself in each, in one critical section of the policy duty
 *	   (lifeguard_policy_admit()), so simultaneous logins cannot overshoot;
 *	   it is uncounted when it exits.  Superusers and admins are not
 *	   refused by a cap unless the policy names their role.
 *
 * A refusal is a FATAL with SQLSTATE 53300 and a cap_refused or
 * login_refused event.  What the hook costs is counted in the slots duty's
 * shared memory (slots_int.h).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq/auth.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "portability/instr_time.h"
#include "replication/walsender.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "utils/acl.h"

#include "core/compat.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "policy/policy.h"
#include "slots/slots.h"
#include "slots/slots_int.h"

static ClientAuthentication_hook_type prev_client_auth_hook = NULL;

/*
 * Record a refusal (or, when not enforcing, a refusal that would have
 * happened) as an event, and return whether to enforce it.  A login storm
 * is held to lifeguard.event_burst events per kind, policy and role by the
 * event rate limit (events.c), which counts every refusal and records what
 * it held back as a summary event; so a refusal under one policy is never
 * hidden behind another policy's storm.
 */
static bool
report_refusal(LifeguardEventKind kind, const char *policy, Port *port,
			   const char *detail)
{
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	LifeguardEventSubject subject;

	subject.pid = MyProcPid;
	subject.role = port->user_name;
	subject.database = port->database_name;
	subject.application_name = port->application_name;
	lifeguard_event_record(kind, LG_SEVERITY_WARNING, &subject, policy,
						   enforce ? "refuse" : "would_refuse",
						   "%s", detail);
	return enforce;
}

/*
 * The admin reserve: see the file header.
 */
static void
check_admin_reserve(Port *port, Oid roleid)
{
	int			reserve = lifeguard_reserved_admin_slots;
	int			keep = LG_SUPERUSER_RESERVED + LG_ROLE_RESERVED + reserve;
	char		detail[LIFEGUARD_DETAIL_LEN];

	if (reserve <= 0 || lifeguard_have_free_procs(keep))
		return;
	if (superuser_arg(roleid) || lifeguard_role_is_admin(roleid))
		return;

	/*
	 * A role PostgreSQL lets use reserved_connections (16 on) may use those
	 * slots: only the admin reserve, below them, is kept from it.
	 */
	if (LG_ROLE_RESERVED > 0 && lifeguard_role_uses_reserved_connections(roleid))
	{
		keep = LG_SUPERUSER_RESERVED + reserve;
		if (lifeguard_have_free_procs(keep))
			return;
	}

	snprintf(detail, sizeof(detail),
			 "login of role \"%s\" refused: fewer than %d free slots remain, kept for emergency admin access",
			 port->user_name, keep);
	if (!report_refusal(LG_EVENT_LOGIN_REFUSED, NULL, port, detail))
		return;

	ereport(FATAL,
			(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
			 errmsg("remaining connection slots are reserved for emergency admin access"),
			 errdetail_plural("pg_lifeguard keeps %d connection slot (lifeguard.reserved_admin_slots) free for superusers and members of lifeguard.admin_roles.",
							  "pg_lifeguard keeps %d connection slots (lifeguard.reserved_admin_slots) free for superusers and members of lifeguard.admin_roles.",
							  reserve,
							  reserve)));
}

/*
 * Caps: count this session in every policy it matches, unless that would
 * exceed the cap of one that applies to it (lifeguard_policy_admit(), in
 * one critical section, so simultaneous logins cannot overshoot); refuse
 * it then.
 */
static void
check_caps(Port *port, Oid roleid, const char *appname)
{
	bool		enforce = lifeguard_enabled && !lifeguard_dry_run;
	LifeguardCapRefusal refused;
	char		detail[LIFEGUARD_DETAIL_LEN];

	if (!lifeguard_policy_admit(roleid, port->database_name, appname,
								enforce, &refused))
		return;

	snprintf(detail, sizeof(detail),
			 "login of role \"%s\" refused: policy \"%s\" allows %d connections and %d are in use",
			 port->user_name, refused.policy, refused.cap, refused.in_use);
	if (!report_refusal(LG_EVENT_CAP_REFUSED, refused.policy, port, detail))
		return;

	ereport(FATAL,
			(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
			 errmsg("too many connections for pg_lifeguard policy \"%s\"",
					refused.policy),
			 errdetail_plural("The policy allows %d connection and it is in use.",
							  "The policy allows %d connections and all are in use.",
							  refused.cap,
							  refused.cap)));
}

/*
 * ClientAuthentication_hook.
 */
static void
lifeguard_client_authentication(Port *port, int status)
{
	Oid			roleid;
	instr_time	start;
	instr_time	elapsed;

	if (prev_client_auth_hook)
		prev_client_auth_hook(port, status);

	if (status != STATUS_OK || am_walsender || Slots == NULL ||
		MyProc == NULL || lifeguard_proc_number(MyProc) >= MaxConnections)
		return;

	INSTR_TIME_SET_CURRENT(start);

	roleid = get_role_oid(port->user_name, true);
	if (!OidIsValid(roleid))
		return;					/* PostgreSQL refuses it itself */

	check_admin_reserve(port, roleid);
	check_caps(port, roleid,
			   port->application_name ? port->application_name : "");

	/* what the hook cost this login (refused ones never get here) */
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	pg_atomic_fetch_add_u64(&Slots->login_calls, 1);
	pg_atomic_fetch_add_u64(&Slots->login_ns,
							(uint64) (INSTR_TIME_GET_DOUBLE(elapsed) * 1e9));
}

/*
 * Logins the hook let through since server start, and the nanoseconds it
 * spent on them (worker_status(), metrics).
 */
void
lifeguard_login_hook_stats(uint64 *calls, uint64 *ns)
{
	*calls = Slots ? pg_atomic_read_u64(&Slots->login_calls) : 0;
	*ns = Slots ? pg_atomic_read_u64(&Slots->login_ns) : 0;
}

void
lifeguard_slots_install_hooks(void)
{
	prev_client_auth_hook = ClientAuthentication_hook;
	ClientAuthentication_hook = lifeguard_client_authentication;
}
