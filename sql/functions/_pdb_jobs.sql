/*
 * _pdb_jobs() and _pdb_job_tasks(): the rows behind the views pdb_jobs and
 * pdb_job_tasks. Functions, not plain views, because a view reads its
 * tables with its owner's rights, and the owner (who created the extension)
 * is exempt from row level security: these run with the caller's rights, so
 * each role sees its own jobs only (superusers see all).
 */
CREATE FUNCTION @extschema@._pdb_jobs()
RETURNS TABLE (job_id bigint, name text, owner name, status text, tasks bigint, done bigint,
               failed bigint, pending bigint, submitted_at timestamptz, started_at timestamptz,
               finished_at timestamptz, cancelled_at timestamptz)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT j.job_id, j.name, j.owner,
           CASE WHEN j.cancelled_at IS NOT NULL THEN 'cancelled'
                WHEN count(t.task_id) = count(t.task_id) FILTER (WHERE t.status = 'done') THEN 'done'
                WHEN count(t.task_id) FILTER (WHERE t.status IN ('error', 'timeout')) > 0 THEN 'failed'
                WHEN count(t.task_id) FILTER (WHERE t.status = 'done') > 0 THEN 'partly done'
                ELSE 'pending' END,
           count(t.task_id),
           count(t.task_id) FILTER (WHERE t.status = 'done'),
           count(t.task_id) FILTER (WHERE t.status IN ('error', 'timeout')),
           count(t.task_id) FILTER (WHERE t.status NOT IN ('done', 'error', 'timeout')),
           j.submitted_at, min(t.started_at), max(t.finished_at), j.cancelled_at
      FROM @extschema@.pdb_job AS j
      LEFT JOIN @extschema@.pdb_job_task AS t ON t.job_id = j.job_id
     GROUP BY j.job_id
$$;

CREATE FUNCTION @extschema@._pdb_job_tasks()
RETURNS SETOF @extschema@.pdb_job_task
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.pdb_job_task
$$;

COMMENT ON FUNCTION @extschema@._pdb_jobs() IS 'internal: the rows of the view pdb_jobs, with the caller''s rights';
COMMENT ON FUNCTION @extschema@._pdb_job_tasks() IS 'internal: the rows of the view pdb_job_tasks, with the caller''s rights';
