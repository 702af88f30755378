/*
 * _pdb_prepare(dblink_schema name, conn text, setup text[], kept boolean DEFAULT false,
 *              OUT pid integer, OUT local boolean)
 *
 * Prepares the session of an idle worker connection, when it is new, after
 * each reset, and when a call takes it kept (kept: in the same round trip,
 * RESET ALL undoes what _pdb_kept_reset set for keeping, its idle expiry
 * among them; one in a transaction fails): application_name =
 * 'pdb_run:<caller pid>'; on PostgreSQL 14+ a
 * check every second that its client is still there, so that a worker whose
 * caller died stops its task; then each statement of setup, in order.
 * Returns the worker's backend pid, and whether the worker is a backend of
 * this server (same postmaster start time), so that its pid means something here.
 * Errors: a failing setup statement raises its own SQLSTATE with the message
 * 'setup statement N failed: ...', the remote detail (and the statement) and hint;
 * with kept, 25001 on a connection in a transaction.
 */
CREATE FUNCTION @extschema@._pdb_prepare(dblink_schema name, conn text, setup text[], kept boolean DEFAULT false,
                                         OUT pid integer, OUT local boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_i        integer := 0;
    v_stmt     text;
    ex_state   text;
    ex_message text;
    ex_detail  text;
    ex_hint    text;
    v_fresh    boolean;
BEGIN
    EXECUTE format('SELECT w.pid, w.started = pg_postmaster_start_time(), w.fresh '
                   'FROM %I.dblink($1, $2) AS w(pid integer, started timestamptz, app text, checks text, '
                   '                            fresh boolean)',
                   dblink_schema)
        INTO pid, local, v_fresh
        USING conn, CASE WHEN kept THEN 'RESET ALL; ' ELSE '' END
                    || format('SELECT pg_backend_pid(), pg_postmaster_start_time(), '
                              'set_config(''application_name'', %L, false), '
                              'CASE WHEN current_setting(''server_version_num'')::integer >= 140000 '
                              'THEN set_config(''client_connection_check_interval'', ''1000'', false) END, '
                              'transaction_timestamp() = statement_timestamp()',  -- (else a transaction is open)
                              'pdb_run:' || pg_backend_pid());
    IF kept AND NOT v_fresh THEN
        RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction', MESSAGE = 'a transaction is open on a kept connection';
    END IF;
    FOREACH v_stmt IN ARRAY coalesce(setup, ARRAY[]::text[]) LOOP
        v_i := v_i + 1;
        BEGIN
            EXECUTE format('SELECT %I.dblink_exec($1, $2)', dblink_schema) USING conn, v_stmt;
        EXCEPTION WHEN others THEN
            GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_message = MESSAGE_TEXT,
                                    ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT;
            PERFORM @extschema@._pdb_raise(ex_state, format('setup statement %s failed: %s', v_i, ex_message),
                                           concat_ws(' ', nullif(ex_detail, ''), format('The statement was: %s', v_stmt)),
                                           ex_hint);
        END;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_prepare(name, text, text[], boolean) IS
'internal: label a worker session and run the setup statements on it';
