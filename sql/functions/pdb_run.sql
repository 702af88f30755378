/*
 * pdb_run(tasks text[], max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *         batch_size integer DEFAULT 1, fail_fast boolean DEFAULT false,
 *         task_timeout interval DEFAULT NULL, retries integer DEFAULT 0,
 *         setup text[] DEFAULT NULL, progress boolean DEFAULT false,
 *         same_snapshot boolean DEFAULT false)
 *     RETURNS TABLE (task_id, status, result, sqlstate, error, started_at,
 *                    finished_at, detail, hint, conn_name, attempts)
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
 * batch_size > 1 sends up to that many consecutive batchable tasks (see
 * _pdb_classify) to one connection as one query string, a round trip for
 * them all. Results stay per task: a batchable task is one statement, so the
 * k-th result of a batch is its k-th task's. The batch is one transaction: if a task in it
 * fails, none of its tasks took effect, and each is run again alone, so every
 * task gets its own outcome and none runs twice in effect.
 *
 * fail_fast: after the first task that fails (error or timeout), running
 * tasks are cancelled ('cancelled') and the others never start ('skipped').
 * task_timeout: a task (or a batch) running longer is cancelled on the server:
 * status 'timeout', SQLSTATE 57014; a batch that times out runs again task by
 * task. retries: a task failing with 40001 or 40P01 runs again, up to that
 * many times, after 10 ms, 20 ms, 40 ms ... (at most 1 s). setup: statements
 * run on every new connection before its first task. progress: a NOTICE
 * every 5 seconds and at the end with the counts of done, failed and running
 * tasks. same_snapshot: every task runs read-only in a REPEATABLE READ
 * transaction that imports a snapshot exported from the caller's transaction,
 * so all tasks see the database as of one moment (a writing task fails with
 * 25006); tasks then run alone, never batched, and their connection is reset
 * after each.
 *
 * Workers are labelled application_name = 'pdb_run:<caller pid>:<first task
 * of the unit>/<number of tasks>' while they run a task (the view
 * pdb_activity reads that).
 *
 *   status      'ok', 'error', 'timeout', 'cancelled' or 'skipped'
 *   result      first column of the first row of the task's last result, as
 *               text, or its command tag ('INSERT 0 2', 'VACUUM'); NULL when
 *               that result has no rows or several columns, or on error; a
 *               closing COMMIT's tag does not count as a result
 *   sqlstate, error, detail, hint   the remote error, when status = 'error'
 *   conn_name   the dblink connection the task ran on
 *   attempts    how many times the task ran (1 + its retries; 0 if skipped)
 *
 * connstr is a libpq connection string or a dblink_fdw foreign server name;
 * NULL means a loopback connection to this database as the current user.
 *
 * Side effects: opens and always closes its connections (their names start
 * with 'pdb_<backend pid>_<call number>_' and are recorded in the temp table
 * pg_temp._pdb_conns while they are open). On any error, cancel or
 * statement_timeout of the caller it cancels the running tasks, drains,
 * disconnects and re-raises the original error. A task blocked by a lock of
 * the caller is cancelled and reported as 40P01.
 *
 * Errors: 25001 same_snapshot in a subtransaction (pg_export_snapshot);
 * 22004 tasks is NULL or holds a NULL; 22023 max_conns or batch_size
 * NULL or < 1, retries NULL or < 0, task_timeout <= 0, fail_fast NULL, tasks
 * not one-dimensional, or a task that is blank; connection errors (08001,
 * 2F003 ...) as dblink reports them and setup errors ('setup statement N
 * failed: ...', with the remote SQLSTATE), before any task runs.
 */
CREATE FUNCTION @extschema@.pdb_run(tasks text[],
                                    max_conns integer DEFAULT 4,
                                    connstr text DEFAULT NULL,
                                    batch_size integer DEFAULT 1,
                                    fail_fast boolean DEFAULT false,
                                    task_timeout interval DEFAULT NULL,
                                    retries integer DEFAULT 0,
                                    setup text[] DEFAULT NULL,
                                    progress boolean DEFAULT false,
                                    same_snapshot boolean DEFAULT false)
RETURNS TABLE (task_id     integer,
               status      text,
               result      text,
               sqlstate    text,
               error       text,
               started_at  timestamptz,
               finished_at timestamptz,
               detail      text,
               hint        text,
               conn_name   text,
               attempts    integer)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_probe       CONSTANT text := 'SELECT 1';
    c_reset       CONSTANT text := 'DISCARD ALL';
    c_min_sleep   CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max_sleep   CONSTANT double precision := CAST(0.0315 AS double precision);  -- 32 ms
    c_check_every CONSTANT interval := interval '1 second';
    c_margin      CONSTANT integer := 2;           -- connection slots always left to other sessions
    c_lock_space  CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns
    v_tasks     text[];
    v_batchable boolean[];
    v_stateful  boolean[];
    v_plain     boolean[];
    v_snapshot  text;
    v_label     text;
    v_started   timestamptz := clock_timestamp();
    v_report_at timestamptz := clock_timestamp() + interval '5 seconds';
    v_retry     integer[] := ARRAY[]::integer[];  -- tasks to run alone, before the next new task
    v_later     integer[] := ARRAY[]::integer[];  -- tasks to retry after a backoff ...
    v_later_at  timestamptz[] := ARRAY[]::timestamptz[];  -- ... not before these times
    v_stop      boolean := false;  -- fail_fast was triggered
    v_stopped   boolean := false;  -- and acted upon
    v_wake      timestamptz;
    v_cap_text  text := nullif(current_setting('parallel_dblink.max_total_conns', true), '');
    v_locks     integer[] := ARRAY[]::integer[];
    v_free      integer;
    v_i         integer;
    v_n         integer;
    v_pool      integer;
    v_dbl       name;
    v_connstr   text;
    v_call      bigint;
    v_prefix    text;
    v_cmm       text;
    v_next      integer := 1;
    v_done      integer := 0;
    v_ready     integer[];
    v_busy      integer;
    v_sent      integer;
    v_sql_send  text;
    v_sql_busy  text;
    v_active    boolean;
    v_quiet     timestamptz := clock_timestamp();
    v_checked   timestamptz := clock_timestamp();
    v_fetch     record;
    v_slot      integer;
    v_task      integer;
    -- the next unit of work: one task, or a batch of tasks u_first..u_last
    u_first     integer;
    u_last      integer;
    u_retry     boolean;
    u_reset     boolean;
    u_sql       text;
    -- per slot of the pool
    s_conn      text[];
    s_pid       integer[];
    s_state     text[];   -- idle | run | maybe | probe | reset | lost
    s_first     integer[];
    s_last      integer[];
    s_task      integer[];  -- the task whose result arrives next
    s_since     timestamptz[];
    s_zero      integer[];
    s_reason    text[];     -- why pdb_run cancelled the unit: blocked | timeout | cancelled
    s_again     boolean[];  -- its task failed in a way worth a retry
    s_started   timestamptz[];
    s_failed    boolean[];
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
    r_attempts  integer[];
BEGIN
    -- validate everything before anything runs
    v_tasks := @extschema@._pdb_tasks(tasks);
    v_n := cardinality(v_tasks);
    IF max_conns IS NULL OR max_conns < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'max_conns must be at least 1',
            DETAIL  = format('max_conns is %s.', coalesce(max_conns::text, 'null'));
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'batch_size must be at least 1',
            DETAIL  = format('batch_size is %s.', coalesce(batch_size::text, 'null'));
    END IF;
    IF retries IS NULL OR retries < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'retries must be zero or more',
            DETAIL  = format('retries is %s.', coalesce(retries::text, 'null'));
    END IF;
    IF task_timeout <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'task_timeout must be positive',
            DETAIL  = format('task_timeout is %s.', task_timeout);
    END IF;
    IF same_snapshot IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'same_snapshot must be true or false';
    END IF;
    IF progress IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'progress must be true or false';
    END IF;
    IF fail_fast IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'fail_fast must be true or false';
    END IF;
    IF array_position(setup, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'setup must not contain null';
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    v_pool     := least(max_conns, v_n);
    v_dbl      := @extschema@._pdb_dblink_schema();
    v_connstr  := coalesce(connstr, @extschema@._pdb_default_connstr());
    v_call     := @extschema@._pdb_session_init();
    v_prefix   := format('pdb_%s_%s_', pg_backend_pid(), v_call);
    v_sql_send := format('SELECT %I.dblink_send_query($1, $2)', v_dbl);
    v_sql_busy := format('SELECT %I.dblink_is_busy($1)', v_dbl);
    SELECT c.plain, c.stateful, c.batchable INTO v_plain, v_stateful, v_batchable
      FROM @extschema@._pdb_classify(v_tasks) AS c;
    IF same_snapshot THEN
        -- each task in its own transaction on the caller's snapshot: alone, with
        -- its label sent first, and a reset after it (a failed one stays open)
        v_snapshot  := pg_export_snapshot();
        v_plain     := array_fill(false, ARRAY[v_n]);
        v_stateful  := array_fill(true, ARRAY[v_n]);
        v_batchable := v_plain;
    END IF;

    r_status   := array_fill(NULL::text, ARRAY[v_n]);
    r_result   := r_status;
    r_sqlstate := r_status;
    r_error    := r_status;
    r_detail   := r_status;
    r_hint     := r_status;
    r_conn     := r_status;
    r_start    := array_fill(NULL::timestamptz, ARRAY[v_n]);
    r_end      := r_start;
    r_attempts := array_fill(0, ARRAY[v_n]);

    -- dblink_send_query reports "another command is already in progress" as a
    -- NOTICE; pdb_run provokes that on purpose (see 'maybe' below)
    v_cmm := current_setting('client_min_messages');
    IF v_cmm NOT IN ('warning', 'error') THEN
        PERFORM set_config('client_min_messages', 'warning', true);
    END IF;

    BEGIN
        /*
         * The connection budget. parallel_dblink.max_total_conns caps the
         * connections all pdb_run calls of the database hold together: each
         * connection holds one of that many advisory locks. Then the target
         * server's free slots, minus a margin left to other sessions: on a
         * loopback counted before anything opens, elsewhere through the
         * first connection.
         */
        IF v_cap_text IS NOT NULL THEN
            IF v_cap_text !~ '^[0-9]{1,9}$' OR v_cap_text::integer < 1 THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = 'parallel_dblink.max_total_conns must be a positive integer',
                    DETAIL  = format('It is "%s".', v_cap_text);
            END IF;
            -- (no more locks can matter than there can be connections)
            FOR v_i IN 1..least(v_cap_text::integer, current_setting('max_connections')::integer) LOOP
                EXIT WHEN cardinality(v_locks) = v_pool;
                IF pg_try_advisory_lock(c_lock_space, v_i) THEN
                    v_locks := v_locks || v_i;
                END IF;
            END LOOP;
            IF cardinality(v_locks) = 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
                    MESSAGE = 'all connections allowed by parallel_dblink.max_total_conns are in use',
                    DETAIL  = format('parallel_dblink.max_total_conns is %s.', v_cap_text),
                    HINT    = 'Try again later, or raise the setting.';
            ELSIF cardinality(v_locks) < v_pool THEN
                RAISE WARNING USING
                    MESSAGE = format('pdb_run uses %s connections instead of %s', cardinality(v_locks), v_pool),
                    DETAIL  = format('parallel_dblink.max_total_conns is %s, and other pdb_run calls of this '
                                     'database may hold some of them.', v_cap_text);
                v_pool := cardinality(v_locks);
            END IF;
        END IF;
        FOR v_slot IN 1..v_pool LOOP
            IF v_slot = 1 AND connstr IS NULL THEN
                v_free := @extschema@._pdb_free_slots(v_dbl, NULL) - c_margin;
            ELSIF v_slot = 2 AND connstr IS NOT NULL THEN
                v_free := @extschema@._pdb_free_slots(v_dbl, s_conn[1]) - c_margin + 1;  -- + the one we hold
            END IF;
            IF v_slot <= 2 AND v_free < v_pool THEN
                IF v_free < 1 THEN
                    RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
                        MESSAGE = 'no connection slot is free on the target server',
                        DETAIL  = format('pdb_run leaves %s slots to other sessions.', c_margin),
                        HINT    = 'Try again later, or raise max_connections or the connection limits.';
                END IF;
                RAISE WARNING USING
                    MESSAGE = format('pdb_run uses %s connections instead of %s', v_free, v_pool),
                    DETAIL  = format('Only %s connection slots are free on the target server once %s are left '
                                     'to other sessions.', v_free, c_margin);
                v_pool := v_free;
            END IF;
            EXIT WHEN v_slot > v_pool;
            s_conn[v_slot]  := v_prefix || v_slot;
            s_pid[v_slot]   := @extschema@._pdb_open(v_dbl, s_conn[v_slot], v_connstr, setup, v_call, v_slot);
            s_state[v_slot] := 'idle';
            s_task[v_slot]  := 0;
            s_gen[v_slot]   := 0;
        END LOOP;

        LOOP
            v_active := false;

            -- retries whose backoff is over go first in the queue
            IF cardinality(v_later) > 0 THEN
                FOR v_i IN REVERSE cardinality(v_later)..1 LOOP
                    IF v_later_at[v_i] <= clock_timestamp() THEN
                        v_retry    := v_later[v_i] || v_retry;
                        v_later    := v_later[:v_i - 1] || v_later[v_i + 1:];
                        v_later_at := v_later_at[:v_i - 1] || v_later_at[v_i + 1:];
                    END IF;
                END LOOP;
            END IF;

            -- fail_fast: start nothing more, cancel what runs
            IF v_stop AND NOT v_stopped THEN
                v_stopped := true;
                FOREACH v_i IN ARRAY v_retry || ARRAY(SELECT generate_series(v_next, v_n)) LOOP
                    r_status[v_i] := 'skipped';
                    v_done := v_done + 1;
                END LOOP;
                -- tasks waiting for a retry keep the error they got
                v_done  := v_done + cardinality(v_later);
                v_retry    := ARRAY[]::integer[];
                v_later    := ARRAY[]::integer[];
                v_later_at := ARRAY[]::timestamptz[];
                v_next     := v_n + 1;
                FOR v_slot IN 1..v_pool LOOP
                    IF s_state[v_slot] = 'run' THEN
                        s_reason[v_slot] := coalesce(s_reason[v_slot], 'cancelled');
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                    END IF;
                END LOOP;
            END IF;

            FOR v_slot IN 1..v_pool LOOP
                -- a lost connection: settle what it ran, then replace it
                IF s_state[v_slot] = 'lost' THEN
                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                        IF s_first[v_slot] = s_last[v_slot] OR s_task[v_slot] > s_last[v_slot] THEN
                            -- one task failed; or a batch that may have committed
                            IF s_first[v_slot] <> s_last[v_slot] THEN
                                r_status[v_t]   := 'error';
                                r_sqlstate[v_t] := '08006';
                                r_error[v_t]    := 'lost the connection to the worker while its batch committed';
                                r_detail[v_t]   := 'Whether the tasks of the batch took effect is unknown.';
                            END IF;
                            r_end[v_t] := clock_timestamp();
                            v_done := v_done + 1;
                            v_stop := v_stop OR fail_fast;
                        ELSIF v_stop THEN
                            r_status[v_t] := 'skipped';  -- the batch never committed
                            v_done := v_done + 1;
                        ELSE
                            v_retry := v_retry || v_t;  -- the batch never committed: run again alone
                        END IF;
                    END LOOP;
                    PERFORM @extschema@._pdb_close(v_dbl, ARRAY[s_conn[v_slot]], true);
                    s_gen[v_slot]   := s_gen[v_slot] + 1;
                    s_conn[v_slot]  := v_prefix || v_slot || '_' || s_gen[v_slot];
                    s_pid[v_slot]   := @extschema@._pdb_open(v_dbl, s_conn[v_slot], v_connstr, setup, v_call, v_slot);
                    s_state[v_slot] := 'idle';
                    v_active := true;
                END IF;

                CONTINUE WHEN s_state[v_slot] NOT IN ('idle', 'maybe');

                -- the next unit: a task to run again alone, else the next task
                -- with as many batchable followers as batch_size allows
                u_first := 0;
                u_retry := NOT v_stop AND cardinality(v_retry) > 0;
                IF u_retry THEN
                    u_first := v_retry[1];
                    u_last  := u_first;
                ELSIF NOT v_stop AND v_next <= v_n THEN
                    u_first := v_next;
                    u_last  := v_next;
                    IF batch_size > 1 AND v_batchable[u_first] THEN
                        WHILE u_last < v_n AND u_last - u_first + 1 < batch_size AND v_batchable[u_last + 1] LOOP
                            u_last := u_last + 1;
                        END LOOP;
                    END IF;
                END IF;
                -- after a task that may leave state behind, the probe is a reset
                u_reset := s_state[v_slot] = 'maybe' AND v_stateful[s_task[v_slot]];
                IF u_reset THEN
                    u_first := 0;
                    u_sql   := c_reset;
                ELSIF u_first = 0 THEN
                    u_sql := c_probe;
                ELSIF u_first = u_last AND same_snapshot THEN
                    u_sql := format(E'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n'
                                    'SET TRANSACTION SNAPSHOT %L;\n%s\n;\nCOMMIT', v_snapshot, v_tasks[u_first]);
                ELSIF u_first = u_last THEN
                    u_sql := v_tasks[u_first];
                ELSE
                    -- the line breaks end a task's trailing -- comment
                    u_sql := v_tasks[u_first];
                    FOR v_t IN u_first + 1..u_last LOOP
                        u_sql := u_sql || E'\n;\n' || v_tasks[v_t];
                    END LOOP;
                END IF;
                -- label the worker with the unit: in the same query string when
                -- the unit may run in a transaction block, else by itself first
                IF u_first > 0 THEN
                    v_label := format('SET application_name = %L',
                                      format('pdb_run:%s:%s/%s', pg_backend_pid(), u_first, v_n));
                    IF v_plain[u_first] THEN
                        u_sql := v_label || E';\n' || u_sql;
                    ELSIF s_state[v_slot] = 'maybe' THEN
                        u_first := 0;  -- confirm the end with a probe; label once idle
                        u_sql   := c_probe;
                    END IF;
                END IF;

                v_sent := 0;
                IF s_state[v_slot] = 'maybe' THEN
                    /*
                     * dblink_get_result gave no rows after a single task: its
                     * end, or a one-column result without rows with more to
                     * follow. Only an idle connection accepts a new query, so
                     * sending the next unit (or a probe when none is left)
                     * tells which.
                     */
                    v_task := s_task[v_slot];
                    EXECUTE v_sql_send INTO v_sent USING s_conn[v_slot], u_sql;
                    IF v_sent = 1 THEN
                        r_end[v_task] := s_since[v_slot];
                        IF s_again[v_slot] THEN
                            -- 40001 or 40P01 with retries left: again after a backoff
                            v_later    := v_later || v_task;
                            v_later_at := v_later_at || (clock_timestamp() + least(interval '1 second',
                                              interval '10 milliseconds' * 2 ^ (r_attempts[v_task] - 1)));
                            r_attempts[v_task] := r_attempts[v_task] + 1;
                        ELSE
                            r_status[v_task] := coalesce(r_status[v_task], 'ok');
                            v_done := v_done + 1;
                            v_stop := v_stop OR (fail_fast AND r_status[v_task] <> 'ok');
                        END IF;
                        IF u_reset THEN
                            s_state[v_slot] := 'reset';  -- idle again once reset and set up
                        ELSIF u_first = 0 THEN
                            s_state[v_slot] := 'probe';  -- idle again once the probe is drained
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
                ELSIF u_first > 0 THEN
                    IF NOT v_plain[u_first] THEN
                        EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl) USING s_conn[v_slot], v_label;
                    END IF;
                    EXECUTE v_sql_send INTO v_sent USING s_conn[v_slot], u_sql;
                    IF v_sent <> 1 THEN
                        RAISE EXCEPTION USING ERRCODE = 'connection_failure',
                            MESSAGE = 'could not send a task to a worker connection',
                            DETAIL  = format('Connection %s refused task %s.', s_conn[v_slot], u_first);
                    END IF;
                END IF;

                IF v_sent = 1 AND u_first > 0 THEN
                    -- the unit is on its way
                    IF u_retry THEN
                        v_retry := v_retry[2:];
                    ELSE
                        v_next := u_last + 1;
                    END IF;
                    s_first[v_slot]  := u_first;
                    s_last[v_slot]   := u_last;
                    -- a batch counts results: the label's comes first
                    s_task[v_slot]   := CASE WHEN u_first = u_last THEN u_first ELSE u_first - 1 END;
                    s_state[v_slot]  := 'run';
                    s_zero[v_slot]    := 0;
                    s_reason[v_slot]  := NULL;
                    s_again[v_slot]   := false;
                    s_failed[v_slot]  := false;
                    s_started[v_slot] := clock_timestamp();
                    FOR v_t IN u_first..u_last LOOP
                        r_status[v_t]   := NULL;
                        r_result[v_t]   := NULL;
                        r_sqlstate[v_t] := NULL;
                        r_error[v_t]    := NULL;
                        r_detail[v_t]   := NULL;
                        r_hint[v_t]     := NULL;
                        r_start[v_t]    := s_started[v_slot];
                        r_conn[v_t]     := s_conn[v_slot];
                        r_attempts[v_t] := greatest(r_attempts[v_t], 1);
                    END LOOP;
                    v_active := true;
                END IF;
            END LOOP;

            IF progress AND (v_done = v_n OR clock_timestamp() >= v_report_at) THEN
                PERFORM set_config('client_min_messages', v_cmm, true);
                RAISE NOTICE USING MESSAGE = format(
                    'pdb_run: %s of %s tasks done (%s failed), %s running, %s s',
                    v_done, v_n,
                    (SELECT count(*) FROM unnest(r_status) AS st WHERE st IN ('error', 'timeout', 'cancelled')),
                    (SELECT count(*) FROM unnest(s_state) AS ss WHERE ss = 'run'),
                    round(CAST(extract(epoch FROM clock_timestamp() - v_started) AS numeric), 1));
                IF v_cmm NOT IN ('warning', 'error') THEN
                    PERFORM set_config('client_min_messages', 'warning', true);
                END IF;
                v_report_at := clock_timestamp() + interval '5 seconds';
            END IF;

            EXIT WHEN v_done = v_n;

            -- which running connections have a result ready (one round of polls;
            -- a precomputed statement per connection costs least after a sleep)
            v_ready := ARRAY[]::integer[];
            FOR v_slot IN 1..v_pool LOOP
                IF s_state[v_slot] IN ('run', 'probe', 'reset') THEN
                    EXECUTE v_sql_busy INTO v_busy USING s_conn[v_slot];
                    IF v_busy = 0 THEN
                        v_ready := v_ready || v_slot;
                    END IF;
                END IF;
            END LOOP;

            FOREACH v_slot IN ARRAY v_ready LOOP
                -- read every result this connection has ready, one after the other
                <<draining>>
                LOOP
                    v_task  := s_task[v_slot];
                    v_fetch := @extschema@._pdb_fetch(v_dbl, s_conn[v_slot]);
                    <<handled>>
                    BEGIN
                        IF s_state[v_slot] = 'probe' THEN
                            -- 'SELECT 1': one row, then the end
                            IF v_fetch.kind = 'empty' THEN
                                s_state[v_slot] := 'idle';
                            END IF;
                            EXIT handled;
                        END IF;
                        IF s_state[v_slot] = 'reset' THEN
                            -- 'DISCARD ALL' after task v_task: one result, then the end
                            IF v_fetch.kind = 'error' THEN
                                -- refused inside a transaction block: the task left one open
                                s_failed[v_slot] := true;
                                IF r_status[v_task] = 'ok' THEN
                                    r_status[v_task]   := 'error';
                                    r_result[v_task]   := NULL;
                                    r_sqlstate[v_task] := '25001';
                                    r_error[v_task]    := 'task left a transaction open';
                                    r_detail[v_task]   := 'pdb_run rolled it back: nothing of the task took effect.';
                                    r_hint[v_task]     := 'End every BEGIN of a task with COMMIT.';
                                    v_stop := v_stop OR fail_fast;
                                END IF;
                            ELSIF v_fetch.kind = 'empty' THEN
                                IF s_failed[v_slot] THEN
                                    EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl) USING s_conn[v_slot], 'ROLLBACK';
                                    EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl) USING s_conn[v_slot], c_reset;
                                END IF;
                                PERFORM @extschema@._pdb_prepare(v_dbl, s_conn[v_slot], setup);
                                s_state[v_slot] := 'idle';
                            END IF;
                            EXIT handled;
                        END IF;
                        IF s_first[v_slot] <> s_last[v_slot] THEN
                            -- a batch: one result per task, in order, then the end
                            IF v_fetch.kind = 'error' THEN
                                s_failed[v_slot] := true;  -- nothing of the batch took effect
                                IF left(v_fetch.err_sqlstate, 2) = '08' OR v_fetch.err_sqlstate IN ('57P01', '57P02', '57P03') THEN
                                    s_state[v_slot] := 'lost';
                                END IF;
                            ELSIF s_failed[v_slot] OR v_task > s_last[v_slot] THEN
                                -- the end of the batch: done, or each task again alone
                                FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                    IF NOT s_failed[v_slot] THEN
                                        r_status[v_t] := 'ok';
                                        r_end[v_t]    := clock_timestamp();
                                        v_done := v_done + 1;
                                    ELSIF v_stop THEN
                                        -- rolled back, and fail_fast runs nothing again
                                        r_status[v_t]   := 'cancelled';
                                        r_result[v_t]   := NULL;
                                        r_sqlstate[v_t] := '57014';
                                        r_error[v_t]    := 'task cancelled because another task failed (fail_fast)';
                                        r_end[v_t]      := clock_timestamp();
                                        v_done := v_done + 1;
                                    ELSE
                                        r_result[v_t] := NULL;
                                        v_retry := v_retry || v_t;
                                    END IF;
                                END LOOP;
                                s_state[v_slot] := 'idle';
                            ELSE
                                IF v_task >= s_first[v_slot] THEN  -- not the label's result
                                    r_result[v_task] := v_fetch.value;  -- NULL for 'empty' and 'novalue'
                                END IF;
                                s_task[v_slot] := v_task + 1;
                            END IF;
                            EXIT handled;
                        END IF;
                        CASE v_fetch.kind
                        WHEN 'row', 'novalue' THEN
                            -- a closing COMMIT does not hide the result of the work before it
                            IF v_fetch.value IS DISTINCT FROM 'COMMIT' THEN
                                r_result[v_task] := v_fetch.value;
                            END IF;
                        WHEN 'empty' THEN
                            s_state[v_slot] := 'maybe';
                            s_since[v_slot] := clock_timestamp();
                        ELSE  -- 'error': the query string stops at its first error
                            r_result[v_task] := NULL;
                            IF s_reason[v_slot] IS NULL THEN
                                r_status[v_task]   := 'error';
                                r_sqlstate[v_task] := v_fetch.err_sqlstate;
                                r_error[v_task]    := v_fetch.err_message;
                                r_detail[v_task]   := v_fetch.err_detail;
                                r_hint[v_task]     := v_fetch.err_hint;
                                s_again[v_slot]    := v_fetch.err_sqlstate IN ('40001', '40P01')
                                                      AND r_attempts[v_task] <= retries;
                            ELSIF s_reason[v_slot] = 'timeout' THEN
                                r_status[v_task]   := 'timeout';
                                r_sqlstate[v_task] := '57014';
                                r_error[v_task]    := format('task ran longer than task_timeout (%s)', task_timeout);
                            ELSIF s_reason[v_slot] = 'cancelled' THEN
                                r_status[v_task]   := 'cancelled';
                                r_sqlstate[v_task] := '57014';
                                r_error[v_task]    := 'task cancelled because another task failed (fail_fast)';
                            END IF;  -- 'blocked': keep the 40P01 pdb_run reported
                            -- stop now: the probe for this task's end must not be the next task
                            v_stop := v_stop OR (fail_fast AND NOT s_again[v_slot] AND r_status[v_task] <> 'cancelled');
                            IF left(v_fetch.err_sqlstate, 2) = '08' OR v_fetch.err_sqlstate IN ('57P01', '57P02', '57P03') THEN
                                s_state[v_slot] := 'lost';  -- the worker is gone
                            END IF;
                        END CASE;
                    END;
                    EXIT draining WHEN s_state[v_slot] NOT IN ('run', 'probe', 'reset');
                    EXECUTE v_sql_busy INTO v_busy USING s_conn[v_slot];
                    EXIT draining WHEN v_busy <> 0;
                END LOOP;
            END LOOP;

            -- task_timeout: cancel units that ran too long; wake up for the next deadline
            v_wake := (SELECT min(a) FROM unnest(v_later_at) AS a);
            IF task_timeout IS NOT NULL THEN
                FOR v_slot IN 1..v_pool LOOP
                    CONTINUE WHEN s_state[v_slot] <> 'run' OR s_reason[v_slot] IS NOT NULL;
                    IF clock_timestamp() >= s_started[v_slot] + task_timeout THEN
                        s_reason[v_slot] := 'timeout';
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                        v_active := true;
                    ELSE
                        v_wake := least(v_wake, s_started[v_slot] + task_timeout);
                    END IF;
                END LOOP;
            END IF;

            IF v_active OR cardinality(v_ready) > 0 THEN
                v_quiet := clock_timestamp();
            ELSE
                IF clock_timestamp() - v_checked > c_check_every THEN
                    /*
                     * A task waiting for a lock the caller holds can never get
                     * it: the caller's transaction lasts until pdb_run returns.
                     * (CREATE INDEX CONCURRENTLY in the caller's database waits
                     * for the caller's snapshot that way.) Cancel such tasks. A
                     * cancelled batch runs again task by task, so the blocked
                     * task ends up alone and reported.
                     */
                    FOREACH v_slot IN ARRAY ARRAY(
                        SELECT i FROM generate_series(1, v_pool) AS i
                         WHERE s_state[i] = 'run' AND s_reason[i] IS NULL
                           AND pg_backend_pid() = ANY (pg_blocking_pids(s_pid[i])))
                    LOOP
                        v_task := s_task[v_slot];
                        s_reason[v_slot] := 'blocked';
                        IF s_first[v_slot] = s_last[v_slot] THEN
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
                        END IF;
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                    END LOOP;
                    v_checked := clock_timestamp();
                END IF;
                /*
                 * Back off: sleep 1/16 of the time since anything last
                 * happened, at least 1 ms, at most 32 ms. A connection that
                 * finishes a short task waits about a millisecond for the
                 * next; one that ran long waits at most 1/16 of its run time;
                 * a wake-up costs about 0.15 ms of CPU, so the coordinator
                 * uses about 0.5% of a core while tasks run long.
                 */
                PERFORM pg_sleep(least(c_max_sleep,
                                       greatest(c_min_sleep,
                                                CAST(extract(epoch FROM clock_timestamp() - v_quiet)
                                                     AS double precision) / 16),
                                       CAST(extract(epoch FROM v_wake - clock_timestamp()) AS double precision)));
            END IF;
        END LOOP;

        PERFORM @extschema@._pdb_close(v_dbl, s_conn, false);
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks) AS l;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_close(
            v_dbl,
            ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(v_dbl)) AS c
                   WHERE left(c, length(v_prefix)) = v_prefix),
            true);
        -- session advisory locks outlive the rollback: release them here
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks) AS l;
        PERFORM set_config('client_min_messages', v_cmm, true);
        RAISE;
    END;
    PERFORM set_config('client_min_messages', v_cmm, true);

    RETURN QUERY
        SELECT u.o::integer, u.st, u.res, u.ss, u.er, u.sa, u.fa, u.de, u.hi, u.cn, u.at
          FROM unnest(r_status, r_result, r_sqlstate, r_error, r_start, r_end, r_detail, r_hint, r_conn, r_attempts)
               WITH ORDINALITY AS u(st, res, ss, er, sa, fa, de, hi, cn, at, o)
         ORDER BY u.o;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_run(text[], integer, text, integer, boolean, interval, integer, text[], boolean, boolean) IS
'Run each statement of tasks in parallel on at most max_conns dblink connections, optionally batch_size tasks per round trip; one row per task';
