/*
 * _pdb_lean_take(tasks text[], targets text[], max_conns integer) RETURNS text[]
 *
 * The short way of a small call on a warm session (parallel_dblink.keep_conns):
 * when every task can run at once on a connection the session keeps, one task
 * per connection, the call needs none of the engine's planning, budget,
 * batching, throttles or live control (_pdb_lean_run, _pdb_lean_query).
 * Returns for each task the kept connection it runs on, its reset read (as
 * _pdb_kept_ready reads it) and its socket looked at once more; NULL when the
 * call goes the engine's way: keep_conns is 0; a throttle is set
 * (parallel_dblink.max_replica_lag, max_active, throttle_query, nice); dblink
 * is not where it was at install (sql/bind_dblink.sql: the short way calls it
 * there, by name); tasks is empty, or not a one-dimensional array from 1; a
 * task is NULL, blank, of several statements (a semicolon inside, in a string
 * too), names CONCURRENTLY, or is not a plain statement (one that starts with
 * SELECT, VALUES, TABLE, WITH, INSERT, UPDATE, DELETE, MERGE, CALL, DO,
 * VACUUM, ANALYZE, REFRESH or SHOW: none of these can leave a transaction
 * open); or a target has more tasks than max_conns or than the session keeps
 * for it. The caller checks its options (the defaults only). A kept
 * connection that fails its check (its worker ended: its idle time ran out,
 * it was terminated, its server restarted) is closed, the others chosen are
 * reset again (_pdb_keep), and the call goes the engine's way, which takes
 * them and opens what it lacks.
 * Errors: a bad keep_conns (22023).
 */
CREATE FUNCTION @extschema@._pdb_lean_take(tasks text[], targets text[], max_conns integer)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    c_send  CONSTANT text := '"@dblink@".dblink_send_query(text,text)';  -- (the same: dblink is still there)
    -- (E'': the same backslashes whatever standard_conforming_strings says at install)
    c_plain CONSTANT text := E'^\\s*(select|values|table|with|insert|update|delete|merge|call|do|vacuum|analyze|refresh|show)\\M';
    v_n     integer := cardinality(tasks);
    v_one   boolean := cardinality(targets) = 1;
    v_kept  text[];
    v_conns text[] := ARRAY[]::text[];
    v_seen  text[] := ARRAY[]::text[];  -- the targets met, and ...
    v_keys  text[] := ARRAY[]::text[];  -- ... their keys
    v_tgt   text;
    v_at    integer;
    v_conn  text;
    v_tag   text;
    v_dead  text[] := ARRAY[]::text[];
BEGIN
    IF NOT coalesce(to_regprocedure(c_send) IS NOT NULL AND v_n > 0 AND array_ndims(tasks) = 1
                    AND array_lower(tasks, 1) = 1
                    AND (v_one OR cardinality(targets) = v_n) AND max_conns > 0, false)
       OR nullif(concat(current_setting('parallel_dblink.max_replica_lag', true),
                        current_setting('parallel_dblink.max_active', true),
                        current_setting('parallel_dblink.throttle_query', true),
                        current_setting('parallel_dblink.nice', true)), '') IS NOT NULL
       OR (@extschema@._pdb_conns_settings()).keep_conns = interval '0' THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT FROM unnest(tasks) AS t
                WHERE t IS NULL OR t !~* c_plain OR strpos(rtrim(t, E' \t\r\n\f;'), ';') > 0
                   OR t ~* 'concurrently') THEN
        RETURN NULL;
    END IF;
    v_kept := @extschema@._pdb_kept_conns(c_bound);
    IF cardinality(v_kept) < v_n THEN
        RETURN NULL;
    END IF;
    -- task i takes the next kept connection of its target's key
    FOR v_i IN 1..v_n LOOP
        v_tgt := targets[array_lower(targets, 1) + CASE WHEN v_one THEN 0 ELSE v_i - 1 END];
        v_at := array_position(v_seen, v_tgt);  -- (NULL finds NULL)
        IF v_at IS NULL THEN
            v_seen := v_seen || v_tgt;
            v_keys := v_keys || @extschema@._pdb_kept_key(@extschema@._pdb_connstr(v_tgt));
            v_at := cardinality(v_seen);
        END IF;
        v_conn := NULL;
        FOREACH v_conn IN ARRAY v_kept LOOP
            EXIT WHEN right(v_conn, 18) = v_keys[v_at];
            v_conn := NULL;
        END LOOP;
        IF v_conn IS NULL
           OR (SELECT count(*) FROM unnest(v_conns) AS c WHERE right(c, 18) = v_keys[v_at]) >= max_conns THEN
            RETURN NULL;
        END IF;
        v_conns := v_conns || v_conn;
        v_kept  := array_remove(v_kept, v_conn);
    END LOOP;
    -- the result of each one's reset, then its end (as _pdb_kept_ready does); a worker that ended while
    -- kept (its idle time ran out, it was terminated, its server restarted) shows once its socket is
    -- read past the reset, if not in reading it: no task must be sent to it
    FOREACH v_conn IN ARRAY v_conns LOOP
        BEGIN
            v_tag := (SELECT r.v FROM "@dblink@".dblink_get_result(v_conn, true) AS r(v text));
            PERFORM FROM "@dblink@".dblink_get_result(v_conn, true) AS r(v text);
            IF v_tag IS DISTINCT FROM 'DO' OR "@dblink@".dblink_is_busy(v_conn) <> 0
               OR "@dblink@".dblink_error_message(v_conn) <> 'OK' THEN
                v_dead := v_dead || v_conn;
            END IF;
        EXCEPTION WHEN others THEN  -- (not a cancel)
            v_dead := v_dead || v_conn;
        END;
    END LOOP;
    IF cardinality(v_dead) > 0 THEN
        -- the engine replaces them; the others, reset again, are for it to take
        PERFORM @extschema@._pdb_lean_close(c_bound, v_dead);
        PERFORM @extschema@._pdb_keep(c_bound, ARRAY(SELECT c FROM unnest(v_conns) AS c WHERE NOT c = ANY (v_dead)),
                                      v_conns, (@extschema@._pdb_conns_settings()).keep_conns);
        RETURN NULL;
    END IF;
    RETURN v_conns;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_take(text[], text[], integer) IS
'internal: the kept connections a small call runs on without the engine, one per task, or NULL';
