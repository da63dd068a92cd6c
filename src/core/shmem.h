/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		The registry of pg_lifeguard's shared memory.
 *
 * Each duty (and the worker) owns one piece of shared memory: its struct,
 * its locks and the only functions that touch them, with the locking
 * protocol written in the duty's own header.  This registry knows none of
 * their types: it adds up the pieces' sizes and LWLocks, asks the server
 * for them, and hands each piece its memory and locks at startup.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_SHMEM_H
#define LIFEGUARD_SHMEM_H

#include "storage/lwlock.h"

/*
 * One piece of shared memory.  size() is called in the postmaster's
 * shmem_request_hook and again at startup, so it must depend only on
 * settings fixed at server start.  attach() runs at startup with
 * AddinShmemInitLock held: "found" is false the first time, when it must
 * initialise the piece (the memory is zeroed), and it keeps the pointer.
 * locks points at the piece's nlocks LWLocks of the "pg_lifeguard" tranche
 * (NULL when nlocks is 0).
 */
typedef struct LifeguardShmemPiece
{
	const char *name;			/* ShmemInitStruct key, "pg_lifeguard ..." */
	Size		(*size) (void);
	int			nlocks;
	void		(*attach) (void *ptr, bool found, LWLockPadded *locks);
} LifeguardShmemPiece;

extern void lifeguard_shmem_register(const LifeguardShmemPiece *pieces,
									 int npieces);
extern bool lifeguard_shmem_attached(void);

#endif							/* LIFEGUARD_SHMEM_H */
