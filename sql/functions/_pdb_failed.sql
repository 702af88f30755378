/*
 * _pdb_failed(st _pdb_state, counted boolean, task_ids integer[]) RETURNS void
 *
 * Raises the error of the task of a finished call that failed first (by
 * the time it ended; tasks cancelled, skipped or rolled back because of
 * another's failure do not count as first) with its SQLSTATE, detail and
 * hint, the message naming the task: '<caller> task 3: division by zero'
 * (pdb_query), or with counted '<caller>: 2 of 5 tasks failed; task 3:
 * division by zero' (strict). task_ids: the tasks' numbers to name, by task
 * number (a job's task ids); NULL: the task numbers. Returns when no task
 * failed.
 */
CREATE FUNCTION @extschema@._pdb_failed(st @extschema@._pdb_state, counted boolean, task_ids integer[])
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_p      integer;
    v_o      @extschema@._pdb_outcome;
    v_no     integer;
    v_failed integer;
BEGIN
    v_p := (SELECT x.p FROM generate_series(1, cardinality(st.r_out)) AS x(p)
             WHERE (st.r_out[x.p]).status NOT IN ('ok', 'cancelled', 'skipped', 'rolled back')
             ORDER BY st.r_end[x.p] NULLS LAST, x.p LIMIT 1);
    IF v_p IS NULL THEN
        RETURN;
    END IF;
    v_o  := st.r_out[v_p];
    v_no := (st.plan).task_no[v_p];
    v_no := coalesce(task_ids[v_no], v_no);
    v_failed := (SELECT count(*)::integer FROM unnest(st.r_out) AS o WHERE o.status <> 'ok');
    PERFORM @extschema@._pdb_raise(coalesce(v_o.sqlstate, 'XX000'),
                                   CASE WHEN counted
                                        THEN format('%s: %s of %s tasks failed; task %s: %s', st.caller, v_failed,
                                                    cardinality(st.r_out), v_no, v_o.error)
                                        ELSE format('%s task %s: %s', st.caller, v_no, v_o.error) END,
                                   v_o.detail, v_o.hint);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_failed(@extschema@._pdb_state, boolean, integer[]) IS
'internal: raise the error of the task of a finished call that failed first, naming it';
