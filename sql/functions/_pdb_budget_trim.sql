/*
 * _pdb_budget_trim(kept integer) RETURNS integer[]
 *
 * Under parallel_dblink.max_total_conns, between calls: the session's kept
 * connections keep one of the budget's locks each, and no more. Gives back
 * the locks the session holds beyond the first kept (those of kept
 * connections closed or lost), and returns the first kept.
 */
CREATE FUNCTION @extschema@._pdb_budget_trim(kept integer)
RETURNS integer[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns (_pdb_budget)
    v_locks integer[] := @extschema@._pdb_budget_held();
BEGIN
    PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks[kept + 1:]) AS l;
    RETURN v_locks[:kept];
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_budget_trim(integer) IS
'internal: give back the budget''s locks beyond those of the kept connections';
