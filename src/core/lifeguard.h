/*-------------------------------------------------------------------------
 *
 * pg_lifeguard.h
 *		Settings and entry points shared by every pg_lifeguard module.
 *
 * Each module keeps its own header for what it alone exports (shmem.h,
 * events.h, worker.h); this one holds the configuration variables, which
 * every module reads, and the privilege checks of the SQL functions.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LIFEGUARD_H
#define PG_LIFEGUARD_H

/* Prefix of every pg_lifeguard setting and of its server log lines */
#define LIFEGUARD_GUC_PREFIX	"lifeguard"
#define LIFEGUARD_EXTENSION		"pg_lifeguard"

/*
 * The only search_path under which pg_lifeguard runs SQL (privileges.c,
 * "Name resolution"): functions, operators and types from pg_catalog alone.
 */
#define LIFEGUARD_SAFE_SEARCH_PATH	"pg_catalog, pg_temp"

/*
 * Longest user-supplied name or pattern a message quotes whole, in bytes;
 * longer ones are cut (lifeguard_name_for_message, privileges.c)
 */
#define LIFEGUARD_MESSAGE_NAME_LEN	(NAMEDATALEN - 1)

/* Most roles lifeguard.admin_roles may name */
#define LIFEGUARD_MAX_ADMIN_ROLES	64

/* Most databases lifeguard.databases may name */
#define LIFEGUARD_MAX_CHECK_DATABASES	32

/* Settings, defined and documented in pg_lifeguard.c */
extern bool lifeguard_enabled;
extern bool lifeguard_dry_run;
extern int	lifeguard_naptime;
extern char *lifeguard_database;
extern int	lifeguard_slot_warning;
extern int	lifeguard_slot_critical;
extern int	lifeguard_reserved_admin_slots;
extern char *lifeguard_admin_roles;
extern int	lifeguard_event_ring_size;
extern int	lifeguard_event_burst;
extern bool lifeguard_debug_tick_error;
extern int	lifeguard_debug_shed_delay;
extern int	lifeguard_partition_horizon;
extern int	lifeguard_check_interval;
extern char *lifeguard_databases;
extern int	lifeguard_alert_repeat;
extern int	lifeguard_event_retention;
extern bool lifeguard_notify;
extern int	lifeguard_http_port;
extern char *lifeguard_http_listen;
extern char *lifeguard_http_token;

/* privileges.c */
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
extern bool lifeguard_error_passes_on(ErrorData *edata);
extern ErrorData *lifeguard_catch_error(MemoryContext cxt);
extern ErrorData *lifeguard_run_subxact(void (*body) (void *arg), void *arg);
extern bool lifeguard_role_is_admin(Oid roleid);
extern bool lifeguard_lock_role_catalogs(void);
extern Oid	lifeguard_relation_owner(Oid relid);
extern void lifeguard_pin_worker_search_path(void);
extern void lifeguard_sleep_ms(int ms);
extern int	lifeguard_pin_search_path(void);
extern void lifeguard_unpin_search_path(int nestlevel);
extern Oid	lifeguard_extension_table(const char *extname, const char *relname,
									  const char **why, bool *busy);
extern LifeguardSignalResult lifeguard_signal_backend(int pid, int sig,
													  Oid expected_roleid,
													  bool allow_superuser,
													  Oid caller);

#endif							/* PG_LIFEGUARD_H */
