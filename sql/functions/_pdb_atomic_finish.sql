/*
 * _pdb_atomic_finish(dblink_schema name, run_id uuid, sent text[], do_commit boolean,
 *                    plan _pdb_plan, outcomes _pdb_outcome[], caller text)
 *     RETURNS _pdb_outcome[]
 *
 * The second phase of an atomic call, once its decision is made (do_commit
 * only if every task prepared and the decision is recorded): commits or rolls
 * back the prepared transactions of run_id on each target that was sent a
 * task (sent[d] is its connection string, NULL when nothing was sent there;
 * _pdb_atomic_end, on connections of its own), and sets each task's outcome
 * (by position, as in plan): 'ok' committed; 'rolled back' (40000, naming the
 * first task that failed); 'prepared' when its transaction could not be
 * settled (pdb_recover settles it); 40003 a task that prepared nothing it can
 * find (it ended its transaction itself). Then deletes the call's record, or
 * when something is left prepared keeps it and warns; and releases the
 * call's lock. Returns the outcomes (the caller forgets the results of the tasks
 * rolled back).
 */
CREATE FUNCTION @extschema@._pdb_atomic_finish(dblink_schema name, run_id uuid, sent text[], do_commit boolean,
                                               plan @extschema@._pdb_plan,
                                               outcomes @extschema@._pdb_outcome[], caller text)
RETURNS @extschema@._pdb_outcome[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_run_space CONSTANT integer := 1885627491;
    v_verb      text := CASE WHEN do_commit THEN 'commit' ELSE 'roll back' END;
    v_first     integer := (SELECT min(plan.task_no[p]) FROM generate_series(1, cardinality(plan.tasks)) AS p
                             WHERE (outcomes[p]).status IN ('error', 'timeout'));
    v_left      boolean := false;
    v_end       record;
    v_p         integer;  -- a position
    v_status    text[] := ARRAY(SELECT (o).status FROM unnest(outcomes) AS o);
    v_out       @extschema@._pdb_outcome[] := outcomes;
BEGIN
    FOR v_end IN SELECT * FROM @extschema@._pdb_atomic_end(dblink_schema, run_id, sent, do_commit) LOOP
        v_left := v_left OR v_end.task_id IS NULL OR v_end.err_sqlstate IS NOT NULL;
        -- the tasks this row is about: one, or all of an unreachable target
        FOREACH v_p IN ARRAY CASE WHEN v_end.task_id IS NULL
                                  THEN ARRAY(SELECT generate_series(plan.first_pos[v_end.target_no],
                                                                    plan.last_pos[v_end.target_no]))
                                  ELSE ARRAY[plan.pos[v_end.task_id]] END LOOP
            CONTINUE WHEN v_status[v_p] IS DISTINCT FROM 'ok';  -- nothing prepared
            IF v_end.task_id IS NULL OR v_end.err_sqlstate IS NOT NULL THEN
                v_status[v_p] := 'prepared';
                v_out[v_p] := ROW('prepared', v_end.err_sqlstate,
                                     format('could not %s its prepared transaction: %s', v_verb, v_end.err_message),
                                     NULL, format('pdb_recover() %s it once its server can be reached.',
                                                  CASE WHEN do_commit THEN 'commits' ELSE 'rolls back' END))::@extschema@._pdb_outcome;
            ELSE
                v_status[v_p] := 'settled';
            END IF;
        END LOOP;
    END LOOP;
    FOR v_at IN 1..cardinality(v_status) LOOP
        IF v_status[v_at] = 'settled' AND do_commit THEN
            NULL;  -- committed: 'ok'
        ELSIF v_status[v_at] = 'ok' AND do_commit THEN
            -- (a task that ended its transaction itself: atomic refuses those it can see)
            v_out[v_at] := ROW('error', '40003', 'its prepared transaction was not found',
                                 'The task probably ended its transaction itself; the others committed.', NULL)::@extschema@._pdb_outcome;
        ELSIF v_status[v_at] IN ('ok', 'settled') THEN
            v_out[v_at] := ROW('rolled back', '40000', 'rolled back because another task failed (atomic)',
                                 CASE WHEN v_first IS NOT NULL THEN format('Task %s failed first.', v_first) END,
                                 NULL)::@extschema@._pdb_outcome;
        END IF;
    END LOOP;
    IF v_left THEN
        RAISE WARNING USING
            MESSAGE = format('%s: atomic call %s left prepared transactions on some targets', caller, run_id),
            DETAIL  = format('The decision is to %s them; the rows with status ''prepared'' say where.', v_verb),
            HINT    = 'Run pdb_recover() once those servers can be reached.';
    ELSE
        PERFORM @extschema@._pdb_autonomous(format(
            'DELETE FROM @extschema@.pdb_atomic_run WHERE run_id = %L RETURNING 1', run_id), NULL);
    END IF;
    PERFORM pg_advisory_unlock(c_run_space, hashtext(run_id::text));
    RETURN v_out;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_atomic_finish(name, uuid, text[], boolean, @extschema@._pdb_plan, @extschema@._pdb_outcome[], text) IS
'internal: the second phase of an atomic call: settle its prepared transactions and its tasks'' outcomes';
