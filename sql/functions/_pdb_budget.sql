/*
 * _pdb_budget(wanted integer[], caller text, held integer[] DEFAULT '{}',
 *             OUT locks integer[], OUT granted integer[])
 *
 * The connection budget of parallel_dblink.max_total_conns: all pdb_run calls
 * of the database hold that many connections at most together, each
 * connection one session advisory lock (key1 1885627490, key2 1..the
 * setting). wanted is the connections each target can use; granted is what
 * it gets: all of them while the setting is unset; else, when fewer locks are
 * free, they are shared out a connection to each target in turn (WARNING).
 * locks are the keys taken; the caller gives back those it does not use, and
 * all of them when it ends (session locks outlive a rollback). held: keys
 * this session holds already (its kept connections', _pdb_kept_take; a
 * growing call's own, _pdb_grow), not taken again (a session's advisory
 * lock can be taken twice, and would count twice). A target that wants
 * nothing (its kept connections are enough) gets nothing.
 * Errors: 22023 the setting is not a positive integer; 53300 fewer locks are
 * free than there are targets that want a connection.
 */
CREATE FUNCTION @extschema@._pdb_budget(wanted integer[], caller text, held integer[] DEFAULT ARRAY[]::integer[],
                                        OUT locks integer[], OUT granted integer[])
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;
    v_cap_text   text := nullif(current_setting('parallel_dblink.max_total_conns', true), '');
    v_want       integer := (SELECT sum(w)::integer FROM unnest(wanted) AS w);
    v_nt         integer := (SELECT count(*)::integer FROM unnest(wanted) AS w WHERE w > 0);
    v_left       integer;
BEGIN
    locks   := ARRAY[]::integer[];
    granted := wanted;
    IF v_cap_text IS NULL THEN
        RETURN;
    END IF;
    IF v_cap_text !~ '^[0-9]{1,9}$' OR v_cap_text::integer < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.max_total_conns must be a positive integer',
            DETAIL  = format('It is "%s".', v_cap_text);
    END IF;
    -- (no more locks can matter than there can be connections)
    FOR v_key IN 1..least(v_cap_text::integer, current_setting('max_connections')::integer) LOOP
        EXIT WHEN cardinality(locks) = v_want;
        IF NOT v_key = ANY (held) AND pg_try_advisory_lock(c_lock_space, v_key) THEN
            locks := locks || v_key;
        END IF;
    END LOOP;
    IF cardinality(locks) < v_nt THEN
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(locks) AS l;
        RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
            MESSAGE = CASE WHEN cardinality(locks) = 0
                           THEN 'all connections allowed by parallel_dblink.max_total_conns are in use'
                           ELSE 'parallel_dblink.max_total_conns leaves fewer connections than targets' END,
            DETAIL  = format('parallel_dblink.max_total_conns is %s; %s of them are free; there are %s targets.',
                             v_cap_text, cardinality(locks), v_nt),
            HINT    = 'Try again later, or raise the setting.';
    END IF;
    IF cardinality(locks) < v_want THEN
        RAISE WARNING USING
            MESSAGE = format('%s uses %s connections instead of %s', caller, cardinality(locks), v_want),
            DETAIL  = format('parallel_dblink.max_total_conns is %s, and other pdb_run calls of this '
                             'database may hold some of them.', v_cap_text);
        -- share them out, a connection to each target in turn
        v_left  := cardinality(locks);
        granted := array_fill(0, ARRAY[cardinality(wanted)]);
        WHILE v_left > 0 LOOP
            FOR v_tg IN 1..cardinality(wanted) LOOP
                IF v_left > 0 AND granted[v_tg] < wanted[v_tg] THEN
                    granted[v_tg] := granted[v_tg] + 1;
                    v_left := v_left - 1;
                END IF;
            END LOOP;
        END LOOP;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_budget(integer[], text, integer[]) IS
'internal: take the connection budget''s advisory locks for a call, and share them out among its targets';
