/*
 * pdb_activity: the tasks running now, one row per worker backend that
 * pdb_run labelled on this server (application_name 'pdb_run:<caller pid>',
 * and a query string that starts with '/* pdb_run:<caller pid>:<task_id>/<total> */'),
 * as pg_stat_activity lets the current role see them (query text only for
 * its own backends, unless it has pg_read_all_stats).
 *   caller_pid                   from application_name
 *   task_id, total               from the query's comment: the task it runs, or
 *                                ran last (NULL before its first)
 *   worker_pid, usename, datname, state, wait_event, running_for
 *   query                        the task's text (without pdb_run's comment)
 *   caller_query                 what the caller runs (the pdb_run call)
 * Workers on other servers are not visible here.
 */
CREATE VIEW @extschema@.pdb_activity AS
SELECT l.caller_pid,
       q.m[1]::integer AS task_id,
       q.m[2]::integer AS total,
       w.pid AS worker_pid,
       w.usename,
       w.datname,
       w.state,
       w.wait_event,
       regexp_replace(w.query, E'^/\\* pdb_run:[0-9:/]* \\*/\n', '') AS query,
       CASE WHEN w.state = 'active' THEN clock_timestamp() - w.query_start END AS running_for,
       c.query AS caller_query
  FROM pg_catalog.pg_stat_activity AS w
 CROSS JOIN LATERAL (
       SELECT m[1]::integer AS caller_pid
         FROM regexp_match(w.application_name, '^pdb_run:([0-9]+)') AS m) AS l
 CROSS JOIN LATERAL (
       SELECT regexp_match(w.query, E'^/\\* pdb_run:[0-9]+:([0-9]+)/([0-9]+) \\*/') AS m) AS q
  LEFT JOIN pg_catalog.pg_stat_activity AS c ON c.pid = l.caller_pid
 WHERE l.caller_pid IS NOT NULL;

GRANT SELECT ON @extschema@.pdb_activity TO PUBLIC;

COMMENT ON VIEW @extschema@.pdb_activity IS
'The pdb_run tasks running on this server: caller, task, worker, query, how long it has run';
