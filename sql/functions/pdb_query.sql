/*
 * pdb_query(row_type anyelement, tasks text[], max_conns integer DEFAULT 4,
 *           connstr text DEFAULT NULL, task_timeout interval DEFAULT NULL,
 *           retries integer DEFAULT 0, setup text[] DEFAULT NULL,
 *           same_snapshot boolean DEFAULT false)
 *     RETURNS SETOF anyelement
 *
 * Runs every query of tasks in parallel, as pdb_run does, and returns the
 * rows of them all as row_type: NULL::a_table or NULL::a_composite_type (each
 * task returns rows of those columns, in that order), NULL::a_scalar_type
 * (one column), or NULL::jsonb (each row one object of the task's columns by
 * name: any query, no type to declare). Values are read through their text
 * form, as dblink reads them. Rows come task by task, in the order the tasks
 * end; a task's own rows keep their order: ORDER BY in the calling query
 * when the order matters.
 *
 * A query either returns all its rows or fails: the first task that fails
 * cancels the others, everything is closed, and its error is raised with its
 * SQLSTATE, detail and hint, the message naming the task ('pdb_query task 3:
 * division by zero'); task_timeout raises 57014 so. A task whose rows have
 * another number of columns than row_type fails with 42804, its detail
 * giving both shapes (the task's types on PostgreSQL 16 and later, its
 * column count before).
 *
 * max_conns, connstr, task_timeout, retries (of 40001 and 40P01: a failed
 * query returned no rows), setup and same_snapshot (every task reads the
 * database as of one moment) are those of pdb_run, and so are the connection
 * budget and the cleanup on cancel and statement_timeout.
 *
 * Memory: each task's result is held whole in this backend while it is read
 * (libpq's result, as with dblink()), then goes into the function's result,
 * which spills to disk past work_mem.
 *
 * Errors: 0A000 a task that is not one query (see _pdb_queries); 42804 a
 * pseudo-type as row_type; those of pdb_run's arguments.
 */
CREATE FUNCTION @extschema@.pdb_query(row_type anyelement,
                                      tasks text[],
                                      max_conns integer DEFAULT 4,
                                      connstr text DEFAULT NULL,
                                      task_timeout interval DEFAULT NULL,
                                      retries integer DEFAULT 0,
                                      setup text[] DEFAULT NULL,
                                      same_snapshot boolean DEFAULT false)
RETURNS SETOF anyelement
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_snapshot text;
    v_tasks    text[];
    v_conns    text[];
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    -- (here: the exception block below is a subtransaction, where no snapshot can be exported)
    IF same_snapshot THEN
        v_snapshot := pg_export_snapshot();
    END IF;
    BEGIN
        -- (PL/pgSQL: a SQL function with a SET clause would hand its rows out one call at a time,
        -- setting search_path for each: 0.85 us a row, twice plain dblink's whole time)
        v_tasks := @extschema@._pdb_queries(tasks, pg_typeof(row_type), 'pdb_query');
        IF task_timeout IS NULL AND retries = 0 AND setup IS NULL AND NOT same_snapshot THEN  -- (see pdb_query_at)
            v_conns := @extschema@._pdb_lean_take(v_tasks, ARRAY[connstr], max_conns);
        END IF;
        IF v_conns IS NOT NULL THEN
            RETURN QUERY SELECT * FROM @extschema@._pdb_lean_query(v_conns, v_tasks, row_type, 'pdb_query');
        ELSE
            RETURN QUERY SELECT * FROM @extschema@._pdb_step(
                @extschema@._pdb_start(v_tasks, ARRAY[connstr], max_conns, 1, false, task_timeout, retries, setup,
                                       false, same_snapshot, v_snapshot, false, false, 'pdb_query', true, false,
                                       false),
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

COMMENT ON FUNCTION @extschema@.pdb_query(anyelement, text[], integer, text, interval, integer, text[], boolean) IS
'Run each query of tasks in parallel on at most max_conns dblink connections and return the rows of all as row_type';
