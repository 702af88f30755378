/*
 * pdb_recover(targets text[] DEFAULT NULL)
 *     RETURNS TABLE (run_id uuid, target text, task_id integer, action text,
 *                    sqlstate text, error text)
 *
 * Settles the prepared transactions that atomic calls (atomic => true) of the
 * current role left behind when their caller, a worker or a server failed
 * between the two phases: the calls still recorded in pdb_atomic_run.
 *
 * For each such call whose caller is gone: if it recorded the decision
 * 'commit', every prepared transaction of the call is committed; otherwise
 * the decision 'rollback' is recorded first (through a connection of its own,
 * so that a late 'commit' can no longer be), and every one is rolled back. A
 * call whose caller still runs (or that another pdb_recover is settling) is
 * left alone.
 *
 * targets: the servers to look at, as connection strings or dblink_fdw server
 * names (NULL: this database). By default the call's recorded targets; a
 * recorded target whose password was masked cannot be used that way: pass it
 * here. The row of a call is deleted once all its recorded targets were
 * reached and everything there is settled.
 *
 * One row per prepared transaction found, with action 'committed', 'rolled
 * back' or 'failed' (sqlstate and error say why); one row per target that
 * could not be reached ('unreachable', task_id NULL); one row per call left
 * alone ('running', target NULL). Prepared transactions of other databases'
 * calls (names not recorded here) are never touched.
 */
CREATE FUNCTION @extschema@.pdb_recover(targets text[] DEFAULT NULL)
RETURNS TABLE (run_id   uuid,
               target   text,
               task_id  integer,
               action   text,
               sqlstate text,
               error    text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_run_space CONSTANT integer := 1885627491;  -- advisory lock key1 of a running atomic call
    c_mask      CONSTANT text := '********';     -- what _pdb_mask puts in place of a password
    v_dbl       name := @extschema@._pdb_dblink_schema();
    v_given     text[];  -- targets, masked
    v_run       record;
    v_end       record;
    v_decision  text;
    v_names     text[];  -- the targets to visit, as reported
    v_conns     text[];  -- and their connection strings (NULL: not visited)
    v_clean     boolean;
BEGIN
    IF array_ndims(targets) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'targets must be a one-dimensional array';
    END IF;
    v_given := ARRAY(SELECT @extschema@._pdb_mask(t.c, t.c) FROM unnest(targets) WITH ORDINALITY AS t(c, o)
                      ORDER BY t.o);
    FOR v_run IN SELECT r.run_id, r.targets FROM @extschema@.pdb_atomic_run AS r ORDER BY r.started_at LOOP
        run_id := v_run.run_id;
        target := NULL; task_id := NULL; sqlstate := NULL; error := NULL;
        IF NOT pg_try_advisory_lock(c_run_space, hashtext(v_run.run_id::text)) THEN
            action := 'running';
            RETURN NEXT;
            CONTINUE;
        END IF;
        BEGIN
            v_decision := @extschema@._pdb_autonomous(format(
                'SET synchronous_commit = on; UPDATE @extschema@.pdb_atomic_run '
                'SET decision = coalesce(decision, ''rollback''), decided_at = coalesce(decided_at, clock_timestamp()) '
                'WHERE run_id = %L RETURNING decision', v_run.run_id), NULL);
            IF v_decision IS NOT NULL THEN  -- else the row is gone already
                IF targets IS NULL THEN
                    v_names := v_run.targets;
                    v_clean := true;
                ELSE
                    v_names := v_given;
                    -- settled only if every recorded target is visited
                    v_clean := NOT EXISTS (
                        SELECT FROM unnest(v_run.targets) AS r(t)
                         WHERE NOT EXISTS (SELECT FROM unnest(v_given) AS g(t) WHERE g.t IS NOT DISTINCT FROM r.t));
                END IF;
                -- where to connect; NULL (visited by nobody) where the password was masked
                v_conns := ARRAY(SELECT CASE WHEN strpos(x.c, c_mask) > 0 THEN NULL
                                             ELSE @extschema@._pdb_connstr(x.c) END
                                   FROM unnest(coalesce(targets, v_run.targets)) WITH ORDINALITY AS x(c, o)
                                  ORDER BY x.o);
                FOR v_i IN 1..cardinality(v_names) LOOP
                    CONTINUE WHEN v_conns[v_i] IS NOT NULL;
                    target := v_names[v_i]; action := 'unreachable'; sqlstate := '28P01';
                    error  := 'the password of this target is not recorded: pass the target in targets';
                    v_clean := false;
                    RETURN NEXT;
                END LOOP;
                FOR v_end IN SELECT * FROM @extschema@._pdb_atomic_end(v_dbl, v_run.run_id, v_conns,
                                                                        v_decision = 'commit') LOOP
                    target   := v_names[v_end.target_no];
                    task_id  := v_end.task_id;
                    sqlstate := v_end.err_sqlstate;
                    error    := v_end.err_message;
                    action   := CASE WHEN v_end.task_id IS NULL THEN 'unreachable'
                                     WHEN v_end.err_sqlstate IS NOT NULL THEN 'failed'
                                     WHEN v_decision = 'commit' THEN 'committed'
                                     ELSE 'rolled back' END;
                    v_clean  := v_clean AND action IN ('committed', 'rolled back');
                    RETURN NEXT;
                END LOOP;
                IF v_clean THEN
                    DELETE FROM @extschema@.pdb_atomic_run AS r WHERE r.run_id = v_run.run_id;
                END IF;
            END IF;
        EXCEPTION WHEN query_canceled OR others THEN
            PERFORM pg_advisory_unlock(c_run_space, hashtext(v_run.run_id::text));
            RAISE;
        END;
        PERFORM pg_advisory_unlock(c_run_space, hashtext(v_run.run_id::text));
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_recover(text[]) IS
'Commit or roll back the prepared transactions that atomic pdb_run calls of the current role left behind';
