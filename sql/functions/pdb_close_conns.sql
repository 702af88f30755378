/*
 * pdb_close_conns() RETURNS integer
 *
 * Closes the connections this session keeps for its next calls
 * (parallel_dblink.keep_conns) and gives back the budget's locks they hold
 * (parallel_dblink.max_total_conns); returns how many it closed. Kept
 * connections also end by themselves once idle for keep_conns (on servers
 * of 14 and later), at a call made with keep_conns 0, and with the session.
 */
CREATE FUNCTION @extschema@.pdb_close_conns()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns (_pdb_budget)
    v_dbl  name := @extschema@._pdb_dblink_schema();
    v_kept text[] := @extschema@._pdb_kept_conns(v_dbl);
BEGIN
    PERFORM @extschema@._pdb_close(v_dbl, v_kept, false, true);
    -- (no call of this session runs now: the budget's locks it holds are its kept connections')
    PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(@extschema@._pdb_budget_held()) AS l;
    RETURN cardinality(v_kept);
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_close_conns() IS
'Close the connections this session keeps for its next calls (parallel_dblink.keep_conns); how many';
