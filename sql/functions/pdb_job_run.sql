/*
 * pdb_job_run(job_id bigint, max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *             fail_fast boolean DEFAULT false, task_timeout interval DEFAULT NULL,
 *             retries integer DEFAULT 0, setup text[] DEFAULT NULL,
 *             progress boolean DEFAULT false)
 *     RETURNS SETOF pdb_result
 *
 * Runs, with pdb_run, the tasks of a durable job that are not done yet, and
 * returns their rows (task_id is the task's number in the job). Run it again
 * after a failure, a cancel or a crash: it picks up what is left.
 *
 * Never twice, never lost: an atomic task (see _pdb_classify: plain, no
 * transaction control, no session state) is sent as
 *     SELECT _pdb_job_claim(job, task); <task>
 * one implicit transaction, so the mark "done" commits with the task or not
 * at all, whatever happens to the caller, the worker or the server. Other
 * tasks (VACUUM, CREATE INDEX CONCURRENTLY, ...) cannot share a transaction:
 * they are marked done after pdb_run returns, so one that finished just
 * before a crash of the caller runs again on the next pdb_job_run.
 * The outcome of every task (status, result, error, attempts, timings) is
 * written to pdb_job_task on a connection of its own, committed at once.
 *
 * Errors: 22004 job_id NULL; 42704 no such job (or not the caller's); 55000
 * the job is cancelled; those of pdb_run.
 */
CREATE FUNCTION @extschema@.pdb_job_run(job_id bigint,
                                        max_conns integer DEFAULT 4,
                                        connstr text DEFAULT NULL,
                                        fail_fast boolean DEFAULT false,
                                        task_timeout interval DEFAULT NULL,
                                        retries integer DEFAULT 0,
                                        setup text[] DEFAULT NULL,
                                        progress boolean DEFAULT false)
RETURNS SETOF @extschema@.pdb_result
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cancelled timestamptz;
    v_ids       integer[];
    v_texts     text[];
    v_before    integer[];
    v_atomic    boolean[];
    v_sent      text[];
    v_outcome   jsonb;
BEGIN
    IF job_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'job_id must not be null';
    END IF;
    SELECT j.cancelled_at INTO v_cancelled FROM @extschema@.pdb_job AS j WHERE j.job_id = pdb_job_run.job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('job %s does not exist', job_id);
    END IF;
    IF v_cancelled IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('job %s is cancelled', job_id),
            DETAIL  = format('It was cancelled at %s.', v_cancelled);
    END IF;

    SELECT coalesce(array_agg(t.task_id ORDER BY t.task_id), '{}'), coalesce(array_agg(t.task ORDER BY t.task_id), '{}'),
           coalesce(array_agg(t.attempts ORDER BY t.task_id), '{}')
      INTO v_ids, v_texts, v_before
      FROM @extschema@.pdb_job_task AS t
     WHERE t.job_id = pdb_job_run.job_id AND t.status <> 'done';
    IF cardinality(v_ids) = 0 THEN
        RETURN;
    END IF;
    SELECT c.atomic INTO v_atomic FROM @extschema@._pdb_classify(v_texts) AS c;
    v_sent := ARRAY(SELECT CASE WHEN u.a THEN format(E'SELECT %s._pdb_job_claim(%s, %s);\n%s',
                                                     '@extschema@', job_id, u.i, u.t)
                                ELSE u.t END
                      FROM unnest(v_ids, v_texts, v_atomic) WITH ORDINALITY AS u(i, t, a, o)
                     ORDER BY u.o);

    SELECT jsonb_agg(jsonb_build_object(
               'task_id', v_ids[r.task_id], 'status', r.status, 'result', r.result, 'sqlstate', r.sqlstate,
               'error', r.error, 'detail', r.detail, 'hint', r.hint, 'started_at', r.started_at,
               'finished_at', r.finished_at, 'conn_name', r.conn_name,
               'attempts', v_before[r.task_id] + r.attempts) ORDER BY r.task_id)
      INTO v_outcome
      FROM @extschema@.pdb_run(v_sent, max_conns, connstr, 1, fail_fast, task_timeout, retries, setup,
                               progress) AS r;

    -- record the outcomes at once; never turn a task done (by this run's claim,
    -- or by another runner) back into something else
    PERFORM @extschema@._pdb_autonomous(format(
        'UPDATE %1$s.pdb_job_task AS t
            SET status = CASE v.status WHEN ''ok'' THEN ''done'' ELSE v.status END,
                result = v.result, sqlstate = v.sqlstate, error = v.error, detail = v.detail, hint = v.hint,
                started_at = coalesce(v.started_at, t.started_at), finished_at = v.finished_at,
                attempts = v.attempts
           FROM jsonb_populate_recordset(NULL::%1$s.pdb_result, %3$L::jsonb) AS v
          WHERE t.job_id = %2$s AND t.task_id = v.task_id AND NOT (t.status = ''done'' AND v.status <> ''ok'')',
        '@extschema@', job_id, v_outcome), connstr);

    RETURN QUERY
        SELECT * FROM jsonb_populate_recordset(NULL::@extschema@.pdb_result, v_outcome) AS v ORDER BY v.task_id;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_run(bigint, integer, text, boolean, interval, integer, text[], boolean) IS
'Run the tasks of a durable job that are not done yet; each atomic task is marked done in its own transaction';
