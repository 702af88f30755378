/*
 * _pdb_run(tasks text[], targets text[], max_conns integer, batch_size integer,
 *          fail_fast boolean, task_timeout interval, retries integer,
 *          setup text[], progress boolean, same_snapshot boolean,
 *          snapshot text, atomic boolean, isolate_targets boolean, caller text, strict boolean)
 *     RETURNS _pdb_state
 *
 * A whole call of the engine in one statement, for pdb_run, pdb_run_at and
 * pdb_broadcast: _pdb_start, then one _pdb_step without a time limit; the
 * final state, whose rows _pdb_rows gives (NULL when there is no task). The
 * engine's phases: _pdb_start (check, plan), _pdb_step (its first step opens
 * the pool with _pdb_launch, its last ends the call with _pdb_finish),
 * _pdb_rows. pdb_query reads its rows from _pdb_step itself; pdb_job_exec
 * runs steps of half a second with a COMMIT in between.
 * Errors: those of _pdb_start and _pdb_step.
 */
CREATE FUNCTION @extschema@._pdb_run(tasks text[], targets text[], max_conns integer, batch_size integer,
                                     fail_fast boolean, task_timeout interval, retries integer,
                                     setup text[], progress boolean, same_snapshot boolean,
                                     snapshot text, atomic boolean, isolate_targets boolean, caller text,
                                     strict boolean)
RETURNS @extschema@._pdb_state
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s FROM @extschema@._pdb_step(@extschema@._pdb_start(tasks, targets, max_conns, batch_size, fail_fast,
                                                                task_timeout, retries, setup, progress,
                                                                same_snapshot, snapshot, atomic, isolate_targets, caller,
                                                                false, strict, false),
                                        NULL, NULL::@extschema@._pdb_state) AS s
$$;

COMMENT ON FUNCTION @extschema@._pdb_run(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, text, boolean, boolean, text, boolean) IS
'internal: a whole call of the engine in one step: the final state of pdb_run, pdb_run_at and pdb_broadcast';
