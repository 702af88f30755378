/*
 * _pdb_wait_turn(deadline timestamptz, caller text) RETURNS void
 *
 * Waits in line for the turn of the calls that wait for connections
 * (parallel_dblink.conns_wait): a session advisory lock (key1 1885627492,
 * key2 0) that PostgreSQL grants to its waiters in the order they came, so
 * the call that waited longest tries first. Returns holding it (the caller
 * releases it); at the deadline, raises 53300.
 */
CREATE FUNCTION @extschema@._pdb_wait_turn(deadline timestamptz, caller text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_turn_space CONSTANT integer := 1885627492;
    v_was        text := current_setting('lock_timeout');
    v_got        boolean := false;
BEGIN
    PERFORM set_config('lock_timeout',
                       greatest(1, ceil(1000 * date_part('epoch', deadline - clock_timestamp())))::bigint::text, true);
    BEGIN
        PERFORM pg_advisory_lock(c_turn_space, 0);
        v_got := true;
    EXCEPTION WHEN lock_not_available THEN
        NULL;
    END;
    PERFORM set_config('lock_timeout', v_was, true);
    IF NOT v_got THEN
        RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
            MESSAGE = format('%s found no connection free within parallel_dblink.conns_wait', caller),
            DETAIL  = 'Other calls waited before it, and none of them got what it needed in time.',
            HINT    = 'Try again later, raise parallel_dblink.conns_wait, or lower max_conns.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_wait_turn(timestamptz, text) IS
'internal: wait in line, first come first served, for the turn of the calls that wait for connections';
