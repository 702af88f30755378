/*
 * _pdb_launch(st _pdb_state) RETURNS _pdb_state
 *
 * The engine's first step begins here: takes the session's kept connections
 * and the connection budget, opens the rest of the pool and with atomic
 * records the run (_pdb_open_all). A call that gets
 * no connection at all (53300: no slot free on the server once
 * parallel_dblink.leave_conns are left, or the whole max_total_conns budget
 * taken) waits its turn, first come, first served, behind the calls that
 * waited before it (_pdb_wait_turn), and tries again every 100 ms, for
 * parallel_dblink.conns_wait at most (_pdb_conns_settings), then fails with
 * 53300. Returns st with its slots (s_*), targets' live connections and
 * failures, locks, and atomic run and phase filled in. On an error, what it
 * took is closed and released, and the error raised again (the caller,
 * _pdb_step, cleans up the rest and reports it).
 */
CREATE FUNCTION @extschema@._pdb_launch(st @extschema@._pdb_state)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_turn_space CONSTANT integer := 1885627492;  -- advisory lock key1 of the calls waiting for connections (_pdb_wait_turn)
    v_prefix   text := format('pdb_%s_%s_', pg_backend_pid(), st.call_id);
    v_settings record;
    v_deadline timestamptz;
    v_turn     boolean := false;  -- this call holds the turn of the waiting calls
    ex_message text;
    ex_detail  text;
BEGIN
    v_settings := @extschema@._pdb_conns_settings();
    st.throttle := @extschema@._pdb_throttle_settings();  -- (errors before anything opens)
    v_deadline := clock_timestamp() + v_settings.conns_wait;
    BEGIN
        -- calls already waiting for connections go first (first come, first served)
        IF v_settings.conns_wait > interval '0' THEN
            IF pg_try_advisory_lock(c_turn_space, 0) THEN
                PERFORM pg_advisory_unlock(c_turn_space, 0);  -- (nobody waits)
            ELSE
                PERFORM @extschema@._pdb_wait_turn(v_deadline, st.caller);
                v_turn := true;
            END IF;
        END IF;
        LOOP
            BEGIN
                st := @extschema@._pdb_open_all(st, v_prefix, v_settings.leave_conns, v_settings.keep_conns);
                EXIT;
            EXCEPTION WHEN too_many_connections THEN
                -- (_pdb_open_all closed what it opened and released its locks)
                GET STACKED DIAGNOSTICS ex_message = MESSAGE_TEXT, ex_detail = PG_EXCEPTION_DETAIL;
                IF clock_timestamp() >= v_deadline THEN
                    RAISE EXCEPTION USING ERRCODE = 'too_many_connections', MESSAGE = ex_message,
                        DETAIL = concat_ws(' ', nullif(ex_detail, ''),
                                           CASE WHEN v_settings.conns_wait > interval '0' THEN
                                                format('%s waited parallel_dblink.conns_wait (%s) for it.',
                                                       st.caller, v_settings.conns_wait) END),
                        HINT   = 'Try again later, raise parallel_dblink.conns_wait, lower max_conns or '
                                 'parallel_dblink.leave_conns, or raise max_connections or max_total_conns.';
                END IF;
                IF NOT v_turn THEN
                    PERFORM @extschema@._pdb_wait_turn(v_deadline, st.caller);
                    v_turn := true;
                ELSE
                    PERFORM pg_sleep(0.1);
                END IF;
                -- (the sessions a transaction sees in pg_stat_activity are read once: count them again)
                PERFORM pg_stat_clear_snapshot();
            END;
        END LOOP;
        IF v_turn THEN
            PERFORM pg_advisory_unlock(c_turn_space, 0);
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        IF v_turn THEN
            PERFORM pg_advisory_unlock(c_turn_space, 0);
        END IF;
        RAISE;
    END;
    RETURN st;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_launch(@extschema@._pdb_state) IS
'internal: the first step of a call of the engine: budget, pool, atomic record';
