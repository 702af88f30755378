/*
 * _pdb_finish(st _pdb_state) RETURNS _pdb_state
 *
 * The last phase of a call of the engine, once every task is settled: closes
 * the pool, or, with parallel_dblink.keep_conns, keeps its connections for
 * the session's next calls (_pdb_keep) with one of the budget's locks each;
 * with atomic records the decision to commit durably when every
 * task prepared, then commits or rolls back every prepared transaction
 * (_pdb_atomic_finish; the results of tasks rolled back are cleared);
 * releases the budget's locks; then in query mode (a query returns all its
 * rows or fails) and with strict raises the error of the task that failed
 * first, naming it (_pdb_failed). Returns st with the final outcomes. On
 * an error it cleans up by the atomic phase reached (_pdb_abort: a decision
 * to commit is carried out as far as it can be, pdb_recover settles the
 * rest) and raises it again.
 * Errors: the failed task's, in query mode and with strict; 08007 the
 * record of an atomic call is missing or already decided.
 */
CREATE FUNCTION @extschema@._pdb_finish(st @extschema@._pdb_state)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns (_pdb_budget)
    v_commit boolean;
    v_out    @extschema@._pdb_outcome[];
    v_result text[];
    v_live   text[];
    v_kept   integer := 0;
    v_keyed  text[];
BEGIN
    BEGIN
        v_live := ARRAY(SELECT st.s_conn[i] FROM generate_series(1, cardinality(st.s_conn)) AS i
                         WHERE st.s_state[i] NOT IN ('dead', 'closed'));
        -- (the first step named the connections to be kept so, if keep_conns asked for it: see _pdb_open_pool)
        v_keyed := @extschema@._pdb_kept_conns(st.dbl);
        IF v_live && v_keyed THEN
            v_kept := @extschema@._pdb_keep(st.dbl, v_live, v_keyed, (@extschema@._pdb_conns_settings()).keep_conns);
        ELSE
            PERFORM @extschema@._pdb_close(st.dbl, v_live, false, true);
        END IF;
        IF st.atomic THEN
            -- commit only if every task prepared, and only once that decision is durable
            v_commit := NOT EXISTS (SELECT FROM unnest(st.r_out) AS o WHERE o.status IS DISTINCT FROM 'ok');
            IF v_commit THEN
                st.phase := 'deciding';
                IF @extschema@._pdb_autonomous(format(
                       'SET synchronous_commit = on; UPDATE @extschema@.pdb_atomic_run '
                       'SET decision = ''commit'', decided_at = clock_timestamp() '
                       'WHERE run_id = %L AND decision IS NULL RETURNING decision', st.run), NULL) IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'transaction_resolution_unknown',
                        MESSAGE = format('the record of atomic call %s is missing or already decided', st.run),
                        HINT    = 'pdb_recover() settles its prepared transactions.';
                END IF;
            END IF;
            st.phase := CASE WHEN v_commit THEN 'commit' ELSE 'rollback' END;
            -- (on a connection of its own to each target: pool connections may still be draining a reset)
            v_out    := @extschema@._pdb_atomic_finish(st.dbl, st.run, st.d_sent, v_commit, st.plan, st.r_out, st.caller);
            v_result := st.r_result;
            FOR v_t IN 1..cardinality(v_out) LOOP
                IF (v_out[v_t]).status = 'rolled back' THEN
                    v_result[v_t] := NULL;  -- (its work did not take effect)
                END IF;
            END LOOP;
            -- (whole fields: plpgsql_check 1.15 crashes the server on an element of a field assigned)
            st.r_out    := v_out;
            st.r_result := v_result;
            st.phase := NULL;
            st.run   := NULL;  -- (its lock is released)
        END IF;
        -- (a kept connection keeps one of them)
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(st.locks[v_kept + 1:]) AS l;
        st.locks    := ARRAY[]::integer[];
        st.finished := true;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_abort(st.dbl, format('pdb_%s_%s_', pg_backend_pid(), st.call_id), st.phase, st.run,
                                       st.d_sent, st.locks, st.s_conn);
        RAISE;
    END;
    -- (past the cleanup, which is done: the connections kept are clean)
    IF st.query OR st.strict_call THEN
        PERFORM @extschema@._pdb_failed(st, st.strict_call, NULL);
    END IF;
    RETURN st;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_finish(@extschema@._pdb_state) IS
'internal: the last phase of a call of the engine: close, raise a query''s failure, settle atomic, release';
