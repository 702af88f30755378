/*
 * pdb_query_at(row_type anyelement, tasks text[], targets text[],
 *              max_conns integer DEFAULT 4, task_timeout interval DEFAULT NULL,
 *              retries integer DEFAULT 0, setup text[] DEFAULT NULL)
 *     RETURNS SETOF anyelement
 *
 * pdb_query with tasks[i] run on targets[i] (a connection string, a
 * dblink_fdw server, or NULL for this database), a pool of at most max_conns
 * connections per target: scatter a query over shards and gather the rows.
 * A target that cannot be reached fails the call with its connection error.
 * Workers of other servers cannot be seen in this server's pg_stat_activity,
 * so their large results are read at the pace of the coordinator's polls
 * (see _pdb_step).
 * Errors: those of pdb_query, and of pdb_run_at's targets.
 */
CREATE FUNCTION @extschema@.pdb_query_at(row_type anyelement,
                                         tasks text[],
                                         targets text[],
                                         max_conns integer DEFAULT 4,
                                         task_timeout interval DEFAULT NULL,
                                         retries integer DEFAULT 0,
                                         setup text[] DEFAULT NULL)
RETURNS SETOF anyelement
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tasks    text[];
    v_targets  text[];
    v_conns    text[];
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        -- (PL/pgSQL: a SQL function with a SET clause would hand its rows out one call at a time,
        -- setting search_path for each: 0.85 us a row, twice plain dblink's whole time)
        v_tasks   := @extschema@._pdb_queries(tasks, pg_typeof(row_type), 'pdb_query_at');
        v_targets := @extschema@._pdb_targets(tasks, targets);
        IF task_timeout IS NULL AND retries = 0 AND setup IS NULL THEN  -- (a small call on kept connections)
            v_conns := @extschema@._pdb_lean_take(v_tasks, v_targets, max_conns);
        END IF;
        IF v_conns IS NOT NULL THEN
            RETURN QUERY SELECT * FROM @extschema@._pdb_lean_query(v_conns, v_tasks, row_type, 'pdb_query_at');
        ELSE
            RETURN QUERY SELECT * FROM @extschema@._pdb_step(
                @extschema@._pdb_start(v_tasks, v_targets, max_conns, 1, false, task_timeout, retries, setup, false,
                                       false, NULL, false, false, 'pdb_query_at', true, false, false),
                NULL, row_type);
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        -- raised again from here: its context shows the caller's call and none of the engine's functions
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
    END;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_query_at(anyelement, text[], text[], integer, interval, integer, text[]) IS
'Run tasks[i] on targets[i] in parallel and return the rows of all as row_type: scatter and gather';
