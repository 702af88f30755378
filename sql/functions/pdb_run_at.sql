/*
 * pdb_run_at(tasks text[], targets text[], max_conns integer DEFAULT 4,
 *            batch_size integer DEFAULT 1, fail_fast boolean DEFAULT false,
 *            task_timeout interval DEFAULT NULL, retries integer DEFAULT 0,
 *            setup text[] DEFAULT NULL, progress boolean DEFAULT false,
 *            atomic boolean DEFAULT false, strict boolean DEFAULT false)
 *     RETURNS SETOF pdb_target_result (the columns of pdb_run, then target)
 *
 * Like pdb_run, but tasks[i] runs on targets[i]: a libpq connection string,
 * a dblink_fdw foreign server name, or NULL for this database. Each distinct
 * target gets its own pool of at most max_conns connections, sized to the
 * free slots of that server (a WARNING names the target when it is smaller);
 * the tasks of a target start in task order. One row per task, ordered by
 * task_id, with target = its target with passwords masked.
 *
 * A target that cannot be reached (or whose setup fails), or that is lost for
 * good in the middle, fails its own remaining tasks with that error; the other
 * targets carry on (with fail_fast or atomic, the first such failure stops
 * everything, as any failing task does). Every option works as in pdb_run;
 * atomic covers all targets: everything commits on every server, or nothing
 * does. There is no same_snapshot: a snapshot cannot be shared across servers.
 *
 * Errors: 22004 targets is NULL; 22023 targets not one-dimensional or not as
 * long as tasks; the others of pdb_run.
 */
CREATE FUNCTION @extschema@.pdb_run_at(tasks text[],
                                       targets text[],
                                       max_conns integer DEFAULT 4,
                                       batch_size integer DEFAULT 1,
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
            SELECT * FROM @extschema@._pdb_rows(@extschema@._pdb_run(tasks, @extschema@._pdb_targets(tasks, targets),
                                                                     max_conns, batch_size, fail_fast, task_timeout,
                                                                     retries, setup, progress, false, NULL, atomic,
                                                                     true, 'pdb_run_at', strict));
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

COMMENT ON FUNCTION @extschema@.pdb_run_at(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, boolean) IS
'Run tasks[i] on targets[i] (connection strings or dblink_fdw servers), in parallel with a pool of at most max_conns connections per target; one row per task';
