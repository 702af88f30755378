/*
 * _pdb_budget_held() RETURNS integer[]
 *
 * The locks of parallel_dblink.max_total_conns (see _pdb_budget) this
 * session holds, in order. Between calls they are its kept connections'
 * (see _pdb_keep): a session runs one call at a time.
 */
CREATE FUNCTION @extschema@._pdb_budget_held()
RETURNS integer[]
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT l.objid::bigint::integer FROM pg_locks AS l
                  WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                    AND l.classid = 1885627490::bigint::oid AND l.objsubid = 2
                  ORDER BY l.objid)
$$;

COMMENT ON FUNCTION @extschema@._pdb_budget_held() IS
'internal: the budget''s locks this session holds';
