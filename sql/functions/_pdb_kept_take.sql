/*
 * _pdb_kept_take(dblink_schema name, plan _pdb_plan, setup text[], keep interval)
 *     RETURNS _pdb_pool
 *
 * The kept connections a call starts with (parallel_dblink.keep_conns =
 * keep, see _pdb_keep): for each target of plan, up to plan.wanted of the
 * session's kept connections whose name ends with the key of that target
 * and the calling role (_pdb_kept_key), each once the result of its reset
 * is read (_pdb_kept_ready), prepared as a new one is (_pdb_prepare with
 * kept, then setup). A kept connection that fails that (its idle time ran
 * out and its worker ended, its server restarted, a transaction was left
 * open on it, or a call was cut short before it could reset it) is closed
 * and left out: the call opens a new one instead.
 * With keep 0 every kept connection is closed and none taken.
 * Returns the connections taken, slot by slot, target by target, state
 * 'idle'; slots per target; locks: under parallel_dblink.max_total_conns,
 * the budget's locks the session holds for its kept connections, first one
 * per connection taken (they are the call's now), then those of the
 * connections still kept (the call must not take them again); locks beyond
 * the kept connections are given back.
 */
CREATE FUNCTION @extschema@._pdb_kept_take(dblink_schema name, plan @extschema@._pdb_plan, setup text[],
                                           keep interval)
RETURNS @extschema@._pdb_pool
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_nt    integer := cardinality(plan.wanted);
    v_kept  text[] := @extschema@._pdb_kept_conns(dblink_schema);
    v_conn  text[] := ARRAY[]::text[];
    v_tgt   integer[] := ARRAY[]::integer[];
    v_pid   integer[] := ARRAY[]::integer[];
    v_slots integer[] := array_fill(0, ARRAY[v_nt]);
    v_ours  integer[] := ARRAY[]::integer[];
    v_had   integer := cardinality(v_kept);
    v_key   text;
    v_name  text;
    v_ready record;
BEGIN
    IF cardinality(v_kept) > 0 AND keep = interval '0' THEN
        PERFORM @extschema@._pdb_close(dblink_schema, v_kept, false, true);
        v_kept := ARRAY[]::text[];
    END IF;
    FOR v_tg IN 1..v_nt LOOP
        EXIT WHEN cardinality(v_kept) = 0;
        v_key := @extschema@._pdb_kept_key(plan.connstr[v_tg]);
        FOREACH v_name IN ARRAY ARRAY(SELECT c FROM unnest(v_kept) AS c WHERE right(c, 18) = v_key
                                        LIMIT plan.wanted[v_tg]) LOOP
            v_kept := array_remove(v_kept, v_name);
            BEGIN
                PERFORM @extschema@._pdb_kept_ready(dblink_schema, v_name);
                v_ready := @extschema@._pdb_prepare(dblink_schema, v_name, setup, true);
                v_conn := v_conn || v_name;
                v_tgt  := v_tgt || v_tg;
                v_pid  := v_pid || CASE WHEN v_ready.local THEN v_ready.pid END;
                v_slots[v_tg] := v_slots[v_tg] + 1;
            EXCEPTION WHEN others THEN  -- (gone, or not clean: a new connection replaces it)
                PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[v_name], true);
            END;
        END LOOP;
    END LOOP;
    IF nullif(current_setting('parallel_dblink.max_total_conns', true), '') IS NOT NULL
       AND (keep > interval '0' OR v_had > 0) THEN
        -- the budget's locks this session holds are its kept connections' (no call of it runs now)
        v_ours := @extschema@._pdb_budget_trim(cardinality(v_conn) + cardinality(v_kept));
    END IF;
    RETURN ROW(v_conn, v_tgt, v_pid, array_fill('idle'::text, ARRAY[cardinality(v_conn)]), v_slots,
               array_fill(NULL::@extschema@._pdb_outcome, ARRAY[v_nt]), v_ours)::@extschema@._pdb_pool;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_kept_take(name, @extschema@._pdb_plan, text[], interval) IS
'internal: the kept connections a call starts with, reset and prepared; the budget''s locks they hold';
