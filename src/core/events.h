/*-------------------------------------------------------------------------
 *
 * events.h
 *		Events: every decision pg_lifeguard takes, in one shape.
 *
 * An event is recorded into the shared-memory ring (ring.h), counted,
 * and logged with the stable prefix "pg_lifeguard: <kind> [<severity>]:".
 * Kind names are part of the public interface (README.md lists them); add
 * new kinds at the end of the enum and of the name table in events.c.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_EVENTS_H
#define LIFEGUARD_EVENTS_H

#include "datatype/timestamp.h"

#include "core/shmem.h"

#define LIFEGUARD_KIND_LEN		32
#define LIFEGUARD_ACTION_LEN	16
#define LIFEGUARD_DETAIL_LEN	256

typedef enum LifeguardEventKind
{
	LG_EVENT_WORKER_STARTED = 0,
	LG_EVENT_WORKER_RESTARTED,
	LG_EVENT_WORKER_STOPPED,
	LG_EVENT_WORKER_ERROR,
	LG_EVENT_SLOT_OK,
	LG_EVENT_SLOT_WARNING,
	LG_EVENT_SLOT_CRITICAL,
	LG_EVENT_LOGIN_REFUSED,
	LG_EVENT_CAP_REFUSED,
	LG_EVENT_IDLE_SHED,
	/* one per LifeguardLimit, in its order (enforce.c relies on it) */
	LG_EVENT_STATEMENT_TIMEOUT,
	LG_EVENT_LOCK_WAIT_TIMEOUT,
	LG_EVENT_IDLE_IN_XACT_TIMEOUT,
	LG_EVENT_TRANSACTION_TIMEOUT,
	LG_EVENT_BLOCKING_TIMEOUT,
	/* partition and job checks (checks.c) */
	LG_EVENT_DEFAULT_PARTITION_ROWS,
	LG_EVENT_PARTITIONS_RUNNING_OUT,
	LG_EVENT_PARTITION_WARNING,
	LG_EVENT_PARTITION_OK,
	LG_EVENT_JOB_LATE,
	LG_EVENT_JOB_FAILING,
	LG_EVENT_JOB_ESCALATED,
	LG_EVENT_JOB_RECOVERED,
	LG_EVENT_UNTRUSTED_OBJECT,	/* a look-alike of another extension's */
	LG_EVENT_WORKER_RECOVERED,	/* a part that failed works again */
	LG_EVENT_NKINDS				/* must be last */
} LifeguardEventKind;

typedef enum LifeguardSeverity
{
	LG_SEVERITY_INFO = 0,
	LG_SEVERITY_WARNING,
	LG_SEVERITY_CRITICAL
} LifeguardSeverity;

/* Who an event is about; any field may be 0 / NULL */
typedef struct LifeguardEventSubject
{
	int			pid;
	const char *role;
	const char *database;
	const char *application_name;
} LifeguardEventSubject;

/* One slot of the ring; strings are always NUL-terminated */
typedef struct LifeguardEvent
{
	uint64		seq;			/* 0 = slot never used */
	TimestampTz time;
	int32		pid;
	int16		kind;			/* LifeguardEventKind */
	int16		severity;		/* LifeguardSeverity */
	char		role[NAMEDATALEN];
	char		database[NAMEDATALEN];
	char		application_name[NAMEDATALEN];
	char		policy[NAMEDATALEN];
	char		action[LIFEGUARD_ACTION_LEN];
	char		detail[LIFEGUARD_DETAIL_LEN];
} LifeguardEvent;

extern const char *lifeguard_event_kind_name(LifeguardEventKind kind);
extern bool lifeguard_event_kind_acts(LifeguardEventKind kind);
extern const char *lifeguard_severity_name(LifeguardSeverity severity);

extern void lifeguard_event_count(LifeguardEventKind kind, bool acted);
extern void lifeguard_copy_clipped(char *dst, const char *src, Size len);
extern int	lifeguard_events_copy(uint64 after, LifeguardEvent *buf, int max,
								  uint64 *first, uint64 *last);
extern const char *lifeguard_utf8_clean(const char *str);
extern Datum lifeguard_event_text(const char *str);
extern void lifeguard_events_flush_held(TimestampTz now);
extern void lifeguard_event_record(LifeguardEventKind kind,
								   LifeguardSeverity severity,
								   const LifeguardEventSubject *subject,
								   const char *policy,
								   const char *action,
								   const char *fmt,...) pg_attribute_printf(6, 7);

extern const LifeguardShmemPiece lifeguard_events_shmem;

#endif							/* LIFEGUARD_EVENTS_H */
