/*
 * _pdb_open_all(st _pdb_state, prefix text, leave_conns text, keep interval) RETURNS _pdb_state
 *
 * One try at what a call needs before its tasks run: the session's kept
 * connections for its targets (_pdb_kept_take, parallel_dblink.keep_conns =
 * keep), the connection budget for the rest (_pdb_budget), the pool
 * (_pdb_kept_take's, then _pdb_open_pool's: new connections named prefix ||
 * slot, leave_conns left to other sessions), the budget's locks beyond the
 * connections opened given back, and with atomic the record of the run
 * (_pdb_atomic_begin). Returns st with its slots (s_*), targets' live
 * connections and failures, locks, and atomic run and phase filled in.
 * On an error it closes what it opened or took and releases its locks, then raises
 * it again (53300 when no connection could be had: _pdb_launch may try
 * again).
 */
CREATE FUNCTION @extschema@._pdb_open_all(st @extschema@._pdb_state, prefix text, leave_conns text, keep interval)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns (_pdb_budget)
    v_budget record;
    v_kept   @extschema@._pdb_pool;
    v_nk     integer;
    v_pool   @extschema@._pdb_pool;
    v_ns     integer;
    v_held   integer;
BEGIN
    v_kept := @extschema@._pdb_kept_take(st.dbl, st.plan, st.setup, keep);
    v_nk := cardinality(v_kept.conn);
    st.locks := v_kept.locks[:v_nk];  -- (those of the kept connections taken; the rest stay theirs)
    BEGIN
        v_budget := @extschema@._pdb_budget(ARRAY(SELECT w - k FROM unnest((st.plan).wanted, v_kept.slots) AS x(w, k)),
                                            st.caller, v_kept.locks);  -- (none of them is a new one)
        st.locks := st.locks || v_budget.locks;
        v_pool := @extschema@._pdb_open_pool(st.dbl, st.plan, v_budget.granted, st.setup, st.call_id, prefix,
                                             st.isolate_targets, st.caller, leave_conns, keep > interval '0');
        v_ns := v_nk + cardinality(v_pool.conn);
        st.s_conn    := v_kept.conn || v_pool.conn;
        st.s_tgt     := v_kept.tgt || v_pool.tgt;
        st.s_pid     := v_kept.pid || v_pool.pid;
        st.s_state   := v_kept.state || v_pool.state;
        st.d_slots   := ARRAY(SELECT k + n FROM unnest(v_kept.slots, v_pool.slots) AS x(k, n));
        st.d_failure := v_pool.failure;
        st.s_task    := array_fill(0, ARRAY[v_ns]);
        st.s_gen     := st.s_task;
        st.s_zero    := st.s_task;
        st.s_nres    := st.s_task;
        st.s_first   := array_fill(NULL::integer, ARRAY[v_ns]);
        st.s_last    := st.s_first;
        st.s_exec    := array_fill(false, ARRAY[v_ns]);
        st.s_again   := st.s_exec;
        st.s_failed  := st.s_exec;
        st.s_reason  := array_fill(NULL::text, ARRAY[v_ns]);
        st.s_since   := array_fill(NULL::timestamptz, ARRAY[v_ns]);
        st.s_started := st.s_since;
        st.s_look    := st.s_since;
        st.s_gap     := array_fill(NULL::interval, ARRAY[v_ns]);
        st.s_rest    := st.s_since;
        st.s_label   := st.s_reason;
        -- locks beyond the connections opened go back
        v_held := (SELECT sum(k)::integer FROM unnest(st.d_slots) AS k);
        IF cardinality(st.locks) > v_held THEN
            PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(st.locks[v_held + 1:]) AS l;
            st.locks := st.locks[:v_held];
        END IF;
        IF st.atomic THEN
            st.run   := @extschema@._pdb_atomic_begin(st.dbl, st.plan, v_pool);
            st.phase := 'run';
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_abort(st.dbl, prefix, NULL, NULL, NULL, st.locks, v_kept.conn);
        RAISE;
    END;
    RETURN st;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open_all(@extschema@._pdb_state, text, text, interval) IS
'internal: one try at the kept connections, the budget, the pool and the atomic record of a call';
