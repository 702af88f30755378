/*
 * _pdb_open(dblink_schema name, conn text, connstr text, call_id bigint, slot integer)
 *     RETURNS integer
 *
 * Opens the dblink connection named conn with connstr (a libpq connection
 * string or a dblink_fdw foreign server name), labels the worker backend
 * application_name = 'pdb_run:<caller pid>' and (PostgreSQL 14+) makes it check
 * every second that its client is still there, so that a worker whose caller
 * died stops its task; records the connection in pg_temp._pdb_conns
 * and returns the worker's backend pid (pdb_run watches it for lock waits on
 * its caller). Errors from dblink_connect (08001, 2F003 "password is
 * required", 42704 unknown server...) propagate; the caller cleans up.
 */
CREATE FUNCTION @extschema@._pdb_open(dblink_schema name, conn text, connstr text,
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
    EXECUTE format('SELECT w.pid FROM %I.dblink($1, $2) AS w(pid integer, app text, checks text)', dblink_schema)
        INTO v_pid
        USING conn, format('SELECT pg_backend_pid(), set_config(''application_name'', %L, false), '
                           'CASE WHEN current_setting(''server_version_num'')::integer >= 140000 '
                           'THEN set_config(''client_connection_check_interval'', ''1000'', false) END',
                           'pdb_run:' || pg_backend_pid());
    EXECUTE 'INSERT INTO pg_temp._pdb_conns (call_id, slot, conn_name, worker_pid, opened_at)
             VALUES ($1, $2, $3, $4, clock_timestamp())'
        USING call_id, slot, conn, v_pid;
    RETURN v_pid;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open(name, text, text, bigint, integer) IS
'internal: open and record one worker connection';
