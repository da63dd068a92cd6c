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

/*
 * How bad a state is: of the client slots, a partitioned table, a job, the
 * whole server (/health).  Ordered, so the worse of two is the larger.
 * Events have their own severity (info, warning, critical; events.h).
 */
typedef enum LifeguardLevel
{
	LG_LEVEL_OK = 0,
	LG_LEVEL_WARNING,
	LG_LEVEL_CRITICAL
} LifeguardLevel;

extern const char *lifeguard_level_name(LifeguardLevel level);

/* Settings, defined in settings.c and documented in docs/settings.md */
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
extern int	lifeguard_debug_check_delay;
extern int	lifeguard_debug_acted_capacity;
extern int	lifeguard_partition_horizon;
extern int	lifeguard_check_interval;
extern char *lifeguard_databases;
extern int	lifeguard_alert_repeat;
extern int	lifeguard_event_retention;
extern bool lifeguard_notify;
extern int	lifeguard_http_port;
extern char *lifeguard_http_listen;
extern char *lifeguard_http_token;

/* settings.c */
extern void lifeguard_define_settings(void);

#endif							/* PG_LIFEGUARD_H */
