/*
 * _pdb_fetch(dblink_schema name, conn text, and_end boolean DEFAULT false,
 *            OUT kind text, OUT value text, OUT err_sqlstate text,
 *            OUT err_message text, OUT err_detail text, OUT err_hint text,
 *            OUT ended boolean, OUT lost boolean)
 *
 * Consumes exactly one result of the query running on conn; call it only when
 * dblink_is_busy(conn) = 0 so it never blocks. With and_end, for a query of
 * one statement, whose end follows its result at once, it also consumes that
 * end when the result was read (kind 'row' or 'empty'): then ended is true,
 * the connection is idle, and 'empty' was the statement's own result (one
 * column, no rows). One call instead of two per task. kind says what it was:
 *   'row'   a command (value = its tag, e.g. 'INSERT 0 2') or rows of one
 *           column (value = first column of the first row, as text);
 *   'novalue' a result with no single value: rows of several columns (dblink
 *           needs the column count in advance) or an empty query string;
 *   'empty' nothing: either the end of the query's results or a result of one
 *           column and no rows; dblink cannot tell these apart, pdb_run can;
 *   'error' the remote statement failed: err_* hold its SQLSTATE, message,
 *           detail and hint.
 * A remote error is recognised by dblink's context line naming conn, so a
 * remote 57014 or 42804 is reported, while a local cancel or any local error
 * is re-raised unchanged (_pdb_result_error tells which). A remote error while
 * reading the end (the connection lost) is kind 'error', like the end read by
 * a call of its own. lost is true when the error says the worker is gone.
 * _pdb_run reads results inline while dblink is where it was at install (a
 * call of this function costs about 6 us per task) and calls it otherwise.
 */
CREATE FUNCTION @extschema@._pdb_fetch(dblink_schema name, conn text, and_end boolean DEFAULT false,
                                       OUT kind text, OUT value text,
                                       OUT err_sqlstate text, OUT err_message text,
                                       OUT err_detail text, OUT err_hint text,
                                       OUT ended boolean, OUT lost boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rows     bigint;
    ex_context text;
BEGIN
    ended := false;  -- (true only once the end is read too; a variable keeps it through an error)
    lost  := false;
    -- static calls while dblink is where it was at install (sql/bind_dblink.sql)
    IF dblink_schema = '@dblink@' THEN
        SELECT r.v INTO value FROM "@dblink@".dblink_get_result(conn, true) AS r(v text) LIMIT 1;
    ELSE
        EXECUTE format('SELECT r.v FROM %I.dblink_get_result($1, true) AS r(v text) LIMIT 1', dblink_schema)
            INTO value USING conn;
    END IF;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    kind := CASE WHEN v_rows > 0 THEN 'row' ELSE 'empty' END;
    IF and_end THEN
        IF dblink_schema = '@dblink@' THEN
            PERFORM FROM "@dblink@".dblink_get_result(conn, true) AS r(v text);
        ELSE
            EXECUTE format('SELECT FROM %I.dblink_get_result($1, true) AS r(v text)', dblink_schema) USING conn;
        END IF;
        ended := true;
    END IF;
EXCEPTION WHEN query_canceled OR others THEN
    GET STACKED DIAGNOSTICS err_sqlstate = RETURNED_SQLSTATE,
                            err_message  = MESSAGE_TEXT,
                            err_detail   = PG_EXCEPTION_DETAIL,
                            err_hint     = PG_EXCEPTION_HINT,
                            ex_context   = PG_EXCEPTION_CONTEXT;
    value := NULL;
    SELECT e.kind, e.lost INTO kind, lost
      FROM @extschema@._pdb_result_error(dblink_schema, conn, err_sqlstate, ex_context) AS e;
    IF kind IS NULL THEN
        RAISE;
    ELSIF kind = 'novalue' THEN
        err_sqlstate := NULL; err_message := NULL; err_detail := NULL; err_hint := NULL;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_fetch(name, text, boolean) IS
'internal: consume one result of a worker connection without blocking';
