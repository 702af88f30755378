/*
 * _pdb_close(dblink_schema name, conns text[], cancel boolean, raise_cancel boolean DEFAULT false)
 *     RETURNS void
 *
 * Closes the given dblink connections, best effort and bounded in time:
 * if cancel, first asks every worker to cancel what it runs (a worker that
 * is idle ignores the request); then drains the results left on each
 * connection, waiting at most 5 seconds in all for busy workers, so no remote
 * statement is left running behind a closed connection; then disconnects
 * each one and forgets it in pg_temp._pdb_conns. Raises nothing: it runs
 * in error and cancel paths, where the original error must win. But with
 * raise_cancel (the closes of a call that goes on or ends well), a cancel of
 * this session that lands in it (a user's, or statement_timeout) is raised
 * again once every connection is closed: it was meant for the call, and
 * swallowed here it was lost (a backfill's runner closes its pool at the
 * end of every wave, and went on with the next).
 */
CREATE FUNCTION @extschema@._pdb_close(dblink_schema name, conns text[], cancel boolean,
                                       raise_cancel boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_patience CONSTANT interval := interval '5 seconds';
    v_until    timestamptz := clock_timestamp() + c_patience;
    v_left     text[] := conns;
    v_still    text[];
    v_busy     integer;
    v_rows     integer;
    v_conn     text;
    v_cancel   text;  -- the message of a cancel of this session that landed here
BEGIN
    BEGIN
        IF cancel THEN
            FOREACH v_conn IN ARRAY v_left LOOP
                EXECUTE format('SELECT %I.dblink_cancel_query($1)', dblink_schema) USING v_conn;
            END LOOP;
        END IF;
        WHILE cardinality(v_left) > 0 AND clock_timestamp() < v_until LOOP
            v_still := '{}'::text[];
            FOREACH v_conn IN ARRAY v_left LOOP
                EXECUTE format('SELECT %I.dblink_is_busy($1)', dblink_schema) INTO v_busy USING v_conn;
                IF v_busy = 1 THEN
                    v_still := v_still || v_conn;
                ELSE
                    -- consume one result: rows, or an error, mean there may be more
                    BEGIN
                        EXECUTE format('SELECT count(*)::integer FROM %I.dblink_get_result($1, true) AS r(v text)',
                                       dblink_schema) INTO v_rows USING v_conn;
                    EXCEPTION WHEN others THEN
                        v_rows := 1;  -- a remote error, or a result of several columns
                    END;
                    IF v_rows > 0 THEN
                        v_still := v_still || v_conn;
                    END IF;
                END IF;
            END LOOP;
            IF cardinality(v_still) = cardinality(v_left) THEN
                PERFORM pg_sleep(0.001);
            END IF;
            v_left := v_still;
        END LOOP;
    EXCEPTION WHEN query_canceled THEN
        v_cancel := SQLERRM;  -- give up draining; the disconnects below must still happen
    WHEN others THEN
        NULL;
    END;
    FOREACH v_conn IN ARRAY coalesce(conns, '{}') LOOP
        BEGIN
            EXECUTE format('SELECT %I.dblink_disconnect($1)', dblink_schema) USING v_conn;
        EXCEPTION WHEN query_canceled THEN
            v_cancel := SQLERRM;
        WHEN others THEN
            NULL;  -- already gone
        END;
    END LOOP;
    IF to_regclass('pg_temp._pdb_conns') IS NOT NULL THEN
        EXECUTE 'DELETE FROM pg_temp._pdb_conns WHERE conn_name = ANY ($1)' USING conns;
    END IF;
    IF v_cancel IS NOT NULL AND raise_cancel THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = v_cancel;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_close(name, text[], boolean, boolean) IS
'internal: cancel (optionally), drain and disconnect worker connections, never raising';
