/*
 * pdb_run(tasks text[], max_conns integer DEFAULT 4, connstr text DEFAULT NULL)
 *     RETURNS TABLE (task_id, status, result, sqlstate, error, started_at,
 *                    finished_at, detail, hint, conn_name)
 *
 * Runs every statement of tasks on a pool of at most max_conns dblink
 * connections (never more than there are tasks) and returns one row per task,
 * ordered by task_id, the 1-based position of the task in the array.
 *
 * Each task is sent as one query string with dblink_send_query, so it commits
 * on its own, does not see the caller's uncommitted changes, and survives the
 * caller's rollback; a task of several statements runs as one implicit
 * transaction; VACUUM and CREATE INDEX CONCURRENTLY work as a task of their own.
 * A connection gets its next task as soon as its previous task's results are
 * all drained. One failing task never stops the others.
 *
 *   status      'ok' or 'error'
 *   result      first column of the first row of the task's last result, as
 *               text, or its command tag ('INSERT 0 2', 'VACUUM'); NULL when
 *               that result has no rows or several columns, or on error
 *   sqlstate, error, detail, hint   the remote error, when status = 'error'
 *   conn_name   the dblink connection the task ran on
 *
 * connstr is a libpq connection string or a dblink_fdw foreign server name;
 * NULL means a loopback connection to this database as the current user.
 *
 * Side effects: opens and always closes its connections (their names start
 * with 'pdb_<backend pid>_<call number>_' and are recorded in the temp table
 * pg_temp._pdb_conns while they are open). On any error, cancel or
 * statement_timeout of the caller it cancels the running tasks, drains,
 * disconnects and re-raises the original error.
 *
 * Errors: 22004 tasks is NULL or holds a NULL; 22023 max_conns NULL or < 1,
 * tasks not one-dimensional, or a task that is blank; connection errors
 * (08001, 2F003 ...) as dblink reports them, before any task runs.
 */
CREATE FUNCTION @extschema@.pdb_run(tasks text[],
                                    max_conns integer DEFAULT 4,
                                    connstr text DEFAULT NULL)
RETURNS TABLE (task_id     integer,
               status      text,
               result      text,
               sqlstate    text,
               error       text,
               started_at  timestamptz,
               finished_at timestamptz,
               detail      text,
               hint        text,
               conn_name   text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_probe     CONSTANT text := 'SELECT 1';
    c_min_sleep CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max_sleep CONSTANT double precision := CAST(0.0315 AS double precision);  -- 32 ms
    c_check_every CONSTANT interval := interval '1 second';
    v_tasks     text[];
    v_n         integer;
    v_pool      integer;
    v_dbl       name;
    v_connstr   text;
    v_call      bigint;
    v_prefix    text;
    v_cmm       text;
    v_next      integer := 1;
    v_done      integer := 0;
    v_bad       integer;
    v_ready     integer[];
    v_busy      integer;
    v_sql_send  text;
    v_sql_busy  text;
    v_sent      integer;
    v_active    boolean;
    v_quiet     timestamptz := clock_timestamp();
    v_checked   timestamptz := clock_timestamp();
    v_fetch     record;
    v_slot      integer;
    v_task      integer;
    -- per slot of the pool
    s_conn      text[];
    s_task      integer[];
    s_pid       integer[];
    s_state     text[];   -- idle | run | maybe | lost | closing
    s_since     timestamptz[];
    s_zero      integer[];
    s_held      boolean[];
    s_gen       integer[];
    -- per task
    r_status    text[];
    r_result    text[];
    r_sqlstate  text[];
    r_error     text[];
    r_detail    text[];
    r_hint      text[];
    r_start     timestamptz[];
    r_end       timestamptz[];
    r_conn      text[];
BEGIN
    -- validate everything before anything runs
    IF tasks IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tasks must not be null';
    END IF;
    IF array_ndims(tasks) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks must be a one-dimensional array',
            DETAIL  = format('The array has %s dimensions.', array_ndims(tasks));
    END IF;
    -- renumber from 1 whatever the array's lower bound
    v_tasks := ARRAY(SELECT u.t FROM unnest(tasks) WITH ORDINALITY AS u(t, o) ORDER BY u.o);
    v_n := cardinality(v_tasks);
    v_bad := array_position(v_tasks, NULL);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tasks must not contain null',
            DETAIL  = format('Task %s is null.', v_bad);
    END IF;
    SELECT min(u.o)::integer INTO v_bad
      FROM unnest(v_tasks) WITH ORDINALITY AS u(t, o)
     WHERE btrim(u.t, E' \t\r\n\f') = '';
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks must not be blank',
            DETAIL  = format('Task %s is an empty statement.', v_bad);
    END IF;
    IF max_conns IS NULL OR max_conns < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'max_conns must be at least 1',
            DETAIL  = format('max_conns is %s.', coalesce(max_conns::text, 'null'));
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    v_pool    := least(max_conns, v_n);
    v_dbl     := @extschema@._pdb_dblink_schema();
    v_connstr := coalesce(connstr, @extschema@._pdb_default_connstr());
    v_call    := @extschema@._pdb_session_init();
    v_prefix  := format('pdb_%s_%s_', pg_backend_pid(), v_call);
    v_sql_send := format('SELECT %I.dblink_send_query($1, $2)', v_dbl);
    v_sql_busy := format('SELECT %I.dblink_is_busy($1)', v_dbl);

    r_status   := array_fill(NULL::text, ARRAY[v_n]);
    r_result   := r_status;
    r_sqlstate := r_status;
    r_error    := r_status;
    r_detail   := r_status;
    r_hint     := r_status;
    r_conn     := r_status;
    r_start    := array_fill(NULL::timestamptz, ARRAY[v_n]);
    r_end      := r_start;

    -- dblink_send_query reports "another command is already in progress" as a
    -- NOTICE; pdb_run provokes that on purpose (see 'maybe' below)
    v_cmm := current_setting('client_min_messages');
    IF v_cmm NOT IN ('warning', 'error') THEN
        PERFORM set_config('client_min_messages', 'warning', true);
    END IF;

    BEGIN
        FOR v_slot IN 1..v_pool LOOP
            s_conn[v_slot]  := v_prefix || v_slot;
            s_pid[v_slot]   := @extschema@._pdb_open(v_dbl, s_conn[v_slot], v_connstr, v_call, v_slot);
            s_state[v_slot] := 'idle';
            s_task[v_slot]  := 0;
            s_gen[v_slot]   := 0;
        END LOOP;

        LOOP
            v_active := false;

            -- settle connections whose task may have ended, replace lost ones,
            -- hand out tasks
            FOR v_slot IN 1..v_pool LOOP
                v_task := s_task[v_slot];
                IF s_state[v_slot] = 'maybe' THEN
                    /*
                     * dblink_get_result gave no rows: the task's end, or a
                     * one-column result without rows with more to follow. Only
                     * an idle connection accepts a new query, so sending the
                     * next task (or a probe when none is left) tells which.
                     */
                    EXECUTE v_sql_send INTO v_sent
                        USING s_conn[v_slot], CASE WHEN v_next <= v_n THEN v_tasks[v_next] ELSE c_probe END;
                    IF v_sent = 1 THEN
                        r_status[v_task] := coalesce(r_status[v_task], 'ok');
                        r_end[v_task]    := s_since[v_slot];
                        v_done := v_done + 1;
                        IF v_next <= v_n THEN
                            s_task[v_slot]  := v_next;
                            s_state[v_slot] := 'run';
                            s_zero[v_slot]  := 0;
                            s_held[v_slot]  := false;
                            r_start[v_next] := clock_timestamp();
                            r_conn[v_next]  := s_conn[v_slot];
                            v_next := v_next + 1;
                        ELSE
                            s_task[v_slot]  := 0;
                            s_state[v_slot] := 'closing';
                        END IF;
                    ELSE
                        r_result[v_task] := NULL;  -- that result had no rows
                        s_state[v_slot]  := 'run';
                        s_zero[v_slot]   := s_zero[v_slot] + 1;
                        -- a task has at most one result per statement: more
                        -- means the connection no longer answers
                        IF s_zero[v_slot] > length(v_tasks[v_task]) - length(replace(v_tasks[v_task], ';', '')) + 1 THEN
                            r_status[v_task]   := 'error';
                            r_sqlstate[v_task] := '08006';
                            r_error[v_task]    := 'lost the connection to the worker';
                            s_state[v_slot]    := 'lost';
                        END IF;
                    END IF;
                    v_active := true;
                END IF;
                IF s_state[v_slot] = 'lost' THEN
                    -- finish the task the connection ran, then replace the connection
                    r_end[v_task] := clock_timestamp();
                    v_done := v_done + 1;
                    PERFORM @extschema@._pdb_close(v_dbl, ARRAY[s_conn[v_slot]], true);
                    s_gen[v_slot]   := s_gen[v_slot] + 1;
                    s_conn[v_slot]  := v_prefix || v_slot || '_' || s_gen[v_slot];
                    s_pid[v_slot]   := @extschema@._pdb_open(v_dbl, s_conn[v_slot], v_connstr, v_call, v_slot);
                    s_state[v_slot] := 'idle';
                    s_task[v_slot]  := 0;
                END IF;
                IF s_state[v_slot] = 'idle' AND v_next <= v_n THEN
                    EXECUTE v_sql_send INTO v_sent
                        USING s_conn[v_slot], v_tasks[v_next];
                    IF v_sent <> 1 THEN
                        RAISE EXCEPTION USING ERRCODE = 'connection_failure',
                            MESSAGE = 'could not send a task to a worker connection',
                            DETAIL  = format('Connection %s refused task %s.', s_conn[v_slot], v_next);
                    END IF;
                    s_task[v_slot]  := v_next;
                    s_state[v_slot] := 'run';
                    s_zero[v_slot]  := 0;
                    s_held[v_slot]  := false;
                    r_start[v_next] := clock_timestamp();
                    r_conn[v_next]  := s_conn[v_slot];
                    v_next := v_next + 1;
                    v_active := true;
                END IF;
            END LOOP;

            EXIT WHEN v_done = v_n;

            -- which running connections have a result ready (one round of polls;
            -- a precomputed statement per connection costs least after a sleep)
            v_ready := '{}';
            FOR v_slot IN 1..v_pool LOOP
                IF s_state[v_slot] = 'run' THEN
                    EXECUTE v_sql_busy INTO v_busy USING s_conn[v_slot];
                    IF v_busy = 0 THEN
                        v_ready := v_ready || v_slot;
                    END IF;
                END IF;
            END LOOP;

            FOREACH v_slot IN ARRAY v_ready LOOP
                v_task  := s_task[v_slot];
                v_fetch := @extschema@._pdb_fetch(v_dbl, s_conn[v_slot]);
                CASE v_fetch.kind
                WHEN 'row', 'novalue' THEN
                    r_result[v_task] := v_fetch.value;
                WHEN 'empty' THEN
                    s_state[v_slot] := 'maybe';
                    s_since[v_slot] := clock_timestamp();
                ELSE  -- 'error': the query string stops at its first error
                    r_status[v_task] := 'error';
                    r_result[v_task] := NULL;
                    IF NOT s_held[v_slot] THEN  -- else keep the reason pdb_run cancelled it
                        r_sqlstate[v_task] := v_fetch.err_sqlstate;
                        r_error[v_task]    := v_fetch.err_message;
                        r_detail[v_task]   := v_fetch.err_detail;
                        r_hint[v_task]     := v_fetch.err_hint;
                    END IF;
                    IF left(v_fetch.err_sqlstate, 2) = '08' OR v_fetch.err_sqlstate IN ('57P01', '57P02', '57P03') THEN
                        s_state[v_slot] := 'lost';  -- the worker is gone
                    END IF;
                END CASE;
            END LOOP;

            IF v_active OR cardinality(v_ready) > 0 THEN
                v_quiet := clock_timestamp();
            ELSE
                IF clock_timestamp() - v_checked > c_check_every THEN
                    /*
                     * A task waiting for a lock the caller holds can never get
                     * it: the caller's transaction lasts until pdb_run returns.
                     * (CREATE INDEX CONCURRENTLY in the caller's database waits
                     * for the caller's snapshot that way.) Cancel such tasks.
                     */
                    FOREACH v_slot IN ARRAY ARRAY(
                        SELECT i FROM generate_series(1, v_pool) AS i
                         WHERE s_state[i] = 'run' AND NOT s_held[i]
                           AND pg_backend_pid() = ANY (pg_blocking_pids(s_pid[i])))
                    LOOP
                        v_task := s_task[v_slot];
                        s_held[v_slot]     := true;
                        r_status[v_task]   := 'error';
                        r_sqlstate[v_task] := '40P01';
                        r_error[v_task]    := 'task waits for a lock held by the transaction that called pdb_run';
                        r_detail[v_task]   := format('Task %s waited on worker backend %s, which the caller blocks '
                                                     'until pdb_run returns; pdb_run cancelled it.',
                                                     v_task, s_pid[v_slot]);
                        r_hint[v_task]     := 'Tasks do not share the caller''s locks or snapshot: commit the '
                                              'caller''s changes first. CREATE INDEX CONCURRENTLY and REINDEX '
                                              'CONCURRENTLY wait for every older transaction of their database: '
                                              'call pdb_run from another database with connstr naming this one.';
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                    END LOOP;
                    v_checked := clock_timestamp();
                END IF;
                /*
                 * Back off: sleep 1/32 of the time since anything last
                 * happened, at least 1 ms, at most 32 ms. A connection that
                 * finishes a short task waits about a millisecond for the
                 * next; one that ran long waits at most 1/32 of its run time;
                 * a wake-up costs about 0.15 ms of CPU, so the coordinator
                 * uses about 0.5% of a core while tasks run long.
                 */
                PERFORM pg_sleep(least(c_max_sleep,
                                       greatest(c_min_sleep,
                                                CAST(extract(epoch FROM clock_timestamp() - v_quiet)
                                                     AS double precision) / 32)));
            END IF;
        END LOOP;

        PERFORM @extschema@._pdb_close(v_dbl, s_conn, false);
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_close(
            v_dbl,
            ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(v_dbl)) AS c
                   WHERE left(c, length(v_prefix)) = v_prefix),
            true);
        PERFORM set_config('client_min_messages', v_cmm, true);
        RAISE;
    END;
    PERFORM set_config('client_min_messages', v_cmm, true);

    RETURN QUERY
        SELECT u.o::integer, u.st, u.res, u.ss, u.er, u.sa, u.fa, u.de, u.hi, u.cn
          FROM unnest(r_status, r_result, r_sqlstate, r_error, r_start, r_end, r_detail, r_hint, r_conn)
               WITH ORDINALITY AS u(st, res, ss, er, sa, fa, de, hi, cn, o)
         ORDER BY u.o;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_run(text[], integer, text) IS
'Run each statement of tasks in parallel on at most max_conns dblink connections; one row per task';
