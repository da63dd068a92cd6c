/*-------------------------------------------------------------------------
 *
 * settings.c
 *		The lifeguard.* settings: their variables, definitions and checks.
 *
 * Every module reads these variables (declared in lifeguard.h); only this
 * file defines them.  docs/settings.md documents each one.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "core/compat.h"
#include "core/lifeguard.h"

/* The settings; docs/settings.md documents each one */
bool		lifeguard_enabled = true;
bool		lifeguard_dry_run = false;
int			lifeguard_naptime = 1000;
char	   *lifeguard_database = NULL;
int			lifeguard_slot_warning = 80;
int			lifeguard_slot_critical = 95;
int			lifeguard_reserved_admin_slots = 2;
char	   *lifeguard_admin_roles = NULL;
int			lifeguard_event_ring_size = 1024;
int			lifeguard_event_burst = 20;
bool		lifeguard_debug_tick_error = false;
int			lifeguard_debug_shed_delay = 0;
int			lifeguard_debug_check_delay = 0;
int			lifeguard_debug_acted_capacity = 0;
int			lifeguard_partition_horizon = 24 * 60;
int			lifeguard_check_interval = 60;
char	   *lifeguard_databases = NULL;
int			lifeguard_alert_repeat = 3600;
int			lifeguard_event_retention = 7 * 24 * 3600;
bool		lifeguard_notify = false;
int			lifeguard_http_port = 0;
char	   *lifeguard_http_listen = NULL;
char	   *lifeguard_http_token = NULL;

/*
 * A comma-separated list of at most "max" identifiers, quoted where
 * needed.  Each check hook passes its own complete sentences: the hint for
 * a syntax error (with %s for the example) and the detail for too many
 * names (with %d for the most and %d for the number given).
 */
static bool
check_name_list(const char *value, int max, const char *syntax_hint,
				const char *example, const char *too_many)
{
	char	   *rawstring;
	List	   *elemlist;
	bool		ok = true;

	rawstring = pstrdup(value);
	if (!SplitIdentifierString(rawstring, ',', &elemlist))
	{
		GUC_check_errdetail("List syntax is invalid.");
		GUC_check_errhint(syntax_hint, example);
		ok = false;
	}
	else if (list_length(elemlist) > max)
	{
		GUC_check_errdetail(too_many, max, list_length(elemlist));
		ok = false;
	}

	pfree(rawstring);
	list_free(elemlist);
	return ok;
}

/*
 * Check hook for lifeguard.admin_roles.  Roles are not looked up here (the
 * postmaster has no catalog access); a name that matches no role simply
 * admits nobody.
 */
static bool
check_admin_roles(char **newval, void **extra, GucSource source)
{
	return check_name_list(*newval, LIFEGUARD_MAX_ADMIN_ROLES,
						   "Use a comma-separated list of role names, for example %s.",
						   "'dba, \"Ops Admin\"'",
						   "At most %d roles may be listed, %d were given.");
}

/*
 * Check hook for lifeguard.databases.  Databases are not looked up here
 * either; the worker says so once when a listed one does not exist.
 */
static bool
check_databases(char **newval, void **extra, GucSource source)
{
	return check_name_list(*newval, LIFEGUARD_MAX_CHECK_DATABASES,
						   "Use a comma-separated list of database names, for example %s.",
						   "'postgres, app'",
						   "At most %d databases may be listed, %d were given.");
}

/*
 * lifeguard.http_listen: one numeric IPv4 or IPv6 address (no host names:
 * resolving one could wait on DNS while the server is in trouble).
 */
static bool
check_http_listen(char **newval, void **extra, GucSource source)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, *newval, addr) == 1 ||
		inet_pton(AF_INET6, *newval, addr) == 1)
		return true;
	GUC_check_errdetail("\"%s\" is not a numeric IPv4 or IPv6 address.", *newval);
	return false;
}

/*
 * Define every lifeguard.* setting; called once, from _PG_init.
 */
void
lifeguard_define_settings(void)
{
	DefineCustomBoolVariable("lifeguard.enabled",
							 "Enables pg_lifeguard's actions.",
							 "When off, pg_lifeguard keeps watching and "
							 "reporting but refuses, cancels and terminates "
							 "nothing.",
							 &lifeguard_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomBoolVariable("lifeguard.dry_run",
							 "Logs every action pg_lifeguard would take, and takes none.",
							 NULL,
							 &lifeguard_dry_run,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("lifeguard.naptime",
							"Time between two ticks of the pg_lifeguard worker.",
							NULL,
							&lifeguard_naptime,
							1000,
							100,
							3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL,
							NULL,
							NULL);

	DefineCustomStringVariable("lifeguard.database",
							   "Database the pg_lifeguard worker connects to.",
							   "The extension must be created in this database "
							   "for policies and the events table to be used.",
							   &lifeguard_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomIntVariable("lifeguard.slot_warning",
							"Percentage of usable client slots in use at which slot usage is a warning.",
							NULL,
							&lifeguard_slot_warning,
							80,
							1,
							100,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.slot_critical",
							"Percentage of usable client slots in use at which slot usage is critical.",
							NULL,
							&lifeguard_slot_critical,
							95,
							1,
							100,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.reserved_admin_slots",
							"Number of connection slots kept free for superusers and lifeguard.admin_roles.",
							"These slots come on top of superuser_reserved_connections.",
							&lifeguard_reserved_admin_slots,
							2,
							0,
							LG_MAX_BACKENDS,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomStringVariable("lifeguard.admin_roles",
							   "Roles whose members may use the reserved admin slots.",
							   "A comma-separated list of role names.",
							   &lifeguard_admin_roles,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_admin_roles,
							   NULL,
							   NULL);

	DefineCustomIntVariable("lifeguard.event_ring_size",
							"Number of events kept in shared memory.",
							NULL,
							&lifeguard_event_ring_size,
							1024,
							64,
							65536,
							PGC_POSTMASTER,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.event_burst",
							"Events of one kind, policy and role recorded back to back before the rest are held back.",
							"Applies to the events sessions cause (refusals, "
							"sheddings, time limits); after the burst, one a "
							"second is recorded and the others are counted "
							"into a summary event.  0 records every event.",
							&lifeguard_event_burst,
							20,
							0,
							10000,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.check_interval",
							"Time between two partition and job checks of the pg_lifeguard worker.",
							NULL,
							&lifeguard_check_interval,
							60,
							1,
							24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);

	DefineCustomStringVariable("lifeguard.databases",
							   "Databases whose partitions and jobs the pg_lifeguard worker checks.",
							   "A comma-separated list of database names; empty "
							   "means lifeguard.database alone.",
							   &lifeguard_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_databases,
							   NULL,
							   NULL);

	DefineCustomIntVariable("lifeguard.alert_repeat",
							"Time after which an escalated job or a critical partitioned table is reported again.",
							NULL,
							&lifeguard_alert_repeat,
							3600,
							1,
							7 * 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.partition_horizon",
							"How far beyond now() partitions must reach when pg_partman does not manage the table.",
							"Tables managed by pg_partman use premake times "
							"their partition interval instead.",
							&lifeguard_partition_horizon,
							24 * 60,
							1,
							366 * 24 * 60,
							PGC_USERSET,
							GUC_UNIT_MIN,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.event_retention",
							"How long the pg_lifeguard worker keeps rows in lifeguard.events.",
							"Older rows are deleted by the worker; 0 keeps them all.",
							&lifeguard_event_retention,
							7 * 24 * 3600,
							0,
							INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);

	DefineCustomBoolVariable("lifeguard.notify",
							 "Sends every pg_lifeguard event with NOTIFY on channel \"lifeguard\".",
							 "The payload is the event as a JSON object.",
							 &lifeguard_notify,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("lifeguard.http_port",
							"TCP port of pg_lifeguard's HTTP endpoint; 0 turns it off.",
							"Serves GET /metrics, /health and /events from a "
							"background worker, without a client slot.",
							&lifeguard_http_port,
							0,
							0,
							65535,
							PGC_POSTMASTER,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomStringVariable("lifeguard.http_listen",
							   "Address pg_lifeguard's HTTP endpoint listens on.",
							   "One numeric IPv4 or IPv6 address.",
							   &lifeguard_http_listen,
							   "127.0.0.1",
							   PGC_POSTMASTER,
							   0,
							   check_http_listen,
							   NULL,
							   NULL);

	DefineCustomStringVariable("lifeguard.http_token",
							   "Bearer token pg_lifeguard's HTTP endpoint requires; empty requires none.",
							   "Clients send \"Authorization: Bearer <token>\".",
							   &lifeguard_http_token,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomBoolVariable("lifeguard.debug_tick_error",
							 "Makes every worker tick fail with an ERROR (for testing).",
							 "Developer option: shows that the worker survives "
							 "errors in its own ticks.",
							 &lifeguard_debug_tick_error,
							 false,
							 PGC_SUSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("lifeguard.debug_shed_delay",
							"Waits this long between choosing an idle session to shed and signalling it (for testing).",
							"Developer option: opens the window in which the "
							"chosen session may start a statement, to show "
							"that it is then left alone.",
							&lifeguard_debug_shed_delay,
							0,
							0,
							60 * 1000,
							PGC_SUSET,
							GUC_UNIT_MS | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.debug_check_delay",
							"Waits this long before each partition and job check (for testing).",
							"Developer option: makes checks slow, to show "
							"that they do not delay enforcement.",
							&lifeguard_debug_check_delay,
							0,
							0,
							60 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("lifeguard.debug_acted_capacity",
							"Entries of the worker's memory of sessions it acted on; 0 means 8 per client slot (for testing).",
							"Developer option: a tiny memory overflows, to show "
							"that the overflow is counted.",
							&lifeguard_debug_acted_capacity,
							0,
							0,
							1000000,
							PGC_POSTMASTER,
							GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved(LIFEGUARD_GUC_PREFIX);
}
