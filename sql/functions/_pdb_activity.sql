/*
 * _pdb_activity(): the rows behind the view pdb_activity (see there).
 * A function with a pinned search_path rather than the view's own query, so
 * that its operators and functions resolve in pg_catalog whatever the
 * search_path of CREATE EXTENSION was (pgspot checks the install script for
 * that). Volatile: it reads the clock and pg_stat_activity.
 */
CREATE FUNCTION @extschema@._pdb_activity()
RETURNS TABLE (caller_pid integer, task_id integer, total integer, worker_pid integer, usename name,
               datname name, state text, wait_event text, query text, running_for interval,
               caller_query text, job_id bigint, throttled text, kept boolean)
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.caller_pid,
           q.m[1]::integer,
           q.m[2]::integer,
           w.pid,
           w.usename,
           w.datname,
           w.state,
           w.wait_event,
           CASE WHEN NOT l.kept THEN regexp_replace(w.query, E'^/\\* pdb_run:[0-9:/]*( job [0-9]+)? \\*/\n', '') END,
           CASE WHEN w.state = 'active' THEN clock_timestamp() - w.query_start END,
           c.query,
           q.m[3]::bigint,
           max(substring(w.application_name FROM ' throttled: (.*)$')) OVER (PARTITION BY l.caller_pid, l.kept),
           l.kept
      FROM pg_stat_activity AS w
     CROSS JOIN LATERAL (
           -- (a kept connection running a task of a small call, _pdb_lean_run, keeps its label)
           SELECT m[1]::integer AS caller_pid,
                  m[2] IS NOT NULL AND NOT (w.state <> 'idle' AND starts_with(w.query, '/* pdb_run:')) AS kept
             FROM regexp_match(w.application_name, '^pdb_run:([0-9]+)( kept$)?') AS m) AS l
     CROSS JOIN LATERAL (
           SELECT regexp_match(w.query, E'^/\\* pdb_run:[0-9]+:([0-9]+)/([0-9]+)(?: job ([0-9]+))? \\*/') AS m) AS q
      LEFT JOIN pg_stat_activity AS c ON c.pid = l.caller_pid
     WHERE l.caller_pid IS NOT NULL
$$;

COMMENT ON FUNCTION @extschema@._pdb_activity() IS
'internal: the rows of the view pdb_activity, as pg_stat_activity shows them to the caller';
