/*-------------------------------------------------------------------------
 *
 * locks.h
 *		The lock graph: who blocks whom.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_LOCKS_H
#define LIFEGUARD_LOCKS_H

#include "storage/lock.h"
#include "utils/timestamp.h"

/* One edge: "waiter" is blocked by "blocker" on "tag" */
typedef struct BlockEdge
{
	int			waiter;
	int			blocker;
	LOCKTAG		tag;
	LOCKMODE	wait_mode;		/* what the waiter asks for */
	LOCKMASK	blocker_hold;	/* conflicting modes the blocker holds (0: soft) */
	TimestampTz wait_start;		/* when the waiter started waiting */
} BlockEdge;

/* One node: a session that waits or blocks */
typedef struct BlockNode
{
	int			pid;			/* 0: a prepared transaction */
	bool		waiting;
	bool		has_lock;		/* tag and mode are set */
	LOCKTAG		tag;			/* the lock it waits for, or blocks others on */
	LOCKMODE	mode;			/* the mode it asks for, or holds */
	TimestampTz wait_started;	/* 0 when not waiting */
	TimestampTz blocking_since; /* 0 when blocking nobody */
	int			depth;			/* from the nearest root; -1 in a cycle */
	int			blocked_total;	/* sessions behind it, directly or not */
} BlockNode;

extern int	lifeguard_build_lock_graph(BlockNode **nodes, BlockEdge **edges,
									   int *nedges);

#endif							/* LIFEGUARD_LOCKS_H */
