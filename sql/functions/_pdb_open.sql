/*
 * _pdb_open(dblink_schema name, conn text, connstr text, setup text[],
 *           call_id bigint, slot integer) RETURNS integer
 *
 * Opens the dblink connection named conn with connstr (a libpq connection
 * string or a dblink_fdw foreign server name), prepares its session with
 * _pdb_prepare, records it in pg_temp._pdb_conns and returns the worker's
 * backend pid (pdb_run watches it for lock waits on its caller).
 * Errors: those of dblink_connect (08001, 2F003 "password is required", ...)
 * and of _pdb_prepare; the caller closes what is left open.
 */
CREATE FUNCTION @extschema@._pdb_open(dblink_schema name, conn text, connstr text, setup text[],
                                      call_id bigint, slot integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pid integer;
BEGIN
    EXECUTE format('SELECT %I.dblink_connect($1, $2)', dblink_schema) USING conn, connstr;
    v_pid := @extschema@._pdb_prepare(dblink_schema, conn, setup);
    EXECUTE 'INSERT INTO pg_temp._pdb_conns (call_id, slot, conn_name, worker_pid, opened_at)
             VALUES ($1, $2, $3, $4, clock_timestamp())'
        USING call_id, slot, conn, v_pid;
    RETURN v_pid;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open(name, text, text, text[], bigint, integer) IS
'internal: open, prepare and record one worker connection';
