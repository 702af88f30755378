/*
 * CALL _pdb_job_background(job_id bigint, max_conns integer, connstr text, fail_fast boolean,
 *                          task_timeout interval, retries integer, setup text[])
 *
 * What pg_cron runs for pdb_job_start, as the role that started it, at
 * each time of its schedule (pg_cron runs one instance of a job at a time):
 * nothing but the removal of the schedule when the job has no work left or
 * is cancelled; else CALL pdb_job_exec of the job, and the removal of the
 * schedule once that run has ended (done, or a task failed for good: the
 * job then waits for its owner). A run that does not end (a crash, a
 * restart, a killed session, an error of the run itself such as 55006) is
 * resumed at the next time of the schedule.
 *
 * Like pdb_job_exec, it has no SET search_path (a procedure whose callee
 * commits cannot have one): its body calls functions and a procedure of the
 * extension, schema-qualified, and no operator.
 */
CREATE PROCEDURE @extschema@._pdb_job_background(job_id bigint, max_conns integer, connstr text,
                                                 fail_fast boolean, task_timeout interval, retries integer,
                                                 setup text[])
LANGUAGE plpgsql
AS $$
BEGIN
    IF @extschema@._pdb_job_cron_end(job_id, false) THEN
        RETURN;
    END IF;
    CALL @extschema@.pdb_job_exec(job_id, max_conns, connstr, fail_fast, task_timeout, retries, setup);
    PERFORM @extschema@._pdb_job_cron_end(job_id, true);
END
$$;

COMMENT ON PROCEDURE @extschema@._pdb_job_background(bigint, integer, text, boolean, interval, integer, text[]) IS
'internal: what pg_cron runs for pdb_job_start: the job''s run, then the end of its schedule';
