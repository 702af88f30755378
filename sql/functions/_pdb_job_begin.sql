/*
 * _pdb_job_begin(job_id bigint, max_conns integer, connstr text, fail_fast boolean,
 *                task_timeout interval, retries integer, setup text[],
 *                progress boolean, caller text, commits boolean)
 *     RETURNS _pdb_job_run
 *
 * The start of a run of a durable job: the tasks of job_id that are not done
 * yet (of a backfill: those, else its next wave of ranges, cut on a
 * connection of its own by _pdb_backfill_next), each atomic one (see
 * _pdb_classify: plain, no transaction control, no session state) sent as
 *     SELECT _pdb_job_claim(job, task); <task>
 * one implicit transaction, so the mark "done" commits with the task or not
 * at all, whatever happens to the caller, the worker or the server; and the
 * engine's state for them (_pdb_start; commits: the caller commits between
 * steps, see pdb_job_exec). Opens nothing.
 * Errors: 25001 commits, in a transaction block that already wrote or began
 * more than a second before this statement; 22004 job_id NULL; 42704 no such job (or not the caller's); 55000
 * the job is cancelled; those of _pdb_start.
 */
CREATE FUNCTION @extschema@._pdb_job_begin(job_id bigint, max_conns integer, connstr text, fail_fast boolean,
                                           task_timeout interval, retries integer, setup text[],
                                           progress boolean, caller text, commits boolean)
RETURNS @extschema@._pdb_job_run
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cancelled timestamptz;
    v_ids       integer[];
    v_before    integer[];
    v_st        @extschema@._pdb_state;
    v_texts     text[];
    v_atomic    boolean[];
    v_backfill  boolean;
    v_next      jsonb;
BEGIN
    -- a procedure that commits cannot run in a transaction block: say so before anything runs (what
    -- cannot be seen here, a block begun in the same moment or a call from a function, fails at
    -- pdb_job_exec's first COMMIT, also before anything runs)
    IF commits AND (pg_current_xact_id_if_assigned() IS NOT NULL
                    OR statement_timestamp() - transaction_timestamp() > interval '1 second') THEN
        RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction',
            MESSAGE = format('%s cannot run inside a transaction block', caller),
            DETAIL  = 'It commits as its tasks end, and a procedure called in a transaction block cannot commit.',
            HINT    = format('CALL %s on its own, outside BEGIN ... COMMIT (in autocommit mode), or run the job in '
                             'your transaction with pdb_job_run.', caller);
    END IF;
    IF job_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'job_id must not be null';
    END IF;
    SELECT j.cancelled_at INTO v_cancelled FROM @extschema@.pdb_job AS j WHERE j.job_id = _pdb_job_begin.job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('job %s does not exist', job_id);
    END IF;
    IF v_cancelled IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('job %s is cancelled', job_id),
            DETAIL  = format('It was cancelled at %s.', v_cancelled);
    END IF;

    v_backfill := EXISTS (SELECT FROM @extschema@.pdb_job_backfill AS b WHERE b.job_id = _pdb_job_begin.job_id);
    IF v_backfill THEN
        -- its tasks not done, else the next wave of ranges: two per connection, so that the wave's last
        -- ranges keep connections idle for less than a range's time
        v_next := @extschema@._pdb_autonomous(format('SELECT %s._pdb_backfill_next(%s, %s)', '@extschema@', job_id,
                                                     2 * greatest(coalesce(max_conns, 1), 1)), connstr)::jsonb;
        v_ids    := ARRAY(SELECT jsonb_array_elements_text(v_next -> 'ids')::integer);
        v_texts  := ARRAY(SELECT jsonb_array_elements_text(v_next -> 'tasks'));
        v_before := ARRAY(SELECT jsonb_array_elements_text(v_next -> 'attempts')::integer);
    ELSE
        SELECT coalesce(array_agg(t.task_id ORDER BY t.task_id), '{}'), coalesce(array_agg(t.task ORDER BY t.task_id), '{}'),
               coalesce(array_agg(t.attempts ORDER BY t.task_id), '{}')
          INTO v_ids, v_texts, v_before
          FROM @extschema@.pdb_job_task AS t
         WHERE t.job_id = _pdb_job_begin.job_id AND t.status <> 'done';
    END IF;
    IF cardinality(v_ids) > 0 THEN
        SELECT c.atomic INTO v_atomic FROM @extschema@._pdb_classify(v_texts) AS c;
        -- (pdb_activity shows the job's task ids and tasks, and the job)
        v_st := @extschema@._pdb_labelled(@extschema@._pdb_start(
            ARRAY(SELECT CASE WHEN u.a THEN format(E'SELECT %s._pdb_job_claim(%s, %s);\n%s', '@extschema@', job_id, u.i, u.t)
                              ELSE u.t END
                    FROM unnest(v_ids, v_texts, v_atomic) WITH ORDINALITY AS u(i, t, a, o)
                   ORDER BY u.o),
            ARRAY[connstr], max_conns, 1, fail_fast, task_timeout, retries, setup, progress, false, NULL, false,
            false, caller, false, false, commits),
            v_ids, greatest((SELECT max(t.task_id) FROM @extschema@.pdb_job_task AS t
                              WHERE t.job_id = _pdb_job_begin.job_id), v_ids[cardinality(v_ids)]),
            job_id);
    END IF;
    RETURN ROW(job_id, v_ids, v_texts, v_before, array_fill(false, ARRAY[cardinality(v_ids)]), v_st,
               cardinality(v_ids) = 0, v_backfill)::@extschema@._pdb_job_run;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_begin(bigint, integer, text, boolean, interval, integer, text[], boolean, text, boolean) IS
'internal: the tasks of a durable job not done yet, each atomic one claimed in its own transaction, and the engine''s state';
