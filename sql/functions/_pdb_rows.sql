/*
 * _pdb_rows(st _pdb_state, task_ids integer[] DEFAULT NULL) RETURNS SETOF pdb_target_result
 *
 * The outcome of every task of a finished call of the engine, one row per
 * task in task order (the columns of pdb_run's rows, then target: the
 * task's target with passwords masked, NULL for this database); with
 * task_ids, of those tasks (by number), in that order. No rows for a NULL
 * state (a call without tasks).
 */
CREATE FUNCTION @extschema@._pdb_rows(st @extschema@._pdb_state, task_ids integer[] DEFAULT NULL)
RETURNS SETOF @extschema@.pdb_target_result
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pos    integer[] := (st.plan).pos;
    v_tgt    integer[] := (st.plan).tgt;
    v_masked text[] := (st.plan).masked;
    v_out    @extschema@._pdb_outcome[] := st.r_out;
    v_result text[] := st.r_result;
    v_start  timestamptz[] := st.r_start;
    v_end    timestamptz[] := st.r_end;
    v_conn   text[] := st.r_conn;
    v_tries  integer[] := st.r_attempts;
    v_given  text[] := st.given;
    v_id     integer;
    v_p      integer;
    v_o      @extschema@._pdb_outcome;
    v_row    @extschema@.pdb_target_result;
BEGIN
    -- read from each task's position (RETURN NEXT by index: about a quarter of
    -- the time of unnesting the arrays and sorting)
    FOR v_k IN 1..coalesce(cardinality(task_ids), cardinality(v_pos), 0) LOOP
        v_id := coalesce(task_ids[v_k], v_k);
        v_p := v_pos[v_id];
        v_o := v_out[v_p];
        -- one assignment, then RETURN NEXT of the variable (pgspot cannot parse RETURN NEXT ROW(...))
        v_row := ROW(v_id, v_o.status, v_result[v_p], v_o.sqlstate, v_o.error, v_start[v_p], v_end[v_p],
                     v_o.detail, v_o.hint, v_conn[v_p], v_tries[v_p], v_given[v_id], v_masked[v_tgt[v_p]]
                    )::@extschema@.pdb_target_result;
        RETURN NEXT v_row;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_rows(@extschema@._pdb_state, integer[]) IS
'internal: the outcome rows of a finished call of the engine, in task order';
