/*
 * _pdb_lean_run(conns text[], tasks text[]) RETURNS SETOF pdb_result
 *
 * A small pdb_run the short way (see _pdb_lean_take, which chose conns):
 * task i is sent at once on conns[i] (_pdb_lean_send), each is read as soon
 * as it is done (_pdb_lean_wait, which cancels a task the caller blocks:
 * its outcome is _pdb_blocked's), and its connection kept again
 * (_pdb_lean_end; one whose worker went away is closed). One outcome per
 * task, in task order, as the engine writes it: result is the first column
 * of the first row, or the command's tag; a task's error is its outcome
 * (classified by _pdb_result_error). An error or a cancel of the call closes every
 * connection and is raised.
 */
CREATE FUNCTION @extschema@._pdb_lean_run(conns text[], tasks text[])
RETURNS SETOF @extschema@.pdb_result
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound   CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    c_ok      CONSTANT @extschema@._pdb_outcome := ROW('ok', NULL, NULL, NULL, NULL);
    v_reset   text := @extschema@._pdb_kept_reset(@extschema@._pdb_time_setting('parallel_dblink.keep_conns', '0', NULL));
    v_done    boolean[] := array_fill(false, ARRAY[cardinality(conns)]);
    v_gone    text[] := ARRAY[]::text[];
    v_start   timestamptz[];
    v_blocked integer[] := ARRAY[]::integer[];  -- tasks cancelled because they waited for the caller, ...
    v_pids    integer[] := ARRAY[]::integer[];  -- ... and their workers
    v_i       integer;
    v_value   text;
    v_out     @extschema@._pdb_outcome;
    v_kind    text;
    v_lost    boolean;
    v_rows    @extschema@.pdb_result[] := array_fill(NULL::@extschema@.pdb_result, ARRAY[cardinality(conns)]);
    v_row     @extschema@.pdb_result;
    ex_state  text;
    ex_msg    text;
    ex_detail text;
    ex_hint   text;
    ex_ctx    text;
BEGIN
    BEGIN
        v_start := @extschema@._pdb_lean_send(conns, tasks);
        LOOP
            SELECT w.ready, v_blocked || w.blocked, v_pids || w.pids INTO v_i, v_blocked, v_pids
              FROM @extschema@._pdb_lean_wait(conns, v_done) AS w;
            EXIT WHEN v_i IS NULL;
            v_lost := false;
            BEGIN
                SELECT r.v INTO v_value FROM "@dblink@".dblink_get_result(conns[v_i], true) AS r(v text) LIMIT 1;
                v_out := c_ok;
            EXCEPTION WHEN query_canceled OR others THEN  -- (a cancel of this session goes on up: kind NULL)
                GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_msg = MESSAGE_TEXT,
                                        ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT,
                                        ex_ctx = PG_EXCEPTION_CONTEXT;
                SELECT e.kind, e.lost INTO v_kind, v_lost
                  FROM @extschema@._pdb_result_error(c_bound, conns[v_i], ex_state, ex_ctx) AS e;
                IF v_kind IS NULL THEN
                    RAISE;
                END IF;
                v_value := NULL;  -- ('novalue': rows of several columns)
                v_out := CASE WHEN v_kind = 'error'
                              THEN ROW('error', ex_state, ex_msg, ex_detail, ex_hint)::@extschema@._pdb_outcome
                              ELSE c_ok END;
            END;
            IF v_i = ANY (v_blocked) THEN  -- (cancelled: it waited for the caller)
                v_out := @extschema@._pdb_blocked(v_i, v_pids[array_position(v_blocked, v_i)]);
                v_value := NULL;
            END IF;
            v_rows[v_i] := ROW(v_i, v_out.status, v_value, v_out.sqlstate, v_out.error, v_start[v_i],
                               clock_timestamp(), v_out.detail, v_out.hint, conns[v_i], 1,
                               tasks[v_i])::@extschema@.pdb_result;
            IF v_lost OR NOT @extschema@._pdb_lean_end(conns[v_i], v_reset) THEN
                v_gone := v_gone || conns[v_i];
            END IF;
            v_done[v_i] := true;
        END LOOP;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_lean_close(c_bound, conns);
        RAISE;
    END;
    IF cardinality(v_gone) > 0 THEN
        PERFORM @extschema@._pdb_lean_close(c_bound, v_gone);
    END IF;
    FOREACH v_row IN ARRAY v_rows LOOP  -- (in task order, as the engine gives them)
        RETURN NEXT v_row;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_run(text[], text[]) IS
'internal: a small pdb_run on kept connections without the engine: one task each, sent at once';
