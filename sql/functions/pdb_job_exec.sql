/*
 * CALL pdb_job_exec(job_id bigint, max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *                   fail_fast boolean DEFAULT false, task_timeout interval DEFAULT NULL,
 *                   retries integer DEFAULT 0, setup text[] DEFAULT NULL,
 *                   progress boolean DEFAULT false, strict boolean DEFAULT false)
 *
 * Runs the tasks of a durable job that are not done yet, as pdb_job_run
 * does (the same options, each atomic task claimed in the transaction that
 * runs it), but commits as it goes: the engine advances in steps of half a
 * second (_pdb_job_step), the dblink connections and the running tasks
 * staying open across a COMMIT after each step. So the caller never holds a
 * snapshot or a transaction id for longer than that: vacuum goes on while a
 * long job runs, and CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY
 * tasks on the caller's own database do not wait for the caller. Each
 * task's outcome is written to pdb_job_task by the commit after it ends
 * (see pdb_job_tasks). A backfill (pdb_backfill) runs in waves of ranges
 * cut as it goes, until every key is done or a range fails. Interrupted (a
 * cancel, statement_timeout, a killed worker or caller, a restart), the
 * same CALL resumes what is left.
 * strict: once every outcome is committed, the first failure of this run is
 * raised, naming the job's task (see pdb_run).
 *
 * A procedure that commits must be called at top level: not inside a
 * transaction block, nor from a function.
 *
 * It has no SET search_path, unlike every function of the extension:
 * PostgreSQL refuses COMMIT in a procedure that has a SET clause. Its body
 * only calls functions of the extension, schema-qualified, each pinning
 * search_path itself, and commits.
 *
 * Errors: 25001 in a transaction block (when it can tell: a block that
 * already wrote, or began more than a second before the CALL); 2D000
 * (invalid transaction termination) at its first COMMIT, before anything
 * runs, where it cannot tell; those of pdb_job_run.
 */
CREATE PROCEDURE @extschema@.pdb_job_exec(job_id bigint,
                                          max_conns integer DEFAULT 4,
                                          connstr text DEFAULT NULL,
                                          fail_fast boolean DEFAULT false,
                                          task_timeout interval DEFAULT NULL,
                                          retries integer DEFAULT 0,
                                          setup text[] DEFAULT NULL,
                                          progress boolean DEFAULT false,
                                          strict boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    v_job     @extschema@._pdb_job_run;
    v_begun   boolean := false;
    v_ended   boolean := false;
    e_state   text;
    e_message text;
    e_detail  text;
    e_hint    text;
BEGIN
    -- begin, a step at a time, then strict's check, each committed; an error is raised again from here, so
    -- that its context shows the caller's call and none of the engine's functions. COMMIT cannot be in an
    -- exception block; no operator here: no search_path is pinned
    LOOP
        BEGIN
            IF NOT v_begun THEN
                v_job := @extschema@._pdb_job_begin(job_id, max_conns, connstr, fail_fast, task_timeout, retries,
                                                    setup, progress, 'pdb_job_exec', true);
                v_begun := true;
            ELSIF NOT v_job.finished THEN
                v_job := @extschema@._pdb_job_step(v_job, false, connstr);
            ELSIF @extschema@._pdb_job_again(v_job) THEN  -- a backfill: its next wave, or nothing left
                v_job := @extschema@._pdb_job_begin(job_id, max_conns, connstr, fail_fast, task_timeout, retries,
                                                    setup, progress, 'pdb_job_exec', true);
            ELSE
                v_ended := true;
                PERFORM @extschema@._pdb_job_lock(job_id, false);  -- (a backfill's last wave kept it)
                IF strict THEN  -- (once every outcome is committed)
                    PERFORM @extschema@._pdb_failed(v_job.st, true, v_job.ids);
                END IF;
            END IF;
        EXCEPTION WHEN query_canceled OR others THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            PERFORM @extschema@._pdb_job_lock(job_id, false);  -- (a failed begin of a backfill's next wave)
            IF pg_catalog.texteq(e_detail, '') AND pg_catalog.texteq(e_hint, '') THEN
                RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
            ELSIF pg_catalog.texteq(e_hint, '') THEN
                RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
            ELSIF pg_catalog.texteq(e_detail, '') THEN
                RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
            END IF;
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
        END;
        EXIT WHEN v_ended;
        COMMIT;
    END LOOP;
END
$$;

COMMENT ON PROCEDURE @extschema@.pdb_job_exec(bigint, integer, text, boolean, interval, integer, text[], boolean, boolean) IS
'Run the tasks of a durable job that are not done yet, committing as they end: the caller holds back neither vacuum nor CONCURRENTLY index builds';
