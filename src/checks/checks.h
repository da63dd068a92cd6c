/*-------------------------------------------------------------------------
 *
 * checks.h
 *		The partitions and jobs duty: checks every lifeguard.check_interval,
 *		and what they last reported.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_CHECKS_H
#define LIFEGUARD_CHECKS_H

#include "core/duty.h"

/*
 * What the partition and job checks last reported about one partitioned
 * table (relid) or one job (job), in one database: an alert is reported
 * when its level or problems change, and an alert that repeats is reported
 * again every lifeguard.alert_repeat.  Only non-ok states are kept.
 *
 * An entry with no relid and a job starting with LIFEGUARD_ALERT_NOTE is
 * not a job but a note about the database, kept so it is said once (a
 * look-alike of pg_cron's tables, say); job names cannot start so.
 */
#define LIFEGUARD_MAX_ALERTS	512
#define LIFEGUARD_ALERT_NOTE	'('

typedef struct LifeguardAlert
{
	Oid			dbid;			/* InvalidOid = entry unused */
	Oid			relid;			/* partitioned table, or InvalidOid */
	char		job[NAMEDATALEN];	/* job name, or "" */
	char		table[2 * NAMEDATALEN + 1]; /* schema.table, or "" */
	int			level;			/* what was last reported; 0 = ok */
	int			flags;			/* which problems were reported */
	TimestampTz reported_at;
	uint64		check;			/* last check that saw it */
} LifeguardAlert;

extern int	lifeguard_alerts_copy(LifeguardAlert *dst, uint64 *checks);

/* Entry point of the short-lived worker that checks another database */
extern PGDLLEXPORT void lifeguard_check_main(Datum main_arg);

extern const LifeguardDuty lifeguard_checks_duty;

#endif							/* LIFEGUARD_CHECKS_H */
