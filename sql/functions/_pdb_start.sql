/*
 * _pdb_start(tasks text[], targets text[], max_conns integer, batch_size integer,
 *            fail_fast boolean, task_timeout interval, retries integer,
 *            setup text[], progress boolean, same_snapshot boolean,
 *            snapshot text, atomic boolean, isolate_targets boolean, caller text,
 *            query boolean, strict boolean, commits boolean)
 *     RETURNS _pdb_state
 *
 * The first phase of a call of the engine: checks the arguments
 * (_pdb_check), plans what runs where (_pdb_plan), and returns the state that _pdb_step advances; NULL when
 * there is no task. Opens nothing: the first step opens the pool.
 *
 * targets holds one target for all tasks, or one per task: a libpq
 * connection string, a dblink_fdw foreign server name, or NULL for a loopback
 * connection to this database as the current user. isolate_targets: a
 * target that cannot be reached fails only its own tasks (pdb_run_at,
 * pdb_broadcast); without it the connection error is raised (pdb_run).
 * caller names the function in messages. query: the rows of every task are
 * wanted as row_type (pdb_query), each task one query (_pdb_queries).
 * snapshot: with same_snapshot, the snapshot the public function exported
 * (pg_export_snapshot) before its exception block, a subtransaction.
 * strict: once every task has run, the first failure is raised (pdb_run).
 * commits: the caller commits between steps (pdb_job_exec), so no task can
 * be blocked by it for long. The behaviour of every option is documented on
 * pdb_run.
 *
 * Errors: those of _pdb_check and _pdb_plan; 0A000 a task that builds, drops
 * or rebuilds an index CONCURRENTLY on this database, unless commits
 * (_pdb_concurrently: it would wait for the caller).
 */
CREATE FUNCTION @extschema@._pdb_start(tasks text[], targets text[], max_conns integer, batch_size integer,
                                       fail_fast boolean, task_timeout interval, retries integer,
                                       setup text[], progress boolean, same_snapshot boolean,
                                       snapshot text, atomic boolean, isolate_targets boolean, caller text,
                                       query boolean, strict boolean, commits boolean)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_snapshot_begin CONSTANT text := E'BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET TRANSACTION SNAPSHOT ';  -- (pdb_tasks)
    v_tasks text[];
    v_n     integer;
    v_nt    integer;
    v_plan  @extschema@._pdb_plan;
    v_skip  integer[];
    v_none  timestamptz[];
    v_bad   integer;
BEGIN
    v_tasks := @extschema@._pdb_check(tasks, max_conns, batch_size, retries, task_timeout, setup,
                                      same_snapshot, progress, fail_fast, atomic);
    v_n := cardinality(v_tasks);
    IF v_n = 0 THEN
        RETURN NULL;
    END IF;
    v_plan := @extschema@._pdb_plan(v_tasks, targets, max_conns, same_snapshot OR atomic);
    -- CONCURRENTLY on this database waits for the caller's transaction, which lasts until the call
    -- returns: it would be cancelled (see _pdb_step's check) and leave an invalid index behind
    v_bad := CASE WHEN NOT coalesce(commits, false) THEN @extschema@._pdb_concurrently(v_tasks) END;
    IF v_bad IS NOT NULL THEN
        v_bad := @extschema@._pdb_concurrently(
            ARRAY(SELECT CASE WHEN v_plan.masked[v_plan.tgt[v_plan.pos[i]]] IS NULL THEN v_tasks[i] END
                    FROM generate_series(1, v_n) AS i ORDER BY i));
    END IF;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
            MESSAGE = format('%s cannot run CONCURRENTLY index commands on the caller''s own database', caller),
            DETAIL  = format('Task %s builds, drops or rebuilds an index CONCURRENTLY: that waits for every older '
                             'transaction of this database, the caller''s among them, which lasts until %s '
                             'returns; it would never end, and leave an invalid index.', v_bad, caller),
            HINT    = 'Run such tasks as a durable job with CALL pdb_job_exec, which commits as it goes '
                      '(pdb_job_submit(tasks), then CALL pdb_job_exec(job_id)); or call from another database '
                      'with connstr => ''dbname=<this one>''; or build the index without CONCURRENTLY.';
    END IF;
    IF query THEN
        -- _pdb_queries let through single queries, and those that pdb_tasks made to read
        -- under its snapshot (BEGIN ...; SET TRANSACTION SNAPSHOT ...; the query; COMMIT)
        v_skip := ARRAY(SELECT CASE WHEN same_snapshot OR starts_with(t, c_snapshot_begin) THEN 2 ELSE 0 END
                          FROM unnest(v_plan.tasks) WITH ORDINALITY AS x(t, o) ORDER BY x.o);
    END IF;
    v_nt   := cardinality(v_plan.connstr);
    v_none := array_fill(NULL::timestamptz, ARRAY[v_n]);
    RETURN ROW(
        batch_size, fail_fast, task_timeout, retries, setup, progress, same_snapshot, atomic, isolate_targets,
        caller, coalesce(query, false), coalesce(strict, false), coalesce(commits, false), v_plan, v_tasks,
        NULL, format(E'/%s */\n', v_n), v_skip,
        CASE WHEN same_snapshot THEN snapshot END,
        @extschema@._pdb_dblink_schema(), @extschema@._pdb_session_init(),
        clock_timestamp(), clock_timestamp() + interval '5 seconds', ARRAY[]::integer[], NULL, NULL, false,
        -- the loop
        0, false, false, ARRAY[]::integer[], ARRAY[]::integer[], ARRAY[]::timestamptz[],
        clock_timestamp(), NULL, NULL, NULL, clock_timestamp(), NULL,
        -- per target
        v_plan.first_pos, array_fill(0, ARRAY[v_nt]), array_fill(NULL::text, ARRAY[v_nt]),
        ARRAY(SELECT x.m IS NULL FROM unnest(v_plan.masked) WITH ORDINALITY AS x(m, o) ORDER BY x.o), NULL,
        -- per slot: the first step opens the pool
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        -- per position
        array_fill(NULL::@extschema@._pdb_outcome, ARRAY[v_n]), array_fill(NULL::text, ARRAY[v_n]), v_none, v_none,
        array_fill(NULL::text, ARRAY[v_n]), array_fill(0, ARRAY[v_n]), array_fill(false, ARRAY[v_n]),
        -- throttles: the first step reads them; live control
        NULL, NULL, '-infinity', NULL, NULL, NULL, -1, '-infinity', false, NULL, 0
    )::@extschema@._pdb_state;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_start(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, text, boolean, boolean, text, boolean, boolean, boolean) IS
'internal: check and plan a call of the engine; the state its steps advance';
