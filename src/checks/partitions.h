/*-------------------------------------------------------------------------
 *
 * partitions.h
 *		Health of partitioned tables, read from the catalogs.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_PARTITIONS_H
#define LIFEGUARD_PARTITIONS_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "core/lifeguard.h"

/* Three-valued answers: NULL in SQL when unknown or not applicable */
#define LG_UNKNOWN	(-1)

/* What made a table critical or warning, for the worker's events */
#define LG_PART_DEFAULT_ROWS	0x01	/* the default partition holds rows */
#define LG_PART_UNCOVERED		0x02	/* nothing but the default covers now() */
#define LG_PART_RUNNING_OUT		0x04	/* coverage shorter than the horizon */
#define LG_PART_NO_PARTITIONS	0x08	/* no partition at all */
#define LG_PART_GAPS			0x10	/* holes between range partitions */
#define LG_PART_RETENTION		0x20	/* pg_partman retention overdue */
#define LG_PART_CONFIG			0x40	/* pg_partman's configuration unreadable */

/* One partitioned table, as lifeguard.partitions() reports it */
typedef struct LifeguardPartitionHealth
{
	Oid			parent;
	char	   *name;			/* the parent's qualified name */
	char		strategy;		/* PARTITION_STRATEGY_RANGE, ... */
	int			partition_count;	/* every partition, the default included */
	Oid			default_partition;	/* InvalidOid when there is none */
	int			default_has_rows;	/* 1, 0 or LG_UNKNOWN */
	const char *default_checked_by; /* "statistics", "probe" or NULL */
	bool		default_inconclusive;	/* no probe: statistics alone */
	char	   *newest_upper_bound; /* range only; NULL otherwise */
	char	   *oldest_lower_bound;
	bool		has_covered_until;
	TimestampTz covered_until;
	bool		has_horizon;
	Interval	horizon;
	int			premake_ok;		/* 1, 0 or LG_UNKNOWN */
	int			gaps;			/* count, or LG_UNKNOWN */
	int			retention_overdue;	/* 1, 0 or LG_UNKNOWN */
	bool		managed;		/* pg_partman has it in part_config */
	LifeguardLevel status;
	int			flags;			/* LG_PART_* */
	List	   *problems;		/* of char *, plain words */
} LifeguardPartitionHealth;

/*
 * Every partitioned table of the current database, in a transaction with
 * an active snapshot.  Takes no lock on any partitioned table; catalog
 * locks are taken conditionally (returns false, with *result NIL, when one
 * is not granted at once).  With check_select, a default partition is
 * probed for rows only when the current user may SELECT from it; otherwise
 * statistics alone answer.
 */
extern bool lifeguard_partitions_scan(bool check_select, List **result);

#endif							/* LIFEGUARD_PARTITIONS_H */
