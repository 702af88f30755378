/*
 * _pdb_jobs(): the rows behind the view pdb_jobs (and _pdb_job_tasks() those
 * of pdb_job_tasks). Functions, not plain views, because a view reads its
 * tables with its owner's rights, and the owner (who created the extension)
 * is exempt from row level security: these run with the caller's rights, so
 * each role sees its own jobs only (superusers see all).
 * pdb_jobs' running: a runner holds the job now (_pdb_job_lock); progress:
 * the percentage of the job's work done: of its tasks, or of a backfill's
 * keys (from its smallest to its largest, the ranges not cut yet included);
 * rows_done: the rows its done tasks changed (the counts of their INSERT,
 * UPDATE, DELETE, MERGE tags); eta, while it runs: when the work left would
 * be done at the pace of the tasks done in the last 5 minutes (by when they
 * started), NULL otherwise. A backfill is done once every key is cut into
 * ranges and every range is done.
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
    SELECT g.job_id, g.name, g.owner,
           CASE WHEN g.cancelled_at IS NOT NULL THEN 'cancelled'
                WHEN g.tasks = g.done AND NOT g.uncut THEN 'done'
                WHEN g.failed > 0 THEN 'failed'
                WHEN g.done > 0 THEN 'partly done'
                ELSE 'pending' END,
           g.tasks, g.done, g.failed, g.pending, g.submitted_at, g.started_at, g.finished_at, g.cancelled_at,
           r.running, round(100 * g.done_share, 1), g.rows_done,
           -- while a runner holds the job: the work left at the pace of the tasks done in the last 5 minutes
           CASE WHEN r.running AND g.recent_share > 0 THEN
                clock_timestamp() + (clock_timestamp() - g.recent_start) * (1 - g.done_share) / g.recent_share
           END
      FROM (SELECT j.job_id, j.name, j.owner, j.submitted_at, j.cancelled_at,
                   coalesce(b.next_key <= b.key_max, false) AS uncut,
                   count(t.task_id) AS tasks,
                   count(t.task_id) FILTER (WHERE t.status = 'done') AS done,
                   count(t.task_id) FILTER (WHERE t.status IN ('error', 'timeout')) AS failed,
                   count(t.task_id) FILTER (WHERE t.status NOT IN ('done', 'error', 'timeout')) AS pending,
                   min(t.started_at) AS started_at, max(t.finished_at) AS finished_at,
                   coalesce(sum(substring(t.result FROM '^(?:UPDATE|DELETE|MERGE|INSERT [0-9]+) ([0-9]+)$')::bigint)
                                FILTER (WHERE t.status = 'done'), 0) AS rows_done,
                   -- the share of the work done, all of it and by the tasks started in the last 5 minutes: of
                   -- a backfill's keys, else of the job's tasks
                   CASE WHEN b.job_id IS NULL
                        THEN count(t.task_id) FILTER (WHERE t.status = 'done') / greatest(count(t.task_id), 1)::numeric
                        ELSE coalesce(sum(s.span) FILTER (WHERE t.status = 'done'), 0) / s.total END AS done_share,
                   CASE WHEN b.job_id IS NULL
                        THEN count(t.task_id) FILTER (WHERE t.status = 'done' AND t.started_at > w.since)
                             / greatest(count(t.task_id), 1)::numeric
                        ELSE coalesce(sum(s.span) FILTER (WHERE t.status = 'done' AND t.started_at > w.since), 0)
                             / s.total END AS recent_share,
                   min(t.started_at) FILTER (WHERE t.status = 'done' AND t.started_at > w.since) AS recent_start
              FROM @extschema@.pdb_job AS j
              LEFT JOIN @extschema@.pdb_job_backfill AS b ON b.job_id = j.job_id
              LEFT JOIN @extschema@.pdb_job_task AS t ON t.job_id = j.job_id
              LEFT JOIN @extschema@.pdb_job_range AS k ON k.job_id = t.job_id AND k.task_id = t.task_id
              -- a range's keys (its last one ends at key_max), and the backfill's
              CROSS JOIN LATERAL (SELECT coalesce(k.hi, b.key_max + 1) - k.lo AS span,
                                         b.key_max + 1 - b.key_min AS total) AS s
              CROSS JOIN (SELECT clock_timestamp() - interval '5 minutes' AS since) AS w
             GROUP BY j.job_id, b.job_id, s.total) AS g
      CROSS JOIN LATERAL (SELECT @extschema@._pdb_job_holder(g.job_id) IS NOT NULL AS running) AS r
$$;

COMMENT ON FUNCTION @extschema@._pdb_jobs() IS 'internal: the rows of the view pdb_jobs, with the caller''s rights';
