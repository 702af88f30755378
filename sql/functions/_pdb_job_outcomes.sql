/*
 * _pdb_job_outcomes(job _pdb_job_run, st _pdb_state) RETURNS jsonb
 *
 * The outcomes of the tasks of a run of a durable job that are settled in
 * st (the engine's state of that run, advanced) and not recorded yet, as a jsonb array of pdb_result objects whose task_id is
 * the task's in the job and attempts count those of earlier runs too (what
 * _pdb_job_record writes and pdb_job_run returns); '[]' when there is none.
 */
CREATE FUNCTION @extschema@._pdb_job_outcomes(job @extschema@._pdb_job_run, st @extschema@._pdb_state)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'task_id', ($1).ids[r.task_id], 'status', r.status, 'result', r.result, 'sqlstate', r.sqlstate,
               'error', r.error, 'detail', r.detail, 'hint', r.hint, 'started_at', r.started_at,
               'finished_at', r.finished_at, 'conn_name', r.conn_name,
               'attempts', ($1).before[r.task_id] + r.attempts, 'task', ($1).tasks[r.task_id]) ORDER BY r.task_id), '[]')
      FROM @extschema@._pdb_rows($2,
                                 ARRAY(SELECT t FROM generate_series(1, cardinality(($1).ids)) AS t
                                        WHERE ($2).r_done[(($2).plan).pos[t]] AND NOT ($1).recorded[t]
                                        ORDER BY t)) AS r
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_outcomes(@extschema@._pdb_job_run, @extschema@._pdb_state) IS
'internal: the outcomes of a durable job''s run not recorded yet, as pdb_result objects of the job''s task ids';
