--
-- lifeguard.blockers(): who blocks whom.  The interleavings are in
-- specs/blockers_*.spec; here the signature, the quiet case and privileges.
--
SELECT pg_get_function_arguments('lifeguard.blockers'::regproc);

-- Nobody waits: no rows
SELECT count(*) AS rows FROM lifeguard.blockers();

-- Privileges: pg_monitor reads, others get 42501
CREATE ROLE lifeguard_blockers_plain;
CREATE ROLE lifeguard_blockers_monitor IN ROLE pg_monitor;
SET ROLE lifeguard_blockers_plain;
SELECT * FROM lifeguard.blockers();
RESET ROLE;
SET ROLE lifeguard_blockers_monitor;
SELECT count(*) AS rows FROM lifeguard.blockers();
RESET ROLE;
DROP ROLE lifeguard_blockers_plain, lifeguard_blockers_monitor;
