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
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        -- (PL/pgSQL: a SQL function with a SET clause would hand its rows out one call at a time,
        -- setting search_path for each: 0.85 us a row, twice plain dblink's whole time)
        RETURN QUERY SELECT * FROM @extschema@._pdb_step(
            @extschema@._pdb_start(@extschema@._pdb_queries(tasks, pg_typeof(row_type), 'pdb_query_at'),
                                   @extschema@._pdb_targets(tasks, targets), max_conns, 1, false, task_timeout,
                                   retries, setup, false, false, NULL, false, false, 'pdb_query_at', true, false,
                                   false),
            NULL, row_type);
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
