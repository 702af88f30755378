/*
 * _pdb_open_pool(dblink_schema name, plan _pdb_plan, granted integer[],
 *                setup text[], call_id bigint, prefix text, isolate boolean,
 *                caller text) RETURNS _pdb_pool
 *
 * Opens the pool of each target of plan: up to granted[d] connections (see
 * _pdb_budget), fewer when the target server has fewer free connection slots
 * than that once c_margin are left to other sessions (WARNING). Free slots are
 * counted on this server before the loopback's first connection, elsewhere
 * through the first connection. Connections are named prefix || slot, set up
 * with setup (_pdb_open) and numbered slot by slot, target by target.
 * isolate false (pdb_run): a target without a free slot (53300) or a failure
 * to connect is raised. isolate true (pdb_run_at, pdb_broadcast): it is the
 * target's failure (its remaining tasks fail with it), and the other targets
 * carry on. caller names the function in messages. On an error the caller
 * closes the connections of prefix.
 */
CREATE FUNCTION @extschema@._pdb_open_pool(dblink_schema name, plan @extschema@._pdb_plan, granted integer[],
                                           setup text[], call_id bigint, prefix text, isolate boolean,
                                           caller text)
RETURNS @extschema@._pdb_pool
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_margin CONSTANT integer := 2;  -- connection slots always left to other sessions
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
BEGIN
    FOR v_tg IN 1..cardinality(granted) LOOP
        v_want := granted[v_tg];
        v_free := NULL;  -- (counted again for each target)
        v_k := 0;
        WHILE v_k < v_want LOOP
            v_k := v_k + 1;
            IF v_k = 1 AND plan.masked[v_tg] IS NULL THEN  -- (the loopback)
                v_free := @extschema@._pdb_free_slots(dblink_schema, NULL) - c_margin;
            ELSIF v_k = 2 AND plan.masked[v_tg] IS NOT NULL THEN
                v_free := @extschema@._pdb_free_slots(dblink_schema, v_conn[v_slot]) - c_margin + 1;  -- + the one held
            END IF;
            IF v_k <= 2 AND v_free < v_want THEN
                IF v_free < 1 AND NOT isolate THEN
                    RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
                        MESSAGE = 'no connection slot is free on the target server',
                        DETAIL  = format('%s leaves %s slots to other sessions.', caller, c_margin),
                        HINT    = 'Try again later, or raise max_connections or the connection limits.';
                ELSIF v_free < 1 AND v_k = 1 THEN
                    v_fail[v_tg] := ROW('error', '53300', 'no connection slot is free on the target server',
                                                format('%s leaves %s slots to other sessions.', caller, c_margin),
                                                NULL)::@extschema@._pdb_outcome;
                    EXIT;
                END IF;
                v_free := greatest(v_free, 1);
                RAISE WARNING USING
                    MESSAGE = format('%s uses %s connections instead of %s%s', caller, v_free, v_want,
                                     CASE WHEN isolate THEN ' on target ' || coalesce(plan.masked[v_tg], 'NULL (this database)') END),
                    DETAIL  = format('Only %s connection slots are free on the target server once %s are left '
                                     'to other sessions.', v_free, c_margin);
                v_want := v_free;
            END IF;
            EXIT WHEN v_k > v_want;
            v_slot := v_slot + 1;
            v_conn[v_slot] := prefix || v_slot;
            v_tgt[v_slot]  := v_tg;
            v_open := @extschema@._pdb_try_open(dblink_schema, v_conn[v_slot], plan.connstr[v_tg], setup,
                                                call_id, v_slot, NOT isolate);
            v_pid[v_slot] := v_open.pid;
            IF (v_open.failure).status IS NOT NULL THEN  -- (a composite IS NOT NULL only when every field is)
                v_state[v_slot] := 'dead';
                v_fail[v_tg]    := coalesce(v_fail[v_tg], v_open.failure);
                EXIT;
            END IF;
            v_state[v_slot] := 'idle';
            v_slots[v_tg]   := v_slots[v_tg] + 1;
        END LOOP;
    END LOOP;
    v_pool := ROW(v_conn, v_tgt, v_pid, v_state, v_slots, v_fail)::@extschema@._pdb_pool;
    RETURN v_pool;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open_pool(name, @extschema@._pdb_plan, integer[], text[], bigint, text, boolean, text) IS
'internal: open the connections of each target of a plan, within its budget and the servers'' free slots';
