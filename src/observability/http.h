/*-------------------------------------------------------------------------
 *
 * http.h
 *		pg_lifeguard's HTTP endpoint, served by a background worker.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_HTTP_H
#define LIFEGUARD_HTTP_H

extern void lifeguard_register_http_worker(void);
extern PGDLLEXPORT void lifeguard_http_main(Datum main_arg);

#endif							/* LIFEGUARD_HTTP_H */
