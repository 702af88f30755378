/*
 * _pdb_open_pool(dblink_schema name, plan _pdb_plan, granted integer[],
 *                setup text[], call_id bigint, prefix text, isolate boolean,
 *                caller text, leave_conns text, keep boolean DEFAULT false) RETURNS _pdb_pool
 *
 * Opens the pool of each target of plan: up to granted[d] connections (see
 * _pdb_budget), fewer when the target server has fewer free connection slots
 * than that once leave_conns are left to other sessions (WARNING; see
 * _pdb_free_slots), or when the server refuses one for want of a slot
 * (53300: other sessions took them meanwhile; WARNING, the call goes on with
 * what it has). Free slots are counted on this server before the loopback's
 * first connection, elsewhere through the first connection. Connections are
 * named prefix || slot (with keep, then _pdb_kept_key of the target: they
 * may be kept for the session's next calls), set up with setup (_pdb_open)
 * and numbered slot by slot, target by target.
 * isolate false (pdb_run): a target without a free slot (53300) or a failure
 * to connect is raised. isolate true (pdb_run_at, pdb_broadcast): it is the
 * target's failure (its remaining tasks fail with it), and the other targets
 * carry on. caller names the function in messages. On an error the caller
 * closes the connections of prefix.
 */
CREATE FUNCTION @extschema@._pdb_open_pool(dblink_schema name, plan @extschema@._pdb_plan, granted integer[],
                                           setup text[], call_id bigint, prefix text, isolate boolean,
                                           caller text, leave_conns text, keep boolean DEFAULT false)
RETURNS @extschema@._pdb_pool
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pool   @extschema@._pdb_pool;
    v_conn   text[] := ARRAY[]::text[];
    v_tgt    integer[] := ARRAY[]::integer[];
    v_pid    integer[] := ARRAY[]::integer[];
    v_state  text[] := ARRAY[]::text[];
    v_slots  integer[] := array_fill(0, ARRAY[cardinality(granted)]);
    v_fail   @extschema@._pdb_outcome[] := array_fill(NULL::@extschema@._pdb_outcome, ARRAY[cardinality(granted)]);
    v_slot   integer := 0;
    v_want   integer;
    v_free   integer;
    v_k      integer;
    v_open   @extschema@._pdb_opened;
    v_none   @extschema@._pdb_outcome;  -- no slot free on the target
BEGIN
    v_none := ROW('error', '53300', 'no connection slot is free on the target server',
                  format('%s leaves %s of the server''s connections to other sessions (parallel_dblink.leave_conns).',
                         caller, leave_conns),
                  'Try again later, or lower parallel_dblink.leave_conns, or raise max_connections.')::@extschema@._pdb_outcome;
    FOR v_tg IN 1..cardinality(granted) LOOP
        v_want := granted[v_tg];
        v_free := NULL;  -- (counted again for each target)
        v_k := 0;
        WHILE v_k < v_want LOOP
            v_k := v_k + 1;
            IF v_k = 1 AND plan.masked[v_tg] IS NULL THEN  -- (the loopback)
                v_free := @extschema@._pdb_free_slots(dblink_schema, NULL, leave_conns);
            ELSIF v_k = 2 AND plan.masked[v_tg] IS NOT NULL THEN
                v_free := @extschema@._pdb_free_slots(dblink_schema, v_conn[v_slot], leave_conns) + 1;  -- + the one held
            END IF;
            IF v_k <= 2 AND v_free < v_want THEN
                IF v_free < 1 AND NOT isolate THEN
                    PERFORM @extschema@._pdb_raise(v_none.sqlstate, v_none.error, v_none.detail, v_none.hint);
                ELSIF v_free < 1 AND v_k = 1 THEN
                    v_fail[v_tg] := v_none;
                    EXIT;
                END IF;
                v_free := greatest(v_free, 1);
                PERFORM @extschema@._pdb_fewer(caller, v_free, v_want, isolate, plan.masked[v_tg],
                                               format('Only %s connection slots are free on the target server once '
                                                      '%s are left to other sessions (parallel_dblink.leave_conns).',
                                                      v_free, leave_conns));
                v_want := v_free;
            END IF;
            EXIT WHEN v_k > v_want;
            v_slot := v_slot + 1;
            v_conn[v_slot] := prefix || v_slot
                              || CASE WHEN keep THEN @extschema@._pdb_kept_key(plan.connstr[v_tg]) ELSE '' END;
            v_tgt[v_slot]  := v_tg;
            v_open := @extschema@._pdb_try_open(dblink_schema, v_conn[v_slot], plan.connstr[v_tg], setup,
                                                call_id, v_slot, false);
            v_pid[v_slot] := v_open.pid;
            IF (v_open.failure).sqlstate = '53300' AND v_slots[v_tg] > 0 THEN
                -- other sessions took the slots counted free: go on with the connections opened
                PERFORM @extschema@._pdb_fewer(caller, v_slots[v_tg], v_want, isolate, plan.masked[v_tg],
                                               'The server refused a connection for want of a free slot.');
                v_conn  := v_conn[:v_slot - 1];
                v_tgt   := v_tgt[:v_slot - 1];
                v_pid   := v_pid[:v_slot - 1];
                v_slot  := v_slot - 1;
                EXIT;
            ELSIF (v_open.failure).status IS NOT NULL AND NOT isolate THEN
                PERFORM @extschema@._pdb_raise((v_open.failure).sqlstate, (v_open.failure).error,
                                               (v_open.failure).detail, (v_open.failure).hint);
            ELSIF (v_open.failure).status IS NOT NULL THEN  -- (a composite IS NOT NULL only when every field is)
                v_state[v_slot] := 'dead';
                v_fail[v_tg]    := coalesce(v_fail[v_tg], v_open.failure);
                EXIT;
            END IF;
            v_state[v_slot] := 'idle';
            v_slots[v_tg]   := v_slots[v_tg] + 1;
        END LOOP;
    END LOOP;
    v_pool := ROW(v_conn, v_tgt, v_pid, v_state, v_slots, v_fail, NULL)::@extschema@._pdb_pool;
    RETURN v_pool;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open_pool(name, @extschema@._pdb_plan, integer[], text[], bigint, text, boolean, text, text, boolean) IS
'internal: open the connections of each target of a plan, within its budget and the servers'' free slots';
