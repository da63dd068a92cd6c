/*-------------------------------------------------------------------------
 *
 * partitions.c
 *		Health of every partitioned table: lifeguard.partitions().
 *
 * The outage this answers: partition maintenance failed for weeks, rows
 * piled into the DEFAULT partition, and when maintenance ran again it held
 * a lock on the parent while traffic queued behind it.  So nothing here
 * opens a partitioned table: RelationGetPartitionDesc() needs
 * AccessShareLock on the parent, which queues behind that very lock (a
 * lock request waits behind any earlier conflicting request).  Partitions are found in pg_inherits and their
 * bounds read from pg_class.relpartbound through the syscache, parsed with
 * stringToNode() into the PartitionBoundSpec the server itself uses, and
 * compared with the partition key's own btree comparison functions.  The
 * catalogs are locked conditionally, and a default partition is probed for
 * rows only under a lock granted at once, for a bounded number of blocks.
 *
 * pg_partman (4.x and later keep part_config in the schema the extension
 * was installed in) supplies the premake horizon and the retention; its
 * configuration is read in a subtransaction, so a pg_partman this code
 * does not understand is reported as a problem, not an error.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_partitioned_table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/compat.h"
#include "checks/partitions.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/xact.h"

PG_FUNCTION_INFO_V1(lifeguard_partitions);

/* Most blocks a probe of a default partition reads looking for a row */
#define LG_PROBE_MAX_BLOCKS		128

#define PARTITIONS_COLS			16

/* pg_partman's settings for one parent */
typedef struct PartmanConfig
{
	Oid			parent;
	bool		has_interval;	/* time-based: partition_interval is one */
	Interval	interval;
	int			premake;
	bool		has_retention;
	Interval	retention;
} PartmanConfig;

/* One range partition, with its bounds as the server stores them */
typedef struct RangePart
{
	Oid			relid;
	List	   *lower;			/* of PartitionRangeDatum */
	List	   *upper;
} RangePart;

/* How to compare values of a partition key, column by column */
typedef struct KeyCompare
{
	int			nkeys;
	FmgrInfo	cmp[PARTITION_MAX_KEYS];
	Oid			collation[PARTITION_MAX_KEYS];
} KeyCompare;

/*
 * A relation's schema-qualified name, quoted where needed, or its OID in
 * brackets when it has just been dropped.
 */
static char *
relation_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;

	if (relname == NULL)
		return psprintf("[%u]", relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	return quote_qualified_identifier(nspname, relname);
}

/*
 * Compare two range bounds (lists of PartitionRangeDatum) the way the
 * server does: MINVALUE < any value < MAXVALUE, column by column, and the
 * columns after an infinite one do not matter.
 */
static int
compare_bounds(const KeyCompare *kc, List *a, List *b)
{
	ListCell   *la;
	ListCell   *lb;
	int			i = 0;

	forboth(la, a, lb, b)
	{
		PartitionRangeDatum *da = lfirst_node(PartitionRangeDatum, la);
		PartitionRangeDatum *db = lfirst_node(PartitionRangeDatum, lb);
		Const	   *ca;
		Const	   *cb;
		int32		c;

		if (da->kind != db->kind)
			return da->kind < db->kind ? -1 : 1;
		if (da->kind != PARTITION_RANGE_DATUM_VALUE)
			return 0;
		ca = castNode(Const, da->value);
		cb = castNode(Const, db->value);
		c = DatumGetInt32(FunctionCall2Coll((FmgrInfo *) &kc->cmp[i],
											kc->collation[i],
											ca->constvalue, cb->constvalue));
		if (c != 0)
			return c;
		i++;
	}
	return 0;
}

static int
compare_lower(const void *a, const void *b, void *arg)
{
	return compare_bounds((const KeyCompare *) arg,
						  ((const RangePart *) a)->lower,
						  ((const RangePart *) b)->lower);
}

/* A bound as text: the value, MINVALUE or MAXVALUE; "(a, b)" for several */
static char *
bound_text(List *datums)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		several = list_length(datums) > 1;

	initStringInfo(&buf);
	if (several)
		appendStringInfoChar(&buf, '(');
	foreach(lc, datums)
	{
		PartitionRangeDatum *d = lfirst_node(PartitionRangeDatum, lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		if (d->kind == PARTITION_RANGE_DATUM_MINVALUE)
			appendStringInfoString(&buf, "MINVALUE");
		else if (d->kind == PARTITION_RANGE_DATUM_MAXVALUE)
			appendStringInfoString(&buf, "MAXVALUE");
		else
		{
			Const	   *c = castNode(Const, d->value);
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
			appendStringInfoString(&buf,
								   OidOutputFunctionCall(outfunc, c->constvalue));
		}
	}
	if (several)
		appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * The first column of a bound as a timestamptz, for date, timestamp and
 * timestamptz keys; MINVALUE and MAXVALUE are -infinity and infinity.
 * Returns false for any other type.
 */
static bool
bound_timestamptz(List *datums, TimestampTz *result)
{
	PartitionRangeDatum *d = linitial_node(PartitionRangeDatum, datums);
	Const	   *c;
	int			overflow = 0;

	if (d->kind == PARTITION_RANGE_DATUM_MINVALUE)
	{
		TIMESTAMP_NOBEGIN(*result);
		return true;
	}
	if (d->kind == PARTITION_RANGE_DATUM_MAXVALUE)
	{
		TIMESTAMP_NOEND(*result);
		return true;
	}

	c = castNode(Const, d->value);
	switch (c->consttype)
	{
		case TIMESTAMPTZOID:
			*result = DatumGetTimestampTz(c->constvalue);
			return true;
		case TIMESTAMPOID:
			*result = timestamp2timestamptz_opt_overflow(DatumGetTimestamp(c->constvalue),
														 &overflow);
			break;
		case DATEOID:
			*result = date2timestamptz_opt_overflow(DatumGetDateADT(c->constvalue),
													&overflow);
			break;
		default:
			return false;
	}
	if (overflow > 0)
		TIMESTAMP_NOEND(*result);
	else if (overflow < 0)
		TIMESTAMP_NOBEGIN(*result);
	return true;
}

static TimestampTz
timestamptz_plus(TimestampTz t, Interval *iv, bool minus)
{
	return DatumGetTimestampTz(DirectFunctionCall2(minus ? timestamptz_mi_interval : timestamptz_pl_interval,
												   TimestampTzGetDatum(t),
												   IntervalPGetDatum(iv)));
}

static char *
timestamptz_text(TimestampTz t)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(t)));
}

static char *
interval_text(Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(iv)));
}

/* What read_partman_config_body() reads, into memory of the caller's */
typedef struct PartmanRead
{
	MemoryContext cxt;			/* the caller's */
	List	   *result;			/* of PartmanConfig */
	char	   *problem;
} PartmanRead;

static void
read_partman_config_body(void *arg)
{
	PartmanRead *r = (PartmanRead *) arg;
	Oid			save_userid;
	int			save_sec;
	Oid			configid;
	const char *why;
	bool		busy;
	bool		isnull;
	uint64		i;
	int			nestlevel;

	GetUserIdAndSecContext(&save_userid, &save_sec);

	/*
	 * part_config is found through pg_extension and must be pg_partman's own
	 * table (pg_depend): a look-alike of some other role's is never read.
	 */
	configid = lifeguard_extension_table("pg_partman", "part_config",
										 &why, &busy);
	if (busy)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("the extension catalogs are locked by another session")));
	if (why != NULL)
		r->problem = MemoryContextStrdup(r->cxt, why);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = lifeguard_pin_search_path();

	if (OidIsValid(configid))
	{
		StringInfoData sql;

		if (!ConditionalLockRelationOid(configid, AccessShareLock))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("part_config is locked by another session")));

		/*
		 * Time-based sets keep an interval in partition_interval and
		 * retention; id-based ones an integer, which is not one.
		 */
		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "SELECT pg_catalog.to_regclass(c.parent_table)::pg_catalog.oid,"
						 " CASE WHEN c.partition_interval OPERATOR(pg_catalog.~) '^\\s*-?[0-9]+\\s*$'"
						 "  THEN NULL ELSE c.partition_interval::pg_catalog.interval END,"
						 " c.premake::pg_catalog.int4,"
						 " CASE WHEN c.retention OPERATOR(pg_catalog.~) '^\\s*-?[0-9]+\\s*$'"
						 "  THEN NULL ELSE c.retention::pg_catalog.interval END"
						 " FROM %s c",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(configid)),
													get_rel_name(configid)));

		SetUserIdAndSecContext(lifeguard_relation_owner(configid),
							   save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read part_config");
		SetUserIdAndSecContext(save_userid, save_sec);

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			PartmanConfig *pc;
			Datum		d;

			d = SPI_getbinval(tup, desc, 1, &isnull);
			if (isnull)
				continue;	/* a parent that no longer exists */
			pc = MemoryContextAllocZero(r->cxt, sizeof(PartmanConfig));
			pc->parent = DatumGetObjectId(d);
			d = SPI_getbinval(tup, desc, 2, &isnull);
			if (!isnull)
			{
				pc->has_interval = true;
				pc->interval = *DatumGetIntervalP(d);
			}
			d = SPI_getbinval(tup, desc, 3, &isnull);
			pc->premake = isnull ? 0 : DatumGetInt32(d);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			if (!isnull)
			{
				pc->has_retention = true;
				pc->retention = *DatumGetIntervalP(d);
			}
			{
				MemoryContext spicxt = MemoryContextSwitchTo(r->cxt);

				r->result = lappend(r->result, pc);
				MemoryContextSwitchTo(spicxt);
			}
		}
	}

	lifeguard_unpin_search_path(nestlevel);
	SPI_finish();
}

/*
 * Read pg_partman's part_config, when pg_partman is installed, as the
 * owner of part_config (a pg_monitor role may not read it) and in a
 * subtransaction: an unknown layout or a lock not granted at once becomes
 * *problem, never an error.  Returns a list of PartmanConfig.
 */
static List *
read_partman_config(char **problem)
{
	PartmanRead r = {CurrentMemoryContext, NIL, NULL};
	ErrorData  *edata;

	edata = lifeguard_run_subxact(read_partman_config_body, &r);
	if (edata != NULL)
	{
		r.problem = psprintf("pg_partman's configuration could not be read: %s",
							 edata->message);
		list_free_deep(r.result);
		r.result = NIL;
		FreeErrorData(edata);
	}
	*problem = r.problem;
	return r.result;
}

/*
 * Look for one row in a default partition, under a lock granted at once
 * and within LG_PROBE_MAX_BLOCKS blocks.  Returns 1, 0, or LG_UNKNOWN when
 * the lock was not granted, the partition is itself partitioned, or the
 * blocks read held no row but there are more.
 */
static int
probe_rows(Oid relid)
{
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	BlockNumber nblocks;
	bool		bounded;
	bool		found;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return LG_UNKNOWN;
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL || rel->rd_rel->relkind != RELKIND_RELATION)
	{
		if (rel != NULL)
			relation_close(rel, NoLock);
		UnlockRelationOid(relid, AccessShareLock);
		return LG_UNKNOWN;
	}

	nblocks = RelationGetNumberOfBlocks(rel);
	bounded = (rel->rd_tableam == GetHeapamTableAmRoutine());
	if (!bounded && nblocks > LG_PROBE_MAX_BLOCKS)
	{
		relation_close(rel, NoLock);
		UnlockRelationOid(relid, AccessShareLock);
		return LG_UNKNOWN;
	}

	/* no synchronized scan: the limit must start at block 0 */
	scan = table_beginscan_strat(rel, GetActiveSnapshot(), 0, NULL,
								 true, false);
	if (bounded && nblocks > LG_PROBE_MAX_BLOCKS)
		heap_setscanlimits(scan, 0, LG_PROBE_MAX_BLOCKS);
	slot = table_slot_create(rel, NULL);
	found = table_scan_getnextslot(scan, ForwardScanDirection, slot);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);

	relation_close(rel, NoLock);
	UnlockRelationOid(relid, AccessShareLock);

	if (found)
		return 1;
	return nblocks > LG_PROBE_MAX_BLOCKS ? LG_UNKNOWN : 0;
}

/*
 * Does the default partition hold rows?  Statistics first (the cumulative
 * statistics' live tuples, or pg_class.reltuples when there are none),
 * then a bounded probe when one can be made, which answers instead: the
 * statistics lag behind inserts and deletes.  A default partition with
 * rows costs the probe one block.
 */
static void
check_default_rows(Oid defid, bool check_select, LifeguardPartitionHealth *h)
{
	int64		live_tuples;
	int			stats_rows = LG_UNKNOWN;
	int			probed = LG_UNKNOWN;

	if (lifeguard_stat_live_tuples(defid, &live_tuples))
		stats_rows = (live_tuples > 0) ? 1 : 0;
	else
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(defid));

		/* reltuples is -1 until the first VACUUM or ANALYZE: unknown */
		if (HeapTupleIsValid(tup))
		{
			float4		reltuples = ((Form_pg_class) GETSTRUCT(tup))->reltuples;

			if (reltuples >= 0)
				stats_rows = (reltuples > 0) ? 1 : 0;
			ReleaseSysCache(tup);
		}
	}

	if (!check_select ||
		pg_class_aclcheck(defid, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
		probed = probe_rows(defid);

	if (probed != LG_UNKNOWN)
	{
		h->default_has_rows = probed;
		h->default_checked_by = "probe";
		return;
	}

	/* no probe: what the statistics say, which may be nothing, and lag */
	h->default_inconclusive = true;
	h->default_has_rows = stats_rows;
	h->default_checked_by = (stats_rows == LG_UNKNOWN) ? NULL : "statistics";
}

/* The comparison functions of a partition key, from its operator classes */
static void
key_compare_init(KeyCompare *kc, int nkeys, oidvector *opclasses,
				 oidvector *collations)
{
	int			i;

	kc->nkeys = nkeys;
	for (i = 0; i < nkeys; i++)
	{
		Oid			opclass = opclasses->values[i];
		Oid			opfamily = get_opclass_family(opclass);
		Oid			intype = get_opclass_input_type(opclass);
		Oid			proc = get_opfamily_proc(opfamily, intype, intype,
											 BTORDER_PROC);

		if (!OidIsValid(proc))
			elog(ERROR, "missing support function %d(%u,%u) in opfamily %u",
				 BTORDER_PROC, intype, intype, opfamily);
		fmgr_info(proc, &kc->cmp[i]);
		kc->collation[i] = collations->values[i];
	}
}

static void
add_problem(LifeguardPartitionHealth *h, int flag, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
add_problem(LifeguardPartitionHealth *h, int flag, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	h->flags |= flag;
	h->problems = lappend(h->problems, buf.data);
}

/*
 * Range partitions: bounds, gaps, and for a single date / timestamp /
 * timestamptz column, the coverage of now() and of the horizon.
 */
static void
check_range(LifeguardPartitionHealth *h, KeyCompare *kc, RangePart *parts,
			int nparts, bool time_key, PartmanConfig *pc)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int			i;

	h->gaps = 0;
	if (nparts > 0)
	{
		qsort_arg(parts, nparts, sizeof(RangePart), compare_lower, kc);
		for (i = 1; i < nparts; i++)
			if (compare_bounds(kc, parts[i - 1].upper, parts[i].lower) < 0)
				h->gaps++;
		h->oldest_lower_bound = bound_text(parts[0].lower);
		h->newest_upper_bound = bound_text(parts[nparts - 1].upper);
	}

	if (h->gaps > 0)
		add_problem(h, LG_PART_GAPS,
					h->gaps == 1 ?
					"%d gap between range partitions: rows in it go to the default partition or fail" :
					"%d gaps between range partitions: rows in them go to the default partition or fail",
					h->gaps);

	if (!time_key)
		return;

	/* the horizon partitions must cover beyond now() */
	h->has_horizon = true;
	if (pc != NULL && pc->has_interval && pc->premake > 0)
		h->horizon = *DatumGetIntervalP(DirectFunctionCall2(interval_mul,
															IntervalPGetDatum(&pc->interval),
															Float8GetDatum((float8) pc->premake)));
	else
	{
		memset(&h->horizon, 0, sizeof(Interval));
		if (lifeguard_partition_horizon % (24 * 60) == 0)
			h->horizon.day = lifeguard_partition_horizon / (24 * 60);
		else
			h->horizon.time = (int64) lifeguard_partition_horizon * USECS_PER_MINUTE;
	}

	/* find the partition holding now(), then follow contiguous ones */
	h->premake_ok = 0;
	for (i = 0; i < nparts; i++)
	{
		TimestampTz lower;
		TimestampTz upper;

		if (!bound_timestamptz(parts[i].lower, &lower) ||
			!bound_timestamptz(parts[i].upper, &upper))
			return;
		if (lower <= now && now < upper)
		{
			while (i + 1 < nparts &&
				   compare_bounds(kc, parts[i].upper, parts[i + 1].lower) == 0)
				i++;
			(void) bound_timestamptz(parts[i].upper, &h->covered_until);
			h->has_covered_until = true;
			break;
		}
	}

	if (!h->has_covered_until)
	{
		/* with no partition at all, "no partitions" has said it already */
		if (h->partition_count > 0)
			add_problem(h, LG_PART_UNCOVERED,
						"no partition other than the default covers now()");
	}
	else if (h->covered_until < timestamptz_plus(now, &h->horizon, false))
		add_problem(h, LG_PART_RUNNING_OUT,
					"partitions cover only until %s, less than now() + %s",
					timestamptz_text(h->covered_until),
					interval_text(&h->horizon));
	else
		h->premake_ok = 1;

	/* pg_partman drops what is older than now() - retention */
	if (nparts > 0 && pc != NULL && pc->has_interval && pc->has_retention)
	{
		TimestampTz oldest_upper;
		TimestampTz limit;

		limit = timestamptz_plus(timestamptz_plus(now, &pc->retention, true),
								 &pc->interval, true);
		h->retention_overdue = 0;
		if (bound_timestamptz(parts[0].upper, &oldest_upper) &&
			oldest_upper < limit)
		{
			h->retention_overdue = 1;
			add_problem(h, LG_PART_RETENTION,
						"partitions older than pg_partman's retention of %s are still attached",
						interval_text(&pc->retention));
		}
	}
}

/* Health of one partitioned table, from its pg_partitioned_table row */
static LifeguardPartitionHealth *
check_table(Relation ptrel, HeapTuple tuple, Relation inhrel,
			List *configs, const char *config_problem, bool check_select)
{
	Form_pg_partitioned_table form = (Form_pg_partitioned_table) GETSTRUCT(tuple);
	LifeguardPartitionHealth *h = palloc0(sizeof(LifeguardPartitionHealth));
	PartmanConfig *pc = NULL;
	KeyCompare	kc;
	RangePart  *parts;
	int			nparts = 0;
	int			maxparts = 16;
	bool		time_key = false;
	ListCell   *lc;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	inhtup;

	h->parent = form->partrelid;
	h->name = relation_name(h->parent);
	h->strategy = form->partstrat;
	h->default_partition = form->partdefid;
	h->default_has_rows = LG_UNKNOWN;
	h->premake_ok = LG_UNKNOWN;
	h->gaps = LG_UNKNOWN;
	h->retention_overdue = LG_UNKNOWN;

	foreach(lc, configs)
	{
		PartmanConfig *c = lfirst(lc);

		if (c->parent == h->parent)
			pc = c;
	}
	h->managed = (pc != NULL);
	if (config_problem != NULL)
		add_problem(h, LG_PART_CONFIG, "%s", config_problem);

	if (form->partstrat == PARTITION_STRATEGY_RANGE)
	{
		bool		isnull;
		Datum		classes;
		Datum		colls;

		classes = heap_getattr(tuple, Anum_pg_partitioned_table_partclass,
							   RelationGetDescr(ptrel), &isnull);
		Assert(!isnull);
		colls = heap_getattr(tuple, Anum_pg_partitioned_table_partcollation,
							 RelationGetDescr(ptrel), &isnull);
		Assert(!isnull);
		key_compare_init(&kc, form->partnatts,
						 (oidvector *) DatumGetPointer(classes),
						 (oidvector *) DatumGetPointer(colls));
		if (form->partnatts == 1)
		{
			Oid			keytype = get_opclass_input_type(((oidvector *) DatumGetPointer(classes))->values[0]);

			time_key = (keytype == DATEOID || keytype == TIMESTAMPOID ||
						keytype == TIMESTAMPTZOID);
		}
	}

	/* the partitions: pg_inherits, then each one's bound from the syscache */
	parts = palloc(sizeof(RangePart) * maxparts);
	ScanKeyInit(&key, Anum_pg_inherits_inhparent, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(h->parent));
	scan = systable_beginscan(inhrel, InheritsParentIndexId, true, NULL,
							  1, &key);
	while ((inhtup = systable_getnext(scan)) != NULL)
	{
		Form_pg_inherits inh = (Form_pg_inherits) GETSTRUCT(inhtup);
		HeapTuple	reltup;
		Datum		datum;
		bool		isnull;
		PartitionBoundSpec *spec;

		if (inh->inhdetachpending)
			continue;
		reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(inh->inhrelid));
		if (!HeapTupleIsValid(reltup))
			continue;
		datum = SysCacheGetAttr(RELOID, reltup, Anum_pg_class_relpartbound,
								&isnull);
		if (isnull)
		{
			ReleaseSysCache(reltup);
			continue;
		}
		spec = castNode(PartitionBoundSpec,
						stringToNode(TextDatumGetCString(datum)));
		ReleaseSysCache(reltup);

		h->partition_count++;
		if (spec->is_default || form->partstrat != PARTITION_STRATEGY_RANGE)
			continue;
		if (nparts == maxparts)
		{
			maxparts *= 2;
			parts = repalloc(parts, sizeof(RangePart) * maxparts);
		}
		parts[nparts].relid = inh->inhrelid;
		parts[nparts].lower = spec->lowerdatums;
		parts[nparts].upper = spec->upperdatums;
		nparts++;
	}
	systable_endscan(scan);

	if (h->partition_count == 0)
		add_problem(h, LG_PART_NO_PARTITIONS,
					"no partitions: every INSERT fails");

	if (OidIsValid(h->default_partition))
	{
		check_default_rows(h->default_partition, check_select, h);
		if (h->default_has_rows == 1)
			add_problem(h, LG_PART_DEFAULT_ROWS,
						"default partition %s holds rows (seen by %s)",
						relation_name(h->default_partition),
						h->default_checked_by);
	}

	if (form->partstrat == PARTITION_STRATEGY_RANGE)
		check_range(h, &kc, parts, nparts, time_key, pc);

	if (h->flags & (LG_PART_DEFAULT_ROWS | LG_PART_UNCOVERED |
					LG_PART_NO_PARTITIONS))
		h->status = LG_LEVEL_CRITICAL;
	else if (h->flags != 0)
		h->status = LG_LEVEL_WARNING;
	else
		h->status = LG_LEVEL_OK;

	return h;
}

static int
compare_parent_names(const ListCell *a, const ListCell *b)
{
	const LifeguardPartitionHealth *ha = lfirst(a);
	const LifeguardPartitionHealth *hb = lfirst(b);

	return strcmp(ha->name, hb->name);
}

bool
lifeguard_partitions_scan(bool check_select, List **result)
{
	Relation	ptrel;
	Relation	inhrel;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *configs;
	char	   *config_problem;

	*result = NIL;
	if (!ConditionalLockRelationOid(PartitionedRelationId, AccessShareLock) ||
		!ConditionalLockRelationOid(InheritsRelationId, AccessShareLock))
		return false;

	configs = read_partman_config(&config_problem);

	ptrel = table_open(PartitionedRelationId, NoLock);
	inhrel = table_open(InheritsRelationId, NoLock);
	scan = systable_beginscan(ptrel, InvalidOid, false, NULL, 0, NULL);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		Form_pg_partitioned_table form = (Form_pg_partitioned_table) GETSTRUCT(tuple);
		Oid			nsp = get_rel_namespace(form->partrelid);

		/* another session's temporary tables are not ours to judge */
		if (!OidIsValid(nsp) || isOtherTempNamespace(nsp))
			continue;
		*result = lappend(*result,
						  check_table(ptrel, tuple, inhrel, configs,
									  config_problem, check_select));
	}
	systable_endscan(scan);
	table_close(inhrel, NoLock);
	table_close(ptrel, NoLock);

	list_sort(*result, compare_parent_names);
	return true;
}

static const char *
strategy_name(char strategy)
{
	switch (strategy)
	{
		case PARTITION_STRATEGY_RANGE:
			return "range";
		case PARTITION_STRATEGY_LIST:
			return "list";
		case PARTITION_STRATEGY_HASH:
			return "hash";
	}
	return "unknown";
}

/*
 * lifeguard.partitions(): one row per partitioned table of this database.
 */
Datum
lifeguard_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *tables;
	ListCell   *lc;

	lifeguard_require_monitor("partitions");
	InitMaterializedSRF(fcinfo, 0);

	if (!lifeguard_partitions_scan(true, &tables))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("could not read the partition catalogs without waiting"),
				 errdetail("Another session holds a lock on pg_partitioned_table or pg_inherits that conflicts with reading them."),
				 errhint("Try again when that session has finished.")));

	foreach(lc, tables)
	{
		LifeguardPartitionHealth *h = lfirst(lc);
		Datum		values[PARTITIONS_COLS];
		bool		nulls[PARTITIONS_COLS];
		Datum	   *problems;
		ListCell   *plc;

		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(h->parent);
		values[1] = CStringGetTextDatum(strategy_name(h->strategy));
		values[2] = Int32GetDatum(h->partition_count);
		values[3] = ObjectIdGetDatum(h->default_partition);
		nulls[3] = !OidIsValid(h->default_partition);
		values[4] = BoolGetDatum(h->default_has_rows == 1);
		nulls[4] = (h->default_has_rows == LG_UNKNOWN);
		values[5] = h->default_checked_by ?
			CStringGetTextDatum(h->default_checked_by) : (Datum) 0;
		nulls[5] = (h->default_checked_by == NULL);
		values[6] = h->newest_upper_bound ?
			CStringGetTextDatum(h->newest_upper_bound) : (Datum) 0;
		nulls[6] = (h->newest_upper_bound == NULL);
		values[7] = h->oldest_lower_bound ?
			CStringGetTextDatum(h->oldest_lower_bound) : (Datum) 0;
		nulls[7] = (h->oldest_lower_bound == NULL);
		values[8] = TimestampTzGetDatum(h->covered_until);
		nulls[8] = !h->has_covered_until;
		values[9] = IntervalPGetDatum(&h->horizon);
		nulls[9] = !h->has_horizon;
		values[10] = BoolGetDatum(h->premake_ok == 1);
		nulls[10] = (h->premake_ok == LG_UNKNOWN);
		values[11] = Int32GetDatum(h->gaps);
		nulls[11] = (h->gaps == LG_UNKNOWN);
		values[12] = BoolGetDatum(h->retention_overdue == 1);
		nulls[12] = (h->retention_overdue == LG_UNKNOWN);
		values[13] = h->managed ? CStringGetTextDatum("pg_partman") : (Datum) 0;
		nulls[13] = !h->managed;
		values[14] = CStringGetTextDatum(lifeguard_level_name(h->status));

		problems = palloc(sizeof(Datum) * (list_length(h->problems) + 1));
		foreach(plc, h->problems)
			problems[foreach_current_index(plc)] =
				CStringGetTextDatum((char *) lfirst(plc));
		values[15] = PointerGetDatum(construct_array(problems,
													 list_length(h->problems),
													 TEXTOID, -1, false,
													 TYPALIGN_INT));

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	return (Datum) 0;
}
