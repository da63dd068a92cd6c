/*-------------------------------------------------------------------------
 *
 * checks.h
 *		Partition and job checks, every lifeguard.check_interval.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_CHECKS_H
#define LIFEGUARD_CHECKS_H

#include "datatype/timestamp.h"

/* Called by the worker every tick; does the checks that are due */
extern void lifeguard_checks_tick(TimestampTz now);

/* Entry point of the short-lived worker that checks another database */
extern PGDLLEXPORT void lifeguard_check_main(Datum main_arg);

#endif							/* LIFEGUARD_CHECKS_H */
