/*
 * pdb_broadcast(task text, targets text[], fail_fast boolean DEFAULT false,
 *               task_timeout interval DEFAULT NULL, retries integer DEFAULT 0,
 *               setup text[] DEFAULT NULL, progress boolean DEFAULT false,
 *               atomic boolean DEFAULT false, strict boolean DEFAULT false)
 *     RETURNS SETOF pdb_target_result
 *
 * Runs the same statement on every target at once: as pdb_run_at with task
 * repeated, one row per target (task_id = the target's position in targets).
 * With atomic, it commits on every target or on none: a schema change or a
 * reference-table update that all shards must get together.
 *
 * Errors: 22004 task or targets is NULL; the others of pdb_run_at (the
 * messages name pdb_broadcast).
 */
CREATE FUNCTION @extschema@.pdb_broadcast(task text,
                                          targets text[],
                                          fail_fast boolean DEFAULT false,
                                          task_timeout interval DEFAULT NULL,
                                          retries integer DEFAULT 0,
                                          setup text[] DEFAULT NULL,
                                          progress boolean DEFAULT false,
                                          atomic boolean DEFAULT false,
                                          strict boolean DEFAULT false)
RETURNS SETOF @extschema@.pdb_target_result
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
        RETURN QUERY
            SELECT * FROM @extschema@._pdb_rows(
                @extschema@._pdb_run(@extschema@._pdb_repeat(task, targets),
                                     @extschema@._pdb_targets(@extschema@._pdb_repeat(task, targets), targets),
                                     1, 1, fail_fast, task_timeout, retries, setup, progress, false, NULL, atomic,
                                     true, 'pdb_broadcast', strict));
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

COMMENT ON FUNCTION @extschema@.pdb_broadcast(text, text[], boolean, interval, integer, text[], boolean, boolean, boolean) IS
'Run one statement on every target in parallel, optionally all or nothing; one row per target';
