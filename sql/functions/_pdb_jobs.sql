/*
 * _pdb_jobs(): the rows behind the view pdb_jobs (and _pdb_job_tasks() those
 * of pdb_job_tasks). Functions, not plain views, because a view reads its
 * tables with its owner's rights, and the owner (who created the extension)
 * is exempt from row level security: these run with the caller's rights, so
 * each role sees its own jobs only (superusers see all).
 * pdb_jobs' running: a runner holds the job now (_pdb_job_lock); progress:
 * the percentage of its tasks done; rows_done: the rows its done tasks
 * changed (the counts of their INSERT, UPDATE, DELETE, MERGE tags); eta,
 * while it runs: when the tasks left would be done at the pace of the tasks
 * done in the last 5 minutes (by when they started), NULL otherwise.
 */
CREATE FUNCTION @extschema@._pdb_jobs()
RETURNS TABLE (job_id bigint, name text, owner name, status text, tasks bigint, done bigint,
               failed bigint, pending bigint, submitted_at timestamptz, started_at timestamptz,
               finished_at timestamptz, cancelled_at timestamptz, running boolean, progress numeric,
               rows_done bigint, eta timestamptz)
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
           j.submitted_at, min(t.started_at), max(t.finished_at), j.cancelled_at,
           r.running,
           round(100.0 * count(t.task_id) FILTER (WHERE t.status = 'done') / greatest(count(t.task_id), 1), 1),
           coalesce(sum(substring(t.result FROM '^(?:UPDATE|DELETE|MERGE|INSERT [0-9]+) ([0-9]+)$')::bigint)
                        FILTER (WHERE t.status = 'done'), 0),
           -- while a runner holds the job: the tasks left at the pace of those done in the last 5 minutes
           CASE WHEN r.running AND count(t.task_id) FILTER (WHERE t.status = 'done' AND t.started_at > w.since) > 0 THEN
                clock_timestamp()
                + (clock_timestamp() - min(t.started_at) FILTER (WHERE t.status = 'done' AND t.started_at > w.since))
                  * count(t.task_id) FILTER (WHERE t.status NOT IN ('done', 'error', 'timeout'))
                  / count(t.task_id) FILTER (WHERE t.status = 'done' AND t.started_at > w.since)
           END
      FROM @extschema@.pdb_job AS j
      LEFT JOIN @extschema@.pdb_job_task AS t ON t.job_id = j.job_id
      CROSS JOIN LATERAL (SELECT @extschema@._pdb_job_holder(j.job_id) IS NOT NULL AS running) AS r
      CROSS JOIN (SELECT clock_timestamp() - interval '5 minutes' AS since) AS w
     GROUP BY j.job_id, r.running, w.since
$$;

COMMENT ON FUNCTION @extschema@._pdb_jobs() IS 'internal: the rows of the view pdb_jobs, with the caller''s rights';
