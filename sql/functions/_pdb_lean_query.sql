/*
 * _pdb_lean_query(conns text[], tasks text[], row_type anyelement, caller text)
 *     RETURNS SETOF anyelement
 *
 * A small pdb_query or pdb_query_at the short way (see _pdb_lean_take,
 * which chose conns): task i is sent at once on conns[i] (_pdb_lean_send),
 * the rows of each are read as row_type as soon as it is done
 * (_pdb_lean_wait, which cancels a task the caller blocks: its failure is
 * _pdb_blocked's), and each connection is then kept again (_pdb_lean_end).
 * The first failure is raised as the engine raises it, naming the task (its
 * error, or _pdb_shape_error), and every connection is closed; so is it on
 * an error or a cancel of the call, raised as it is.
 * Errors: the failed task's.
 */
CREATE FUNCTION @extschema@._pdb_lean_query(conns text[], tasks text[], row_type anyelement,
                                            caller text)
RETURNS SETOF anyelement
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound   CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    v_sql     text := format('SELECT * FROM "@dblink@".dblink_get_result($1, true) AS r(%s)',
                             @extschema@._pdb_columns(pg_typeof(row_type), caller));
    v_reset   text := @extschema@._pdb_kept_reset(@extschema@._pdb_time_setting('parallel_dblink.keep_conns', '0', NULL));
    v_done    boolean[] := array_fill(false, ARRAY[cardinality(conns)]);
    v_gone    text[] := ARRAY[]::text[];
    v_cur     integer;
    v_blocked integer[] := ARRAY[]::integer[];  -- tasks cancelled because they waited for the caller, ...
    v_pids    integer[] := ARRAY[]::integer[];  -- ... and their workers
    v_kind    text;
    v_out     @extschema@._pdb_outcome;
    ex_state  text;
    ex_msg    text;
    ex_detail text;
    ex_hint   text;
    ex_ctx    text;
BEGIN
    BEGIN
        PERFORM @extschema@._pdb_lean_send(conns, tasks);
        LOOP
            v_cur := NULL;  -- (an error while none is read is the call's)
            SELECT w.ready, v_blocked || w.blocked, v_pids || w.pids INTO v_cur, v_blocked, v_pids
              FROM @extschema@._pdb_lean_wait(conns, v_done) AS w;
            EXIT WHEN v_cur IS NULL;
            RETURN QUERY EXECUTE v_sql USING conns[v_cur];
            IF NOT @extschema@._pdb_lean_end(conns[v_cur], v_reset) THEN
                v_gone := v_gone || conns[v_cur];
            END IF;
            v_done[v_cur] := true;
        END LOOP;
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_msg = MESSAGE_TEXT, ex_detail = PG_EXCEPTION_DETAIL,
                                ex_hint = PG_EXCEPTION_HINT, ex_ctx = PG_EXCEPTION_CONTEXT;
        IF v_cur IS NOT NULL THEN
            -- reading task v_cur's rows failed: as the engine, the task's error, unless a cancel of this
            -- session (see _pdb_step)
            SELECT e.kind INTO v_kind
              FROM @extschema@._pdb_result_error(c_bound, conns[v_cur], ex_state, ex_ctx) AS e;
            IF v_cur = ANY (v_blocked) THEN  -- (cancelled: it waited for the caller)
                v_out := @extschema@._pdb_blocked(v_cur, v_pids[array_position(v_blocked, v_cur)]);
            ELSIF coalesce(v_kind, 'novalue') = 'novalue' AND ex_state = '42804' THEN
                v_out := @extschema@._pdb_shape_error(c_bound, conns[v_cur], tasks[v_cur], pg_typeof(row_type),
                                                      caller);
            ELSIF v_kind = 'error' OR ex_state <> '57014' THEN
                v_out := ROW('error', ex_state, ex_msg, ex_detail, ex_hint)::@extschema@._pdb_outcome;
            END IF;
        END IF;
        PERFORM @extschema@._pdb_lean_close(c_bound, conns);
        IF v_out.status = 'error' THEN
            PERFORM @extschema@._pdb_raise(v_out.sqlstate, format('%s task %s: %s', caller, v_cur, v_out.error),
                                           v_out.detail, v_out.hint);
        END IF;
        RAISE;
    END;
    IF cardinality(v_gone) > 0 THEN
        PERFORM @extschema@._pdb_lean_close(c_bound, v_gone);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_query(text[], text[], anyelement, text) IS
'internal: a small pdb_query on kept connections without the engine: one task each, sent at once';
