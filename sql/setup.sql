--
-- Create the extension and a polling helper the other tests share.
--
CREATE EXTENSION pg_lifeguard;

-- The install script creates exactly these functions, in the lifeguard schema
SELECT p.proname
FROM pg_proc p
WHERE p.pronamespace = 'lifeguard'::regnamespace
ORDER BY 1;

-- wait_for(condition): poll a boolean SQL expression until it holds or the
-- deadline passes; true when it held.  Tests that need the worker to act use
-- this instead of sleeping a fixed time.
CREATE FUNCTION wait_for(condition text, timeout interval DEFAULT '30 s')
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
    deadline timestamptz := clock_timestamp() + timeout;
BEGIN
    LOOP
        -- pg_stat_activity is otherwise frozen for the whole transaction
        PERFORM pg_stat_clear_snapshot();
        EXECUTE 'SELECT (' || condition || ')' INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        IF clock_timestamp() > deadline THEN
            RAISE WARNING 'wait_for: % still false after %', condition, timeout;
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
