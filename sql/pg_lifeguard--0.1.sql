/* pg_lifeguard--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_lifeguard" to load this file. \quit

-- The schema is created by CREATE EXTENSION (schema = lifeguard in the
-- control file).  Everyone may look inside it; each function checks its own
-- privileges and says clearly what is missing.
GRANT USAGE ON SCHEMA lifeguard TO PUBLIC;

--
-- lifeguard.worker_status(): the background worker, as shared memory sees it.
-- Needs pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.worker_status(
    OUT pid integer,
    OUT state text,
    OUT database text,
    OUT started_at timestamptz,
    OUT last_tick_at timestamptz,
    OUT ticks bigint,
    OUT last_tick_us bigint,
    OUT max_tick_us bigint,
    OUT errors bigint,
    OUT last_error text,
    OUT restarts bigint,
    OUT settings jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'lifeguard_worker_status'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION lifeguard.worker_status() IS
'pg_lifeguard background worker: pid, state, tick counters and timings, errors, restarts and the settings it has in force';

--
-- lifeguard.recent_events(since): the shared-memory event ring, oldest first.
-- Readable when no table can be.  Needs pg_monitor (or superuser).
--
CREATE FUNCTION lifeguard.recent_events(
    since timestamptz DEFAULT NULL,
    OUT seq bigint,
    OUT event_time timestamptz,
    OUT kind text,
    OUT severity text,
    OUT pid integer,
    OUT role text,
    OUT database text,
    OUT application_name text,
    OUT policy text,
    OUT action text,
    OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'lifeguard_recent_events'
LANGUAGE C VOLATILE ROWS 100;

COMMENT ON FUNCTION lifeguard.recent_events(timestamptz) IS
'pg_lifeguard events still held in the shared-memory ring, oldest first; NULL since means all';
