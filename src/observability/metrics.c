/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		lifeguard.metrics() in Prometheus text format, and the health
 *		summary that GET /health returns.
 *
 * Everything here is read from shared memory: the client slots and their
 * sessions (sessions.c: PGPROC and the backend status array), the event and
 * action counters, the worker's state, and the partition and job alerts the
 * checks left (checks.c).  Nothing is read from a user table or from the
 * extension's tables, so the text is the same from lifeguard.metrics() in a
 * client session and from the HTTP worker (http.c), which is connected to no
 * database, and it answers when every client slot is taken.
 *
 * Names: role and database names come from the shared catalogs pg_authid
 * and pg_database, whose locks are taken without waiting; when they are not
 * granted at once, the label is "oid:<oid>" instead.  Partitioned tables
 * and jobs are named by the check that reported them.
 *
 * Cardinality is bounded: sessions by role, database and application_name
 * show the LIFEGUARD_METRICS_TOP largest groups, and the rest together as
 * "(other)"; events and actions have one series per kind; partition and
 * job series exist only for tables and jobs that have a problem (at most
 * LIFEGUARD_MAX_ALERTS).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "checks/checks.h"
#include "core/events.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/ring.h"
#include "core/sessions.h"
#include "core/worker.h"
#include "observability/eventlog.h"
#include "observability/metrics.h"
#include "policy/policy.h"
#include "slots/slots.h"

PG_FUNCTION_INFO_V1(lifeguard_metrics);

/* The label of the groups past LIFEGUARD_METRICS_TOP, together */
#define OTHER_LABEL		"(other)"

/* One group of sessions: by role or database (oid), or application (name) */
typedef struct SessionGroup
{
	Oid			oid;
	const char *name;
	int			sessions;
} SessionGroup;

/* What both the metrics and the health summary read, at one moment */
typedef struct Snapshot
{
	TimestampTz now;
	LifeguardSlotCounts counts;
	LifeguardSession *sessions;
	int			nsessions;
	LifeguardWorkerState worker;
	int			npolicies;
	uint64		checks;
	int			nalerts;
	LifeguardAlert *alerts;
	bool		names;			/* may role and database names be looked up? */
} Snapshot;

static void
take_snapshot(Snapshot *snap, bool with_sessions)
{
	snap->now = GetCurrentTimestamp();
	snap->nsessions = lifeguard_collect_sessions(with_sessions ? &snap->sessions : NULL,
												 &snap->counts);
	if (!with_sessions)
		snap->sessions = NULL;

	lifeguard_worker_state(&snap->worker);
	snap->npolicies = lifeguard_policies_count();
	snap->alerts = palloc(sizeof(LifeguardAlert) * LIFEGUARD_MAX_ALERTS);
	snap->nalerts = lifeguard_alerts_copy(snap->alerts, &snap->checks);

	snap->names = lifeguard_lock_role_catalogs();
}

static const char *
role_label(const Snapshot *snap, Oid roleid)
{
	char	   *name = NULL;

	if (snap->names)
		name = GetUserNameFromId(roleid, true);
	return name != NULL ? name : psprintf("oid:%u", roleid);
}

static const char *
database_label(const Snapshot *snap, Oid dbid)
{
	char	   *name = NULL;

	if (snap->names)
		name = get_database_name(dbid);
	return name != NULL ? name : psprintf("oid:%u", dbid);
}

/* Append a label value, escaped as the text format requires */
static void
append_label_value(StringInfo buf, const char *value)
{
	const char *p;

	appendStringInfoChar(buf, '"');
	for (p = lifeguard_utf8_clean(value); *p; p++)
	{
		switch (*p)
		{
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			default:
				appendStringInfoChar(buf, *p);
		}
	}
	appendStringInfoChar(buf, '"');
}

/* The HELP and TYPE lines of a metric family */
static void
family(StringInfo buf, const char *name, const char *type, const char *help)
{
	appendStringInfo(buf, "# HELP %s %s\n# TYPE %s %s\n",
					 name, help, name, type);
}

/* A sample without labels */
static void
sample(StringInfo buf, const char *name, double value)
{
	appendStringInfo(buf, "%s %.15g\n", name, value);
}

/* A sample with one or two labels (label2 may be NULL) */
static void
sample_labels(StringInfo buf, const char *name,
			  const char *label1, const char *value1,
			  const char *label2, const char *value2, double value)
{
	appendStringInfo(buf, "%s{%s=", name, label1);
	append_label_value(buf, value1);
	if (label2 != NULL)
	{
		appendStringInfo(buf, ",%s=", label2);
		append_label_value(buf, value2);
	}
	appendStringInfo(buf, "} %.15g\n", value);
}

static int
group_oid_cmp(const void *a, const void *b)
{
	Oid			oa = ((const SessionGroup *) a)->oid;
	Oid			ob = ((const SessionGroup *) b)->oid;

	return (oa > ob) - (oa < ob);
}

static int
group_name_cmp(const void *a, const void *b)
{
	return strcmp(((const SessionGroup *) a)->name,
				  ((const SessionGroup *) b)->name);
}

/* Largest first; ties by name, so the output is stable */
static int
group_size_cmp(const void *a, const void *b)
{
	const SessionGroup *ga = a;
	const SessionGroup *gb = b;

	if (ga->sessions != gb->sessions)
		return (gb->sessions > ga->sessions) - (gb->sessions < ga->sessions);
	return strcmp(ga->name, gb->name);
}

typedef enum GroupBy
{
	GROUP_ROLE,
	GROUP_DATABASE,
	GROUP_APPLICATION
} GroupBy;

/*
 * Sessions by role, database or application_name: the largest
 * LIFEGUARD_METRICS_TOP groups, then the rest as "(other)".
 */
static void
session_groups(StringInfo buf, const Snapshot *snap, GroupBy by,
			   const char *metric, const char *label, const char *help)
{
	SessionGroup *items;
	SessionGroup *groups;
	int			ngroups = 0;
	int			other = 0;
	int			i;

	family(buf, metric, "gauge", help);
	if (snap->nsessions == 0)
		return;

	items = palloc(sizeof(SessionGroup) * snap->nsessions);
	for (i = 0; i < snap->nsessions; i++)
	{
		const LifeguardSession *s = &snap->sessions[i];

		items[i].oid = by == GROUP_ROLE ? s->roleid :
			by == GROUP_DATABASE ? s->dbid : InvalidOid;
		items[i].name = s->appname;
		items[i].sessions = 1;
	}
	qsort(items, snap->nsessions, sizeof(SessionGroup),
		  by == GROUP_APPLICATION ? group_name_cmp : group_oid_cmp);

	/* collapse runs of equal keys */
	groups = palloc(sizeof(SessionGroup) * snap->nsessions);
	for (i = 0; i < snap->nsessions; i++)
	{
		bool		same = ngroups > 0 &&
			(by == GROUP_APPLICATION ?
			 strcmp(groups[ngroups - 1].name, items[i].name) == 0 :
			 groups[ngroups - 1].oid == items[i].oid);

		if (same)
			groups[ngroups - 1].sessions++;
		else
			groups[ngroups++] = items[i];
	}

	/* names, then the largest first */
	for (i = 0; i < ngroups; i++)
	{
		if (by == GROUP_ROLE)
			groups[i].name = role_label(snap, groups[i].oid);
		else if (by == GROUP_DATABASE)
			groups[i].name = OidIsValid(groups[i].oid) ?
				database_label(snap, groups[i].oid) : "";
	}
	qsort(groups, ngroups, sizeof(SessionGroup), group_size_cmp);

	for (i = 0; i < ngroups; i++)
	{
		/* a group really named "(other)" joins the rest: no duplicate series */
		if (i < LIFEGUARD_METRICS_TOP && strcmp(groups[i].name, OTHER_LABEL) != 0)
			sample_labels(buf, metric, label, groups[i].name, NULL, NULL,
						  groups[i].sessions);
		else
			other += groups[i].sessions;
	}
	if (other > 0)
		sample_labels(buf, metric, label, OTHER_LABEL, NULL, NULL, other);
}

static double
seconds_between(TimestampTz from, TimestampTz to)
{
	return (from == 0 || to < from) ? 0.0 : (to - from) / 1000000.0;
}

static bool
worker_alive(const LifeguardWorkerState *w)
{
	return w->pid != 0 && (w->phase == LG_WORKER_RUNNING ||
						   w->phase == LG_WORKER_DISABLED ||
						   w->phase == LG_WORKER_WAITING);
}

/* Job alert levels, as checks.c keeps them */
static const char *const job_levels[] = {"ok", "late", "failing", "escalated"};

/*
 * The whole Prometheus text.  Caller is in a transaction.
 */
void
lifeguard_metrics_text(StringInfo buf)
{
	LifeguardEventRing *s = LifeguardEvents;
	Snapshot	snap;
	const LifeguardSlotCounts *c = &snap.counts;
	int			partition_levels[3] = {0, 0, 0};
	int			job_counts[4] = {0, 0, 0, 0};
	uint64		login_calls;
	uint64		login_ns;
	int			i;

	take_snapshot(&snap, true);
	lifeguard_login_hook_stats(&login_calls, &login_ns);

	/* client slots */
	family(buf, "pg_lifeguard_slots_max", "gauge",
		   "Client connection slots (max_connections).");
	sample(buf, "pg_lifeguard_slots_max", c->max_connections);
	family(buf, "pg_lifeguard_slots_reserved", "gauge",
		   "Client slots kept for superusers (superuser_reserved_connections), admins (lifeguard.reserved_admin_slots) and pg_use_reserved_connections (reserved_connections, PostgreSQL 16 on).");
	sample_labels(buf, "pg_lifeguard_slots_reserved", "for", "superuser",
				  NULL, NULL, c->superuser_reserved);
	sample_labels(buf, "pg_lifeguard_slots_reserved", "for", "admin",
				  NULL, NULL, c->admin_reserved);
	sample_labels(buf, "pg_lifeguard_slots_reserved", "for",
				  "pg_use_reserved_connections", NULL, NULL, c->role_reserved);
	family(buf, "pg_lifeguard_slots_usable", "gauge",
		   "Client slots ordinary roles may use.");
	sample(buf, "pg_lifeguard_slots_usable", c->usable);
	family(buf, "pg_lifeguard_slots_used", "gauge",
		   "Client slots in use, authenticating sessions included.");
	sample(buf, "pg_lifeguard_slots_used", c->used);
	family(buf, "pg_lifeguard_slots_free", "gauge",
		   "Usable client slots not in use.");
	sample(buf, "pg_lifeguard_slots_free", Max(0, c->usable - c->used));
	family(buf, "pg_lifeguard_slots_used_ratio", "gauge",
		   "Used client slots over usable ones (1 = full).");
	sample(buf, "pg_lifeguard_slots_used_ratio", c->used_pct / 100.0);
	family(buf, "pg_lifeguard_slots_status", "gauge",
		   "Slot usage level: 0 ok, 1 warning (lifeguard.slot_warning), 2 critical (lifeguard.slot_critical).");
	sample(buf, "pg_lifeguard_slots_status", (int) c->status);

	family(buf, "pg_lifeguard_sessions", "gauge",
		   "Client sessions by state.");
	sample_labels(buf, "pg_lifeguard_sessions", "state",
				  lifeguard_session_state_name(LG_SESSION_ACTIVE), NULL, NULL, c->active);
	sample_labels(buf, "pg_lifeguard_sessions", "state",
				  lifeguard_session_state_name(LG_SESSION_IDLE), NULL, NULL, c->idle);
	sample_labels(buf, "pg_lifeguard_sessions", "state",
				  lifeguard_session_state_name(LG_SESSION_IDLE_IN_XACT), NULL, NULL,
				  c->idle_in_xact);
	sample_labels(buf, "pg_lifeguard_sessions", "state",
				  lifeguard_session_state_name(LG_SESSION_WAITING), NULL, NULL, c->waiting);
	sample_labels(buf, "pg_lifeguard_sessions", "state", "authenticating",
				  NULL, NULL, c->authenticating);

	session_groups(buf, &snap, GROUP_ROLE, "pg_lifeguard_role_sessions", "role",
				   "Client sessions by role: the " CppAsString2(LIFEGUARD_METRICS_TOP) " largest, the rest as (other).");
	session_groups(buf, &snap, GROUP_DATABASE, "pg_lifeguard_database_sessions", "database",
				   "Client sessions by database: the " CppAsString2(LIFEGUARD_METRICS_TOP) " largest, the rest as (other).");
	session_groups(buf, &snap, GROUP_APPLICATION, "pg_lifeguard_application_sessions", "application_name",
				   "Client sessions by application_name: the " CppAsString2(LIFEGUARD_METRICS_TOP) " largest, the rest as (other).");

	/* locks */
	family(buf, "pg_lifeguard_lock_waiters", "gauge",
		   "Client sessions waiting on a heavyweight lock.");
	sample(buf, "pg_lifeguard_lock_waiters", c->waiting);
	family(buf, "pg_lifeguard_lock_wait_longest_seconds", "gauge",
		   "How long the longest current lock wait has lasted.");
	sample(buf, "pg_lifeguard_lock_wait_longest_seconds",
		   seconds_between(c->oldest_lock_wait, snap.now));

	/* events and actions */
	family(buf, "pg_lifeguard_events_total", "counter",
		   "Events since server start, by kind.");
	for (i = 0; i < LG_EVENT_NKINDS; i++)
		sample_labels(buf, "pg_lifeguard_events_total", "kind",
					  lifeguard_event_kind_name(i), NULL, NULL,
					  pg_atomic_read_u64(&s->event_counts[i]));
	family(buf, "pg_lifeguard_actions_total", "counter",
		   "Logins refused and sessions cancelled or terminated since server start, by event kind (dry runs excluded).");
	for (i = 0; i < LG_EVENT_NKINDS; i++)
		if (lifeguard_event_kind_acts(i))
			sample_labels(buf, "pg_lifeguard_actions_total", "kind",
						  lifeguard_event_kind_name(i), NULL, NULL,
						  pg_atomic_read_u64(&s->action_counts[i]));
	family(buf, "pg_lifeguard_events_suppressed_total", "counter",
		   "Events counted but held back by the rate limit (lifeguard.event_burst) or the login refusal limit since server start, by event kind.");
	for (i = 0; i < LG_EVENT_NKINDS; i++)
		if (lifeguard_event_kind_acts(i))
			sample_labels(buf, "pg_lifeguard_events_suppressed_total", "kind",
						  lifeguard_event_kind_name(i), NULL, NULL,
						  pg_atomic_read_u64(&s->suppressed_counts[i]));

	family(buf, "pg_lifeguard_events_written_total", "counter",
		   "Events written to lifeguard.events.");
	sample(buf, "pg_lifeguard_events_written_total",
		   pg_atomic_read_u64(&s->events_persisted));
	family(buf, "pg_lifeguard_events_pending", "gauge",
		   "Events in the ring not yet written to lifeguard.events.");
	sample(buf, "pg_lifeguard_events_pending", lifeguard_events_pending());
	family(buf, "pg_lifeguard_events_dropped_total", "counter",
		   "Events that left the ring before they could be written to lifeguard.events.");
	sample(buf, "pg_lifeguard_events_dropped_total",
		   pg_atomic_read_u64(&s->events_dropped));
	family(buf, "pg_lifeguard_events_notified_total", "counter",
		   "Events sent with NOTIFY lifeguard.");
	sample(buf, "pg_lifeguard_events_notified_total",
		   pg_atomic_read_u64(&s->events_notified));

	/* the worker */
	family(buf, "pg_lifeguard_worker_up", "gauge",
		   "1 when the pg_lifeguard worker runs, 0 otherwise.");
	sample(buf, "pg_lifeguard_worker_up", worker_alive(&snap.worker) ? 1 : 0);
	family(buf, "pg_lifeguard_worker_ticks_total", "counter",
		   "Ticks of the current worker process.");
	sample(buf, "pg_lifeguard_worker_ticks_total", snap.worker.ticks);
	family(buf, "pg_lifeguard_worker_tick_seconds", "gauge",
		   "Duration of the worker's last tick.");
	sample(buf, "pg_lifeguard_worker_tick_seconds", snap.worker.last_tick_us / 1e6);
	family(buf, "pg_lifeguard_worker_tick_max_seconds", "gauge",
		   "Longest tick of the current worker process.");
	sample(buf, "pg_lifeguard_worker_tick_max_seconds", snap.worker.max_tick_us / 1e6);
	family(buf, "pg_lifeguard_worker_last_tick_age_seconds", "gauge",
		   "Time since the worker's last tick ended.");
	sample(buf, "pg_lifeguard_worker_last_tick_age_seconds",
		   seconds_between(snap.worker.last_tick_at, snap.now));
	family(buf, "pg_lifeguard_worker_errors_total", "counter",
		   "Errors the worker caught in its ticks and checks since server start.");
	sample(buf, "pg_lifeguard_worker_errors_total", snap.worker.errors);
	family(buf, "pg_lifeguard_worker_restarts_total", "counter",
		   "Times the worker was restarted since server start.");
	sample(buf, "pg_lifeguard_worker_restarts_total",
		   snap.worker.starts > 0 ? snap.worker.starts - 1 : 0);
	family(buf, "pg_lifeguard_acted_memory_overflows_total", "counter",
		   "Times the worker's memory of what it did to sessions was full and forgot its oldest entry.");
	sample(buf, "pg_lifeguard_acted_memory_overflows_total",
		   snap.worker.acted_overflows);
	family(buf, "pg_lifeguard_policies", "gauge",
		   "Enabled policies the worker published.");
	sample(buf, "pg_lifeguard_policies", snap.npolicies);
	family(buf, "pg_lifeguard_login_hook_calls_total", "counter",
		   "Logins the login hook checked.");
	sample(buf, "pg_lifeguard_login_hook_calls_total", login_calls);
	family(buf, "pg_lifeguard_login_hook_seconds_total", "counter",
		   "Time the login hook spent on them.");
	sample(buf, "pg_lifeguard_login_hook_seconds_total", login_ns / 1e9);

	/* partitions and jobs */
	for (i = 0; i < snap.nalerts; i++)
	{
		LifeguardAlert *a = &snap.alerts[i];

		if (OidIsValid(a->relid))
			partition_levels[Min(a->level, 2)]++;
		else
			job_counts[Min(a->level, 3)]++;
	}
	family(buf, "pg_lifeguard_checks_total", "counter",
		   "Partition and job checks started, all databases.");
	sample(buf, "pg_lifeguard_checks_total", snap.checks);
	family(buf, "pg_lifeguard_partitioned_tables_with_problems", "gauge",
		   "Partitioned tables whose last check found a problem, by level.");
	sample_labels(buf, "pg_lifeguard_partitioned_tables_with_problems", "level",
				  "warning", NULL, NULL, partition_levels[1]);
	sample_labels(buf, "pg_lifeguard_partitioned_tables_with_problems", "level",
				  "critical", NULL, NULL, partition_levels[2]);
	family(buf, "pg_lifeguard_partitioned_table_status", "gauge",
		   "Level of a partitioned table with a problem: 1 warning, 2 critical.");
	for (i = 0; i < snap.nalerts; i++)
		if (OidIsValid(snap.alerts[i].relid))
			sample_labels(buf, "pg_lifeguard_partitioned_table_status",
						  "database", database_label(&snap, snap.alerts[i].dbid),
						  "table", snap.alerts[i].table, snap.alerts[i].level);
	family(buf, "pg_lifeguard_jobs_with_problems", "gauge",
		   "Maintenance jobs whose last check found them late, failing or escalated.");
	for (i = 1; i <= 3; i++)
		sample_labels(buf, "pg_lifeguard_jobs_with_problems", "status",
					  job_levels[i], NULL, NULL, job_counts[i]);
	family(buf, "pg_lifeguard_job_status", "gauge",
		   "Level of a job with a problem: 1 late, 2 failing, 3 escalated.");
	for (i = 0; i < snap.nalerts; i++)
		if (!OidIsValid(snap.alerts[i].relid))
			sample_labels(buf, "pg_lifeguard_job_status",
						  "database", database_label(&snap, snap.alerts[i].dbid),
						  "job", snap.alerts[i].job, snap.alerts[i].level);
}

/* One reason of the health summary, with the level it stands for */
static void
add_reason(StringInfo reasons, LifeguardLevel *level, LifeguardLevel at,
		   const char *fmt,...) pg_attribute_printf(4, 5);

static void
add_reason(StringInfo reasons, LifeguardLevel *level, LifeguardLevel at,
		   const char *fmt,...)
{
	StringInfoData text;

	initStringInfo(&text);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&text, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&text, needed);
	}
	if (reasons->len > 1)
		appendStringInfoString(reasons, ", ");
	escape_json(reasons, lifeguard_utf8_clean(text.data));
	pfree(text.data);
	if (at > *level)
		*level = at;
}

/*
 * The health summary as JSON: {"status": "ok" | "warning" | "critical",
 * "reasons": [...], "slots": {...}, "worker": {...}}.  Returns the level.
 * Caller is in a transaction.
 */
LifeguardLevel
lifeguard_health_json(StringInfo buf)
{
	Snapshot	snap;
	const LifeguardSlotCounts *c = &snap.counts;
	const LifeguardWorkerState *w = &snap.worker;
	LifeguardLevel level = LG_LEVEL_OK;
	StringInfoData reasons;
	double		stale_after;
	double		tick_age;
	double		lock_wait;
	int			i;

	take_snapshot(&snap, false);
	initStringInfo(&reasons);
	appendStringInfoChar(&reasons, '[');

	if (c->status != LG_LEVEL_OK)
		add_reason(&reasons, &level,
				   c->status == LG_LEVEL_CRITICAL ? LG_LEVEL_CRITICAL : LG_LEVEL_WARNING,
				   "client slots %s: %d of %d usable slots in use (%.0f%%)",
				   lifeguard_level_name(c->status), c->used, c->usable,
				   c->used_pct);

	/* a worker that has not ticked for 3 naptimes (at least 10 s) is stuck */
	stale_after = Max(3.0 * lifeguard_naptime / 1000.0, 10.0);
	tick_age = seconds_between(w->last_tick_at, snap.now);
	if (!worker_alive(w))
		add_reason(&reasons, &level, LG_LEVEL_CRITICAL,
				   "the pg_lifeguard worker is not running");
	else if (w->last_tick_at != 0 && tick_age > stale_after)
		add_reason(&reasons, &level, LG_LEVEL_CRITICAL,
				   "the pg_lifeguard worker has not ticked for %.0f s", tick_age);
	else if (w->phase == LG_WORKER_WAITING)
		add_reason(&reasons, &level, LG_LEVEL_WARNING,
				   "extension %s is not created in database \"%s\"",
				   LIFEGUARD_EXTENSION, w->database);
	else if (w->phase == LG_WORKER_DISABLED)
		add_reason(&reasons, &level, LG_LEVEL_WARNING,
				   "lifeguard.enabled is off: nothing is enforced");

	lock_wait = seconds_between(c->oldest_lock_wait, snap.now);
	if (c->waiting > 0 && lock_wait > LIFEGUARD_HEALTH_LOCK_WAIT_S)
		add_reason(&reasons, &level, LG_LEVEL_WARNING,
				   "%d sessions wait on locks, the longest for %.0f s",
				   c->waiting, lock_wait);

	for (i = 0; i < snap.nalerts; i++)
	{
		LifeguardAlert *a = &snap.alerts[i];
		const char *db = database_label(&snap, a->dbid);

		if (OidIsValid(a->relid))
			add_reason(&reasons, &level,
					   a->level >= 2 ? LG_LEVEL_CRITICAL : LG_LEVEL_WARNING,
					   "partitioned table %s in database \"%s\": %s",
					   a->table, db, a->level >= 2 ? "critical" : "warning");
		else
			add_reason(&reasons, &level,
					   a->level >= 3 ? LG_LEVEL_CRITICAL : LG_LEVEL_WARNING,
					   "job \"%s\" in database \"%s\": %s",
					   a->job, db, job_levels[Min(a->level, 3)]);
	}
	appendStringInfoChar(&reasons, ']');

	appendStringInfoString(buf, "{\"status\": ");
	escape_json(buf, lifeguard_level_name(level));
	appendStringInfo(buf, ", \"reasons\": %s", reasons.data);
	appendStringInfo(buf,
					 ", \"slots\": {\"used\": %d, \"usable\": %d, \"max_connections\": %d, "
					 "\"used_pct\": %.1f, \"status\": ",
					 c->used, c->usable, c->max_connections, c->used_pct);
	escape_json(buf, lifeguard_level_name(c->status));
	appendStringInfo(buf, ", \"lock_waiters\": %d}", c->waiting);
	appendStringInfo(buf, ", \"worker\": {\"pid\": %d, \"state\": ",
					 (int) w->pid);
	escape_json(buf, worker_alive(w) ? "running" : "not running");
	appendStringInfo(buf, ", \"last_tick_age_s\": %.3f, \"errors\": " UINT64_FORMAT "}",
					 tick_age, w->errors);
	appendStringInfo(buf, ", \"time\": ");
	escape_json(buf, timestamptz_to_str(snap.now));
	appendStringInfoString(buf, "}\n");

	pfree(reasons.data);
	return level;
}

/*
 * lifeguard.metrics(): the Prometheus text, as GET /metrics serves it.
 */
Datum
lifeguard_metrics(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	lifeguard_require_monitor("metrics");

	initStringInfo(&buf);
	lifeguard_metrics_text(&buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
