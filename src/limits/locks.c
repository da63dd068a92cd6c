/*-------------------------------------------------------------------------
 *
 * locks.c
 *		Who blocks whom: blocking chains, their roots, and the lock queue
 *		jam.
 *
 * The graph is built only from sessions that wait on a heavyweight lock.
 * They are found from PGPROC.wait_event_info without touching the lock
 * manager; for each of them GetBlockerStatusData() (which holds every lock
 * partition for a moment, as pg_blocking_pids() does) says which sessions
 * hold a conflicting lock ("hard" blockers) or wait ahead of it in the
 * queue with a conflicting request ("soft" blockers: how a waiting
 * ACCESS EXCLUSIVE request jams the readers queued behind it).  With no
 * waiter, nothing is asked of the lock manager at all.
 *
 * A node of the graph is a waiting session or a session some waiter is
 * blocked by.  Roots are nodes that block others and wait on nothing: the
 * sessions to act on.  blocked_total counts every session behind a node,
 * directly or not; depth is the distance from the nearest root (NULL in a
 * cycle, which the deadlock detector is about to break).
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "limits/locks.h"
#include "slots/slots.h"

PG_FUNCTION_INFO_V1(lifeguard_blockers);

#define BLOCKERS_COLS	18

/*
 * The pids of the sessions waiting on a heavyweight lock now, read from the
 * process array without any lock (a momentary view).
 */
static int *
waiting_pids(int *n)
{
	int		   *pids = palloc(sizeof(int) * Max(lifeguard_proc_count(), 1));
	int			i;

	*n = 0;
	for (i = 0; i < lifeguard_proc_count(); i++)
	{
		PGPROC	   *proc = lifeguard_proc(i);
		int			pid = lifeguard_proc_pid(proc);

		if (pid != 0 && LIFEGUARD_WAITS_ON_LOCK(lifeguard_proc_wait_event_info(proc)))
			pids[(*n)++] = pid;
	}
	return pids;
}

/*
 * Append to *edges the blockers of one waiting pid, the way
 * pg_blocking_pids() finds them.
 */
static void
add_edges(int pid, BlockEdge **edges, int *nedges, int *maxedges)
{
	BlockedProcsData *data = GetBlockerStatusData(pid);
	int			i;
	int			j;

	for (i = 0; i < data->nprocs; i++)
	{
		BlockedProcData *bproc = &data->procs[i];
		LockInstanceData *instances = &data->locks[bproc->first_lock];
		int		   *ahead = &data->waiter_pids[bproc->first_waiter];
		LockInstanceData *mine = NULL;
		PGPROC	   *proc = BackendPidGetProc(bproc->pid);
		TimestampTz wait_start;
		int			conflicts;

		for (j = 0; j < bproc->num_locks; j++)
			if (instances[j].pid == bproc->pid)
				mine = &instances[j];
		if (mine == NULL)
			continue;

		/*
		 * GetBlockerStatusData() leaves LockInstanceData.waitStart unset;
		 * the waiter's PGPROC has it (0 for a moment after the wait began).
		 */
		wait_start = proc ? lifeguard_proc_wait_start(proc) : 0;
		conflicts = lifeguard_lock_conflicts(&mine->locktag, mine->waitLockMode);

		for (j = 0; j < bproc->num_locks; j++)
		{
			LockInstanceData *other = &instances[j];
			BlockEdge  *e;
			bool		blocks = false;
			int			k;

			if (other == mine || other->leaderPid == mine->leaderPid)
				continue;
			if (conflicts & other->holdMask)
				blocks = true;
			else if (other->waitLockMode != NoLock &&
					 (conflicts & LOCKBIT_ON(other->waitLockMode)))
			{
				for (k = 0; k < bproc->num_waiters && !blocks; k++)
					blocks = (ahead[k] == other->pid);
			}
			if (!blocks)
				continue;

			if (*nedges >= *maxedges)
			{
				*maxedges *= 2;
				*edges = repalloc(*edges, sizeof(BlockEdge) * *maxedges);
			}
			e = &(*edges)[(*nedges)++];
			e->waiter = bproc->pid;
			e->blocker = other->leaderPid;
			e->tag = mine->locktag;
			e->wait_mode = mine->waitLockMode;
			e->blocker_hold = other->holdMask & conflicts;
			e->wait_start = wait_start;
		}
	}
}

static BlockNode *
find_node(BlockNode *nodes, int n, int pid)
{
	int			i;

	for (i = 0; i < n; i++)
		if (nodes[i].pid == pid)
			return &nodes[i];
	return NULL;
}

static BlockNode *
get_node(BlockNode *nodes, int *n, int pid)
{
	BlockNode  *node = find_node(nodes, *n, pid);

	if (node == NULL)
	{
		node = &nodes[(*n)++];
		memset(node, 0, sizeof(BlockNode));
		node->pid = pid;
		node->depth = -1;
	}
	return node;
}

/* The strongest mode set in a mask */
static LOCKMODE
strongest_mode(LOCKMASK mask)
{
	LOCKMODE	mode;

	for (mode = MaxLockMode; mode > NoLock; mode--)
		if (mask & LOCKBIT_ON(mode))
			return mode;
	return NoLock;
}

/*
 * Build the graph: nodes (waiting or blocking sessions) and edges.  Returns
 * the number of nodes.
 */
int
lifeguard_build_lock_graph(BlockNode **nodes_out, BlockEdge **edges_out,
						   int *nedges_out)
{
	int			nwait;
	int		   *pids = waiting_pids(&nwait);
	int			maxedges = 16;
	BlockEdge  *edges = palloc(sizeof(BlockEdge) * maxedges);
	int			nedges = 0;
	BlockNode  *nodes;
	int			nnodes = 0;
	int		   *queue;
	int			qhead = 0;
	int			qtail = 0;
	bool	   *seen;
	int			i;
	int			j;

	for (i = 0; i < nwait; i++)
		add_edges(pids[i], &edges, &nedges, &maxedges);

	nodes = palloc(sizeof(BlockNode) * Max(2 * nedges, 1));
	for (i = 0; i < nedges; i++)
	{
		BlockEdge  *e = &edges[i];
		BlockNode  *w = get_node(nodes, &nnodes, e->waiter);
		BlockNode  *b = get_node(nodes, &nnodes, e->blocker);

		w->waiting = true;
		w->tag = e->tag;
		w->mode = e->wait_mode;
		w->has_lock = true;
		w->wait_started = e->wait_start;
		if (b->blocking_since == 0 || (e->wait_start != 0 &&
									   e->wait_start < b->blocking_since))
			b->blocking_since = e->wait_start;
		if (!b->has_lock && e->blocker_hold != 0)
		{
			b->tag = e->tag;
			b->mode = strongest_mode(e->blocker_hold);
			b->has_lock = true;
		}
	}

	/* depth: breadth first from the roots along "blocks" edges */
	queue = palloc(sizeof(int) * Max(nnodes, 1));
	for (i = 0; i < nnodes; i++)
		if (!nodes[i].waiting)
		{
			nodes[i].depth = 0;
			queue[qtail++] = i;
		}
	while (qhead < qtail)
	{
		BlockNode  *b = &nodes[queue[qhead++]];

		for (j = 0; j < nedges; j++)
		{
			BlockNode  *w;

			if (edges[j].blocker != b->pid)
				continue;
			w = find_node(nodes, nnodes, edges[j].waiter);
			if (w->depth < 0)
			{
				w->depth = b->depth + 1;
				queue[qtail++] = w - nodes;
			}
		}
	}

	/* blocked_total: every session reachable along "blocks" edges */
	seen = palloc(sizeof(bool) * Max(nnodes, 1));
	for (i = 0; i < nnodes; i++)
	{
		memset(seen, 0, sizeof(bool) * nnodes);
		seen[i] = true;
		qhead = qtail = 0;
		queue[qtail++] = i;
		while (qhead < qtail)
		{
			BlockNode  *b = &nodes[queue[qhead++]];

			for (j = 0; j < nedges; j++)
			{
				int			w;

				if (edges[j].blocker != b->pid)
					continue;
				w = find_node(nodes, nnodes, edges[j].waiter) - nodes;
				if (!seen[w])
				{
					seen[w] = true;
					nodes[i].blocked_total++;
					queue[qtail++] = w;
				}
			}
		}
	}

	pfree(seen);
	pfree(queue);
	pfree(pids);
	*nodes_out = nodes;
	*edges_out = edges;
	*nedges_out = nedges;
	return nnodes;
}

/* roots first, then by depth (cycles last), most blocking first */
static int
node_cmp(const void *a, const void *b)
{
	const BlockNode *na = (const BlockNode *) a;
	const BlockNode *nb = (const BlockNode *) b;
	int			da = na->depth < 0 ? INT_MAX : na->depth;
	int			db = nb->depth < 0 ? INT_MAX : nb->depth;

	if (da != db)
		return da < db ? -1 : 1;
	if (na->blocked_total != nb->blocked_total)
		return nb->blocked_total - na->blocked_total;
	return (na->pid > nb->pid) - (na->pid < nb->pid);
}

/* int4[] of the distinct pids on one side of the edges touching pid */
static Datum
pid_array(BlockEdge *edges, int nedges, int pid, bool blockers)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(nedges, 1));
	int			n = 0;
	int			i;
	int			k;

	for (i = 0; i < nedges; i++)
	{
		int			mine = blockers ? edges[i].waiter : edges[i].blocker;
		int			other = blockers ? edges[i].blocker : edges[i].waiter;
		bool		dup = false;

		if (mine != pid)
			continue;
		for (k = 0; k < n && !dup; k++)
			dup = (DatumGetInt32(elems[k]) == other);
		if (!dup)
			elems[n++] = Int32GetDatum(other);
	}
	return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}

/*
 * lifeguard.blockers(): one row per session that waits on a heavyweight
 * lock or blocks one that does.  Roots first, then by depth.
 */
Datum
lifeguard_blockers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all_stats = has_privs_of_role(GetUserId(),
											  ROLE_PG_READ_ALL_STATS);
	BlockNode  *nodes;
	BlockEdge  *edges;
	int			nedges;
	int			nnodes;
	int			i;
	int			b;

	lifeguard_require_monitor("blockers");
	InitMaterializedSRF(fcinfo, 0);

	nnodes = lifeguard_build_lock_graph(&nodes, &edges, &nedges);
	if (nnodes == 0)
		PG_RETURN_VOID();
	qsort(nodes, nnodes, sizeof(BlockNode), node_cmp);

	pgstat_clear_backend_activity_snapshot();

	for (i = 0; i < nnodes; i++)
	{
		BlockNode  *node = &nodes[i];
		LifeguardStatusCopy st;
		const char *appname = NULL;
		const char *activity = NULL;
		bool		found;
		Datum		values[BLOCKERS_COLS];
		bool		nulls[BLOCKERS_COLS];
		const char *state;
		Oid			relid;

		found = lifeguard_status_lookup(node->pid, &st, &appname, &activity);

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(node->pid);
		values[1] = pid_array(edges, nedges, node->pid, true);
		values[2] = pid_array(edges, nedges, node->pid, false);
		values[3] = Int32GetDatum(node->blocked_total);
		values[4] = Int32GetDatum(node->depth);
		nulls[4] = (node->depth < 0);
		values[5] = BoolGetDatum(!node->waiting && node->blocked_total > 0);
		values[6] = BoolGetDatum(node->waiting);
		if (node->has_lock)
		{
			LOCKTAG    *tag = &node->tag;

			values[7] = CStringGetTextDatum(lifeguard_locktag_type_name(tag));
			values[8] = CStringGetTextDatum(lifeguard_lock_mode_name(tag,
										 node->mode));
			relid = lifeguard_locktag_relation(tag);
			if (OidIsValid(relid))
				values[9] = ObjectIdGetDatum(relid);
			else
				nulls[9] = true;
		}
		else
			nulls[7] = nulls[8] = nulls[9] = true;
		values[10] = TimestampTzGetDatum(node->wait_started);
		nulls[10] = (node->wait_started == 0);
		values[11] = TimestampTzGetDatum(node->blocking_since);
		nulls[11] = (node->blocking_since == 0);

		if (!found)
		{
			/* a prepared transaction (pid 0), or gone since */
			for (b = 12; b < BLOCKERS_COLS; b++)
				nulls[b] = true;
		}
		else
		{
			char	   *role = GetUserNameFromId(st.roleid, true);
			char	   *db = OidIsValid(st.dbid) ?
				get_database_name(st.dbid) : NULL;

			state = lifeguard_state_name(st.state);
			values[12] = state ? CStringGetTextDatum(state) : (Datum) 0;
			nulls[12] = (state == NULL);
			values[13] = TimestampTzGetDatum(st.xact_start);
			nulls[13] = (st.xact_start == 0);
			values[14] = role ? CStringGetTextDatum(role) : (Datum) 0;
			nulls[14] = (role == NULL);
			values[15] = db ? CStringGetTextDatum(db) : (Datum) 0;
			nulls[15] = (db == NULL);
			values[16] = CStringGetTextDatum(appname ? appname : "");
			if (all_stats || has_privs_of_role(GetUserId(), st.roleid))
				values[17] = CStringGetTextDatum(pgstat_clip_activity(activity));
			else
				values[17] = CStringGetTextDatum("<insufficient privilege>");
		}

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	PG_RETURN_VOID();
}
