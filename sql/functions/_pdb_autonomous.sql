/*
 * _pdb_autonomous(sql text, connstr text) RETURNS text
 *
 * Runs sql on a connection of its own (connstr, NULL for the loopback to this
 * database as the current user), so that what it writes commits at once,
 * whatever becomes of the caller's transaction; returns the first column of
 * the first row, as text. The connection is closed in every case.
 * Errors: those of the connection (passwords masked) and of sql.
 */
CREATE FUNCTION @extschema@._pdb_autonomous(sql text, connstr text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_dbl    name := @extschema@._pdb_dblink_schema();
    v_call   bigint := @extschema@._pdb_session_init();
    v_conn   text := format('pdb_%s_%s_own', pg_backend_pid(), v_call);
    v_result text;
BEGIN
    PERFORM @extschema@._pdb_open(v_dbl, v_conn, coalesce(connstr, @extschema@._pdb_default_connstr()),
                                  NULL, v_call, 0);
    EXECUTE format('SELECT r.v FROM %I.dblink($1, $2) AS r(v text) LIMIT 1', v_dbl) INTO v_result USING v_conn, sql;
    PERFORM @extschema@._pdb_close(v_dbl, ARRAY[v_conn], false, true);
    RETURN v_result;
EXCEPTION WHEN query_canceled OR others THEN
    PERFORM @extschema@._pdb_close(v_dbl,
        ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(v_dbl)) AS c WHERE c = v_conn), true);
    RAISE;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_autonomous(text, text) IS
'internal: run a statement on a connection of its own, committed whatever the caller does';
