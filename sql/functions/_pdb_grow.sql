/*
 * _pdb_grow(st _pdb_state, more integer[], prefix text, OUT pool _pdb_pool)
 *
 * More connections for a running call (pdb_set_conns raised its number):
 * more[d] for target d, within the connection budget (_pdb_budget) and the
 * free slots of each server (_pdb_open_pool, as isolated targets: a target
 * that cannot be reached keeps the connections it has). The new connections
 * are named prefix || n; pool.locks are the budget's locks they hold. Whatever
 * fails is a WARNING, never the call's failure: the call goes on with the
 * connections it had (pool NULL).
 */
CREATE FUNCTION @extschema@._pdb_grow(st @extschema@._pdb_state, more integer[], prefix text,
                                      OUT pool @extschema@._pdb_pool)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- the budget's advisory locks (_pdb_budget)
    v_locks   integer[] := ARRAY[]::integer[];
    v_granted integer[];
    v_kept    integer;
    e_message text;
BEGIN
    BEGIN
        -- (the locks this session holds already, the call's and its kept connections', are not new ones)
        SELECT b.locks, b.granted INTO v_locks, v_granted
          FROM @extschema@._pdb_budget(more, st.caller, @extschema@._pdb_budget_held()) AS b;
        pool := @extschema@._pdb_open_pool(st.dbl, st.plan, v_granted, st.setup, st.call_id, prefix, true,
                                           st.caller, (@extschema@._pdb_conns_settings()).leave_conns);
        v_kept := (SELECT coalesce(sum(k), 0)::integer FROM unnest(pool.slots) AS k);
        pool.locks := v_locks[:v_kept];  -- (none while the setting is unset; else one per connection kept)
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks[v_kept + 1:]) AS l;
    EXCEPTION WHEN others THEN  -- (not a cancel: that ends the call)
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT;
        PERFORM @extschema@._pdb_abort(st.dbl, prefix, NULL, NULL, NULL, v_locks);
        RAISE WARNING USING MESSAGE = format('%s could not open more connections: %s', st.caller, e_message);
        pool := NULL;
    END;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_grow(@extschema@._pdb_state, integer[], text) IS
'internal: more connections for a running call, within the budget and the free slots; a WARNING when it cannot';
