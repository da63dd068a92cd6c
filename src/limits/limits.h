/*-------------------------------------------------------------------------
 *
 * enforce.h
 *		Enforcing time limits by policy: statement, lock wait, idle in
 *		transaction, transaction and blocking.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_ENFORCE_H
#define LIFEGUARD_ENFORCE_H

#include "storage/spin.h"
#include "utils/timestamp.h"

#include "policy/policy.h"
#include "core/sessions.h"

/* Room for the text that tells a signalled client why */
#define LIFEGUARD_REASON_LEN	192

/*
 * Why the worker signalled one backend, left in shared memory right before
 * the signal, for that backend's emit_log_hook to put in the error its
 * client receives.  One entry per client PGPROC (index pgprocno), each with
 * its own spinlock (see shmem.c).  An entry is used at most once, only by
 * the backend whose pid it names, only for the error the signal it names
 * raises, and only until it expires: a later cancel by someone else is not
 * relabelled.
 */
typedef struct LifeguardReason
{
	slock_t		mutex;
	int			pid;			/* 0 = no reason pending */
	int			sig;			/* SIGINT (cancel) or SIGTERM (terminate) */
	TimestampTz expires;
	char		message[LIFEGUARD_REASON_LEN];	/* 'policy "x": ... exceeded' */
	char		detail[LIFEGUARD_REASON_LEN];
} LifeguardReason;

/* How long a reason waits for its backend to raise the error */
#define LIFEGUARD_REASON_TTL_MS		10000

extern void lifeguard_enforce_install_hooks(void);
extern TimestampTz lifeguard_enforce_next_due(void);
extern void lifeguard_enforce_tick(TimestampTz now,
								   const LifeguardSlotCounts *counts,
								   LifeguardSession *sessions, int nsessions,
								   const LifeguardPolicy *policies,
								   int npolicies);
extern bool lifeguard_policies_limit_sessions(const LifeguardPolicy *policies,
											  int npolicies);

#endif							/* LIFEGUARD_ENFORCE_H */
