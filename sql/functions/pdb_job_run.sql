/*
 * pdb_job_run(job_id bigint, max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *             fail_fast boolean DEFAULT false, task_timeout interval DEFAULT NULL,
 *             retries integer DEFAULT 0, setup text[] DEFAULT NULL,
 *             progress boolean DEFAULT false, strict boolean DEFAULT false)
 *     RETURNS SETOF pdb_result
 *
 * Runs, as pdb_run does, the tasks of a durable job that are not done yet, and
 * returns their rows (task_id is the task's number in the job). Run it again
 * after a failure, a cancel or a crash: it picks up what is left. A
 * backfill (pdb_backfill) runs in waves of ranges cut as it goes, until
 * every key is done or a range fails.
 *
 * Never twice, never lost: an atomic task (see _pdb_classify: plain, no
 * transaction control, no session state) is claimed in the transaction that
 * runs it (_pdb_job_begin), so the mark "done" commits with the task or not
 * at all, whatever happens to the caller, the worker or the server. Other
 * tasks (VACUUM, CREATE INDEX CONCURRENTLY, ...) cannot share a transaction:
 * they are marked done within a second of their end, so one that finished
 * just before a crash of the caller runs again on the next pdb_job_run.
 * The outcome of every task (status, result, error, attempts, timings) is
 * written to pdb_job_task (_pdb_job_step, _pdb_job_record) on a connection
 * of its own as it ends, committed at once. The caller's transaction lasts
 * the whole run: for a long job, CALL pdb_job_exec, which commits as it
 * goes.
 *
 * strict: once the outcomes are recorded, the first failure is raised,
 * naming the job's task (see pdb_run).
 *
 * One runner at a time: a job that another session runs is refused (55006,
 * _pdb_job_lock), never run twice over.
 *
 * Errors: 22004 job_id NULL; 42704 no such job (or not the caller's); 55000
 * the job is cancelled; 55006 another session runs it; those of pdb_run.
 */
CREATE FUNCTION @extschema@.pdb_job_run(job_id bigint,
                                        max_conns integer DEFAULT 4,
                                        connstr text DEFAULT NULL,
                                        fail_fast boolean DEFAULT false,
                                        task_timeout interval DEFAULT NULL,
                                        retries integer DEFAULT 0,
                                        setup text[] DEFAULT NULL,
                                        progress boolean DEFAULT false,
                                        strict boolean DEFAULT false)
RETURNS SETOF @extschema@.pdb_result
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_job     @extschema@._pdb_job_run;
    v_run     @extschema@._pdb_job_run;
    v_outcome jsonb;
    e_state   text;
    e_message text;
    e_detail  text;
    e_hint    text;
BEGIN
    v_job := @extschema@._pdb_job_begin(job_id, max_conns, connstr, fail_fast, task_timeout, retries, setup,
                                        progress, 'pdb_job_run', false);
    IF v_job.finished THEN
        RETURN;
    END IF;
    v_outcome := CAST('[]' AS jsonb);
    LOOP
        PERFORM @extschema@._pdb_job_lock(job_id, true);  -- (55006: another session runs it)
        -- in steps, each task's outcome recorded on a connection of its own as it ends (_pdb_job_step lets
        -- the job go after the last step, or an error)
        v_run := v_job;
        LOOP
            v_run := @extschema@._pdb_job_step(v_run, true, connstr);
            EXIT WHEN v_run.finished;
        END LOOP;
        v_outcome := v_outcome || @extschema@._pdb_job_outcomes(v_job, v_run.st);  -- (v_job recorded none)
        -- a backfill: its next ranges, until none is left or one failed
        EXIT WHEN NOT @extschema@._pdb_job_again(v_run);
        v_job := @extschema@._pdb_job_begin(job_id, max_conns, connstr, fail_fast, task_timeout, retries, setup,
                                            progress, 'pdb_job_run', false);
        EXIT WHEN v_job.finished;
    END LOOP;
    PERFORM @extschema@._pdb_job_lock(job_id, false);  -- (a backfill's last wave kept it)
    IF strict THEN
        PERFORM @extschema@._pdb_failed(v_run.st, true, v_run.ids);
    END IF;
    RETURN QUERY
        SELECT * FROM jsonb_populate_recordset(NULL::@extschema@.pdb_result, v_outcome) AS v ORDER BY v.task_id;
EXCEPTION WHEN query_canceled OR others THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    PERFORM @extschema@._pdb_job_lock(job_id, false);  -- (a cancel between two steps)
    -- raised again from here: its context shows the caller's call and none of the engine's functions
    IF e_detail = '' AND e_hint = '' THEN
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
    ELSIF e_hint = '' THEN
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
    ELSIF e_detail = '' THEN
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_run(bigint, integer, text, boolean, interval, integer, text[], boolean, boolean) IS
'Run the tasks of a durable job that are not done yet; each atomic task is marked done in its own transaction';
