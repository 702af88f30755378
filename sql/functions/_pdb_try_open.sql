/*
 * _pdb_try_open(dblink_schema name, conn text, connstr text, setup text[],
 *               call_id bigint, slot integer, raise_errors boolean)
 *     RETURNS _pdb_opened (pid integer, failure _pdb_outcome)
 *
 * _pdb_open, for a slot of a pool: on success pid is what _pdb_open returns
 * (the worker's pid when it is a backend of this server) and failure is NULL.
 * When the connection or its setup fails: with raise_errors the error is
 * raised as _pdb_open raised it (pdb_run); without, the half-open connection
 * is closed and failure is its outcome: 'error' with its sqlstate, message,
 * detail and hint (pdb_run_at and pdb_broadcast then fail that target's tasks
 * and carry on).
 */
CREATE FUNCTION @extschema@._pdb_try_open(dblink_schema name, conn text, connstr text, setup text[],
                                          call_id bigint, slot integer, raise_errors boolean)
RETURNS @extschema@._pdb_opened
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ex_state   text;
    ex_message text;
    ex_detail  text;
    ex_hint    text;
    v_opened   @extschema@._pdb_opened;
BEGIN
    v_opened := ROW(@extschema@._pdb_open(dblink_schema, conn, connstr, setup, call_id, slot), NULL)::@extschema@._pdb_opened;
    RETURN v_opened;
EXCEPTION WHEN others THEN
    IF raise_errors THEN
        RAISE;
    END IF;
    GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_message = MESSAGE_TEXT,
                            ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT;
    PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[conn], true);
    v_opened := ROW(NULL, ROW('error', ex_state, ex_message, nullif(ex_detail, ''), nullif(ex_hint, ''))
                          ::@extschema@._pdb_outcome)::@extschema@._pdb_opened;
    RETURN v_opened;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_try_open(name, text, text, text[], bigint, integer, boolean) IS
'internal: open a pool connection, raising its error or returning it';
