/*-------------------------------------------------------------------------
 *
 * metrics.h
 *		Prometheus metrics and the health summary, from shared memory.
 *
 * Both are built from shared memory and the backend status array only, so
 * that the HTTP worker (http.c), which is connected to no database, serves
 * the same text as lifeguard.metrics().  Role and database names come from
 * the shared catalogs, looked up only when their locks are granted at once.
 * The caller must be in a transaction.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_METRICS_H
#define LIFEGUARD_METRICS_H

#include "lib/stringinfo.h"

#include "core/lifeguard.h"

/* Most label values per dimension (role, database, application) */
#define LIFEGUARD_METRICS_TOP		20

/* A lock wait longer than this makes /health say warning */
#define LIFEGUARD_HEALTH_LOCK_WAIT_S	60

extern void lifeguard_metrics_text(StringInfo buf);
extern LifeguardLevel lifeguard_health_json(StringInfo buf);

#endif							/* LIFEGUARD_METRICS_H */
