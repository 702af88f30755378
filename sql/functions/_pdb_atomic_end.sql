/*
 * _pdb_atomic_end(dblink_schema name, run_id uuid, connstrs text[], do_commit boolean)
 *     RETURNS TABLE (target_no integer, task_id integer, err_sqlstate text, err_message text)
 *
 * The second phase of an atomic call: on a connection of its own to each
 * target connstrs[i], finds the prepared transactions of run_id in that
 * database (named 'pdb_<run_id without dashes>_<task>') and commits them
 * (do_commit) or rolls them back, one after the other. Returns a row per
 * prepared transaction (err_* set when COMMIT PREPARED or ROLLBACK PREPARED
 * failed), and a row with task_id NULL for a target that could not be reached
 * or read. A NULL element of connstrs is skipped (nothing was sent there).
 * Never raises for a target: the caller decides what is left.
 */
CREATE FUNCTION @extschema@._pdb_atomic_end(dblink_schema name, run_id uuid, connstrs text[], do_commit boolean)
RETURNS TABLE (target_no integer, task_id integer, err_sqlstate text, err_message text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prefix text := 'pdb_' || replace(run_id::text, '-', '') || '_';
    v_call   bigint := @extschema@._pdb_session_init();
    v_conn   text;
    v_gids   text[];
    v_gid    text;
BEGIN
    FOR v_d IN 1..coalesce(cardinality(connstrs), 0) LOOP
        CONTINUE WHEN connstrs[v_d] IS NULL;
        target_no := v_d;
        v_conn := format('pdb_%s_%s_end_%s', pg_backend_pid(), v_call, v_d);
        BEGIN
            PERFORM @extschema@._pdb_open(dblink_schema, v_conn, connstrs[v_d], NULL, v_call, v_d);
            EXECUTE format('SELECT array_agg(g.gid ORDER BY g.gid) FROM %I.dblink($1, $2) AS g(gid text)',
                           dblink_schema)
                INTO v_gids
                USING v_conn, format('SELECT gid FROM pg_catalog.pg_prepared_xacts '
                                     'WHERE database = current_database() AND left(gid, %s) = %L',
                                     length(v_prefix), v_prefix);
        EXCEPTION WHEN others THEN
            GET STACKED DIAGNOSTICS err_sqlstate = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT;
            PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[v_conn], true);
            task_id := NULL;
            RETURN NEXT;
            CONTINUE;
        END;
        FOREACH v_gid IN ARRAY coalesce(v_gids, ARRAY[]::text[]) LOOP
            task_id      := substr(v_gid, length(v_prefix) + 1)::integer;
            err_sqlstate := NULL;
            err_message  := NULL;
            BEGIN
                EXECUTE format('SELECT %I.dblink_exec($1, $2)', dblink_schema)
                    USING v_conn, format('%s PREPARED %L', CASE WHEN do_commit THEN 'COMMIT' ELSE 'ROLLBACK' END, v_gid);
            EXCEPTION WHEN others THEN
                GET STACKED DIAGNOSTICS err_sqlstate = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT;
            END;
            RETURN NEXT;
        END LOOP;
        PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[v_conn], false);
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_atomic_end(name, uuid, text[], boolean) IS
'internal: commit or roll back the prepared transactions of an atomic call on each target';
