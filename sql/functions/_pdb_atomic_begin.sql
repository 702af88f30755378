/*
 * _pdb_atomic_begin(dblink_schema name, plan _pdb_plan, pool _pdb_pool) RETURNS uuid
 *
 * The start of an atomic call, before any task runs: every target must allow
 * all its tasks prepared at once (max_prepared_transactions, read through an
 * open connection of the pool); then the call gets a run id, takes the
 * session advisory lock (key1 1885627491, key2 hashtext(run id)) that tells
 * pdb_recover it is alive, and is recorded in pdb_atomic_run through a
 * connection of its own (_pdb_autonomous), so that the record outlives a
 * rollback of the caller. Returns the run id; the caller releases the lock
 * (this function does, when the record cannot be written).
 * Errors: 55000 a target allows too few prepared transactions.
 */
CREATE FUNCTION @extschema@._pdb_atomic_begin(dblink_schema name, plan @extschema@._pdb_plan,
                                              pool @extschema@._pdb_pool)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_run_space CONSTANT integer := 1885627491;
    v_run       uuid := gen_random_uuid();
    v_allowed   integer;
    v_tg        integer;
    v_there     integer;
BEGIN
    FOR v_slot IN 1..cardinality(pool.conn) LOOP
        CONTINUE WHEN pool.state[v_slot] <> 'idle';
        v_tg    := pool.tgt[v_slot];
        v_there := plan.last_pos[v_tg] - plan.first_pos[v_tg] + 1;
        EXECUTE format('SELECT m.v FROM %I.dblink($1, $2) AS m(v integer)', dblink_schema) INTO v_allowed
            USING pool.conn[v_slot], 'SELECT current_setting(''max_prepared_transactions'')::integer';
        IF v_allowed < v_there THEN
            RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = CASE WHEN v_allowed = 0
                               THEN format('target %s does not allow prepared transactions',
                                           coalesce(plan.masked[v_tg], 'NULL (this database)'))
                               ELSE format('target %s allows fewer prepared transactions than the call has tasks there',
                                           coalesce(plan.masked[v_tg], 'NULL (this database)')) END,
                DETAIL  = format('Its max_prepared_transactions is %s; atomic => true keeps each of the %s '
                                 'tasks there prepared until all have prepared.', v_allowed, v_there),
                HINT    = 'Raise max_prepared_transactions on that server (it needs a restart), or run '
                          'fewer tasks there in one atomic call.';
        END IF;
    END LOOP;
    PERFORM pg_advisory_lock(c_run_space, hashtext(v_run::text));
    BEGIN
        PERFORM @extschema@._pdb_autonomous(format(
            'INSERT INTO @extschema@.pdb_atomic_run (run_id, coordinator_pid, targets, tasks) '
            'VALUES (%L, %s, %L, %s) RETURNING 1', v_run, pg_backend_pid(), plan.masked, cardinality(plan.tasks)),
            NULL);
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM pg_advisory_unlock(c_run_space, hashtext(v_run::text));  -- (a session lock outlives the error)
        RAISE;
    END;
    RETURN v_run;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_atomic_begin(name, @extschema@._pdb_plan, @extschema@._pdb_pool) IS
'internal: check the targets of an atomic call, record it and take its lock';
