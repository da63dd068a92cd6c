/*-------------------------------------------------------------------------
 *
 * xact.h
 *		Running code safely: catching errors, subtransactions, waiting.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFEGUARD_XACT_H
#define LIFEGUARD_XACT_H

extern bool lifeguard_error_passes_on(ErrorData *edata);
extern ErrorData *lifeguard_catch_error(MemoryContext cxt);
extern ErrorData *lifeguard_run_subxact(void (*body) (void *arg), void *arg);
extern void lifeguard_sleep_ms(int ms);

#endif							/* LIFEGUARD_XACT_H */
