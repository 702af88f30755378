/*
 * _pdb_result_error(dblink_schema name, conn text, sqlstate text, context text,
 *                   OUT kind text, OUT lost boolean)
 *
 * What an error caught while reading a result of conn with
 * dblink_get_result(conn, true) means; sqlstate and context are those of the
 * caught error (GET STACKED DIAGNOSTICS). kind is
 *   'error'   the remote statement failed (dblink's context line names conn);
 *             lost is true when that says the worker is gone: the connection
 *             failed (class 08) or its backend was terminated (57P01 to 57P03);
 *   'novalue' a result with no single value: rows of several columns (dblink's
 *             local 42804, "remote query result rowtype does not match") or an
 *             empty query string (dblink reports that as a remote error without
 *             SQLSTATE, hence 08006, while the connection's own message is 'OK');
 *   NULL      not about conn's result (a local cancel, any local error): the
 *             caller re-raises it unchanged.
 * Used by the loop of _pdb_step, which reads results inline.
 */
CREATE FUNCTION @extschema@._pdb_result_error(dblink_schema name, conn text, sqlstate text, context text,
                                              OUT kind text, OUT lost boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_conn_msg text;
BEGIN
    lost := false;
    IF strpos(context, conn) = 0 THEN
        kind := CASE WHEN sqlstate = '42804' THEN 'novalue' END;
        RETURN;
    END IF;
    kind := 'error';
    IF sqlstate = '08006' THEN
        EXECUTE format('SELECT %I.dblink_error_message($1)', dblink_schema) INTO v_conn_msg USING conn;
        IF v_conn_msg = 'OK' THEN
            kind := 'novalue';
            RETURN;
        END IF;
    END IF;
    lost := left(sqlstate, 2) = '08' OR sqlstate IN ('57P01', '57P02', '57P03');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_result_error(name, text, text, text) IS
'internal: whether an error caught reading a worker''s result is the remote statement''s';
