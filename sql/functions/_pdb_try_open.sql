/*
 * _pdb_try_open(dblink_schema name, conn text, connstr text, setup text[],
 *               call_id bigint, slot integer, raise_errors boolean,
 *               OUT pid integer, OUT failure jsonb)
 *
 * _pdb_open, for a slot of a pool: on success pid is what _pdb_open returns
 * (the worker's pid when it is a backend of this server) and failure is NULL.
 * When the connection or its setup fails: with raise_errors the error is
 * raised as _pdb_open raised it (pdb_run); without, the half-open connection
 * is closed and failure holds its sqlstate, message, detail and hint (pdb_run_at
 * and pdb_broadcast then fail that target's tasks and carry on).
 */
CREATE FUNCTION @extschema@._pdb_try_open(dblink_schema name, conn text, connstr text, setup text[],
                                          call_id bigint, slot integer, raise_errors boolean,
                                          OUT pid integer, OUT failure jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ex_state   text;
    ex_message text;
    ex_detail  text;
    ex_hint    text;
BEGIN
    pid := @extschema@._pdb_open(dblink_schema, conn, connstr, setup, call_id, slot);
EXCEPTION WHEN others THEN
    IF raise_errors THEN
        RAISE;
    END IF;
    GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_message = MESSAGE_TEXT,
                            ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT;
    PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[conn], true);
    pid     := NULL;
    failure := jsonb_build_object('sqlstate', ex_state, 'error', ex_message,
                                  'detail', nullif(ex_detail, ''), 'hint', nullif(ex_hint, ''));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_try_open(name, text, text, text[], bigint, integer, boolean) IS
'internal: open a pool connection, raising its error or returning it';
