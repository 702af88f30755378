/*
 * _pdb_job_claim(p_job bigint, p_task integer) RETURNS void
 *
 * Runs on a worker, in the same transaction as an atomic task of a durable
 * job, just before it: marks the task done. If the task then fails, the
 * transaction rolls back and the mark with it; if it commits, task and mark
 * commit together. A second runner of the same task waits on the row lock
 * and then finds it done: it raises, so the task never runs twice.
 * Errors: 55000 the task is already done, or its job is cancelled.
 */
CREATE FUNCTION @extschema@._pdb_job_claim(p_job bigint, p_task integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.pdb_job_task AS t
       SET status = 'done', started_at = clock_timestamp(), attempts = t.attempts + 1,
           sqlstate = NULL, error = NULL, detail = NULL, hint = NULL
     WHERE t.job_id = p_job AND t.task_id = p_task AND t.status <> 'done'
       AND NOT EXISTS (SELECT FROM @extschema@.pdb_job AS j WHERE j.job_id = p_job AND j.cancelled_at IS NOT NULL);
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('task %s of job %s is already done, or the job was cancelled', p_task, p_job);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_claim(bigint, integer) IS
'internal: mark a durable job''s task done in the transaction that runs it';
