/*
 * pdb_activity: the tasks running now, and the connections kept for the
 * next calls, one row per worker backend that
 * pdb_run labelled on this server (application_name 'pdb_run:<caller pid>',
 * and a query string that starts with '/* pdb_run:<caller pid>:<task_id>/<total> */'),
 * as pg_stat_activity lets the current role see them (query text only for
 * its own backends, unless it has pg_read_all_stats).
 *   caller_pid                   from application_name
 *   task_id, total               from the query's comment: the task it runs, or
 *                                ran last (NULL before its first); for a job's
 *                                runner, its task id in the job, and the job's tasks
 *   worker_pid, usename, datname, state, wait_event, running_for
 *   query                        the task's text (without pdb_run's comment)
 *   caller_query                 what the caller runs (the pdb_run call)
 *   job_id                       the durable job it runs (pdb_job_run, pdb_job_exec)
 *   throttled                    why its caller starts no new task now (a throttle,
 *                                see _pdb_held), as its idle workers' application_name
 *                                says ('pdb_run:<caller pid> throttled: <why>'), or NULL
 *   kept                         a connection kept open, idle, for the caller's next
 *                                calls (parallel_dblink.keep_conns; its query is NULL);
 *                                false while it runs a task of a small call (_pdb_lean_run)
 * Workers on other servers are not visible here. The rows come from
 * _pdb_activity(), a function with a pinned search_path.
 */
CREATE VIEW @extschema@.pdb_activity AS SELECT * FROM @extschema@._pdb_activity();

GRANT SELECT ON @extschema@.pdb_activity TO PUBLIC;

COMMENT ON VIEW @extschema@.pdb_activity IS
'The pdb_run tasks running on this server: caller, task, worker, query, how long it has run';
