/*
 * _pdb_job_record(job_id bigint, outcomes jsonb) RETURNS void
 *
 * Writes outcomes (pdb_result objects, see _pdb_job_outcomes) to the tasks
 * of job_id in pdb_job_task: status 'done' for 'ok', else the status; result,
 * error, timings and attempts. Never turns a task done (by a claim of this
 * run, or by another runner) back into something else.
 */
CREATE FUNCTION @extschema@._pdb_job_record(job_id bigint, outcomes jsonb)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE @extschema@.pdb_job_task AS t
       SET status = CASE v.status WHEN 'ok' THEN 'done' ELSE v.status END,
           result = v.result, sqlstate = v.sqlstate, error = v.error, detail = v.detail, hint = v.hint,
           started_at = coalesce(v.started_at, t.started_at), finished_at = v.finished_at,
           attempts = v.attempts
      FROM jsonb_populate_recordset(NULL::@extschema@.pdb_result, $2) AS v
     WHERE t.job_id = $1 AND t.task_id = v.task_id AND NOT (t.status = 'done' AND v.status <> 'ok')
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_record(bigint, jsonb) IS
'internal: write the outcomes of a durable job''s tasks to pdb_job_task';
