/*
 * _pdb_run(tasks text[], targets text[], max_conns integer, batch_size integer,
 *          fail_fast boolean, task_timeout interval, retries integer,
 *          setup text[], progress boolean, same_snapshot boolean,
 *          atomic boolean, caller text)
 *     RETURNS SETOF pdb_target_result
 *
 * The engine behind pdb_run, pdb_run_at and pdb_broadcast (caller names which,
 * for messages). targets holds one target for all tasks, or one per task: a
 * libpq connection string, a dblink_fdw foreign server name, or NULL for a
 * loopback connection to this database as the current user. Each distinct
 * target gets a pool of its own of at most max_conns connections; the column
 * target is the task's target with passwords masked (NULL for this database).
 * The behaviour of every option is documented on pdb_run.
 *
 * How it works. Tasks are grouped by target (positions 1..n, target by
 * target, each in task order: v_order maps a position back to its task
 * number), so that a unit of work (one task, or a batch) is a run of
 * consecutive positions. Each pool connection (slot) is a small state machine:
 *
 *   idle   nothing sent; takes the next unit of its target
 *   run    a unit was sent; its results are read as they come
 *   maybe  a task's results ended with "no rows": that is its end, or a
 *          one-column result without rows with more to come. dblink cannot
 *          tell these apart, but only an idle connection accepts a query:
 *          sending the next unit (or a probe) tells which
 *   ended  a single statement's result and its end were read in one call:
 *          the task is settled when the slot takes its next unit, or none
 *   probe  'SELECT 1' was sent to confirm an end; idle once it is drained
 *   reset  'DISCARD ALL' was sent after a task that may leave session state
 *          (or an open transaction: 25001 for that task); then setup again
 *   lost   the worker went away: its unit is settled and the slot reopened
 *   dead   it could not be reopened (pdb_run_at, pdb_broadcast: when the last
 *          slot of a target dies, the target's remaining tasks fail with the
 *          connection error; pdb_run raises it)
 *
 * atomic: each task runs as BEGIN; task; PREPARE TRANSACTION 'pdb_<run>_<task>'
 * (run is a random uuid, task the task number). The call is recorded in
 * pdb_atomic_run through a connection of its own before any task runs, and an
 * advisory lock (key1 1885627491, key2 hashtext(run)) held while the call
 * runs tells pdb_recover it is alive. When every task has prepared, the
 * decision 'commit' is recorded the same way, then every prepared transaction
 * of the run is committed; otherwise (or on any error of the caller) all are
 * rolled back. The record is deleted once nothing of the run is left prepared.
 */
CREATE FUNCTION @extschema@._pdb_run(tasks text[], targets text[], max_conns integer, batch_size integer,
                                     fail_fast boolean, task_timeout interval, retries integer,
                                     setup text[], progress boolean, same_snapshot boolean,
                                     atomic boolean, caller text)
RETURNS SETOF @extschema@.pdb_target_result
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound       CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    c_probe       CONSTANT text := 'SELECT 1';
    c_reset       CONSTANT text := 'DISCARD ALL';
    c_min_sleep   CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max_sleep   CONSTANT double precision := CAST(0.0635 AS double precision);  -- 64 ms
    c_spin        CONSTANT double precision := CAST(0.001 AS double precision);   -- units shorter poll without sleep
    c_spin_for    CONSTANT interval := make_interval(secs => c_spin);             -- so, for at most this long after an event
    c_spin_cold   CONSTANT interval := interval '3 milliseconds';  -- the same before any unit ended (see the back off)
    c_check_every CONSTANT interval := interval '1 second';
    c_margin      CONSTANT integer := 2;           -- connection slots always left to other sessions
    c_lock_space  CONSTANT integer := 1885627490;  -- advisory lock key1 of parallel_dblink.max_total_conns
    c_run_space   CONSTANT integer := 1885627491;  -- advisory lock key1 of a running atomic call
    v_multi     boolean := caller IS DISTINCT FROM 'pdb_run';  -- a target's failure fails only its tasks
    v_ff        boolean := fail_fast OR coalesce(atomic, false);  -- atomic stops at the first failure
    v_tasks     text[];
    v_order     integer[];  -- position -> task number (NULL: the same)
    v_pos       integer[];  -- task number -> position
    v_tgt       integer[];  -- position -> target number
    v_batchable boolean[];
    v_stateful  boolean[];
    v_single    boolean[];  -- one statement, sent as is: its end follows its result at once
    v_tag       text[];     -- how _pdb_batch reports the task; NULL: not through it
    v_snapshot  text;
    v_started   timestamptz := clock_timestamp();
    v_report_at timestamptz := clock_timestamp() + interval '5 seconds';
    v_retry     integer[] := ARRAY[]::integer[];  -- tasks to run alone, before the next new task
    v_later     integer[] := ARRAY[]::integer[];  -- tasks to retry after a backoff ...
    v_later_at  timestamptz[] := ARRAY[]::timestamptz[];  -- ... not before these times
    v_cancelled text := format('task cancelled because another task failed (%s)',
                               CASE WHEN atomic THEN 'atomic' ELSE 'fail_fast' END);
    v_stop      boolean := false;  -- fail_fast was triggered
    v_stopped   boolean := false;  -- and acted upon
    v_wake      timestamptz;
    v_cap_text  text := nullif(current_setting('parallel_dblink.max_total_conns', true), '');
    v_locks     integer[] := ARRAY[]::integer[];
    v_free      integer;
    v_want      integer;
    v_i         integer;
    v_n         integer;
    v_nt        integer;
    v_d         integer;
    v_k         integer;
    v_pool      integer := 0;
    v_dbl       name;
    v_call      bigint;
    v_prefix    text;
    v_cmm       text;
    v_label     text;       -- a unit's label comment, before and after its first task's number
    v_label_end text;
    v_done      integer := 0;
    v_busy      integer;
    v_there     boolean;    -- a connection's next result is known to be there: read it without a poll
    v_sent      integer;
    v_sql_send  text;
    v_sql_busy  text;
    v_bound     boolean;    -- dblink is still where it was at install: static calls
    v_active    boolean;
    v_quiet     timestamptz := clock_timestamp();
    v_typical   double precision;  -- how long a unit runs, in seconds (a moving average) ...
    v_ran       double precision;  -- ... of these: it ended between the previous poll and the one that
    v_polled    timestamptz;       -- found it done, so the middle of that time counts (a sleep of the
    v_polling   timestamptz;       -- coordinator does not make units look longer)
    v_spread    double precision;  -- how far a unit's run time is from the typical one (a moving average)
    v_alike     boolean;           -- units run alike: v_spread under 1/8 of v_typical
    v_since     timestamptz;       -- the back off counts from this
    v_due       timestamptz;       -- when a running unit would end if it ran the typical time
    v_checked   timestamptz := clock_timestamp();
    v_ended     timestamptz;       -- when the unit whose end was just read ended
    v_fetch     record;
    v_p         integer;    -- a task's position
    -- the result just read (see _pdb_fetch): its kind, value, error, and whether its end was read too
    f_and_end   boolean;
    f_kind      text;
    f_value     text;
    f_sqlstate  text;
    f_message   text;
    f_detail    text;
    f_hint      text;
    f_ended     boolean;
    f_lost      boolean;
    ex_context  text;
    v_results   text[];     -- what _pdb_batch returned
    v_open      record;
    v_blocked   integer;    -- a slot whose worker the caller blocks
    v_task      integer;
    v_row       @extschema@.pdb_target_result;
    -- atomic
    v_run       uuid;
    v_gid       text;       -- prefix of the run's prepared transaction names
    v_phase     text;       -- NULL, run, deciding, commit, rollback
    v_commit    boolean;
    v_left      boolean := false;
    -- the next unit of work: one task, or a batch of positions u_first..u_last
    u_first     integer;
    u_last      integer;
    u_retry     boolean;
    u_reset     boolean;
    u_exec      boolean;    -- a batch through _pdb_batch
    u_tasks     text[];     -- its tasks and their tags
    u_tags      text[];
    u_sql       text;
    -- per target
    d_connstr   text[];     -- the connection string (NULL made the loopback one)
    d_masked    text[];     -- as reported: passwords masked, NULL for this database
    d_first     integer[];  -- its positions: d_first..d_end
    d_end       integer[];
    d_next      integer[];  -- its next new position
    d_pool      integer[];
    d_slots     integer[];  -- live connections
    d_sent      text[];     -- its connection string once a task was sent to it (what to settle when atomic)
    d_exec      boolean[];  -- batches may run through _pdb_batch: this database, until that fails
    d_failure   jsonb[];    -- why it is unusable (sqlstate, error, detail, hint): its remaining tasks fail so
    -- per slot of the pool
    s_conn      text[];
    s_tgt       integer[];
    s_pid       integer[];  -- the worker's pid when it is a backend of this server
    s_state     text[];   -- idle | run | maybe | ended | probe | reset | lost | dead
    s_first     integer[];
    s_last      integer[];
    s_task      integer[];  -- the task whose result arrives next
    s_since     timestamptz[];
    s_zero      integer[];
    s_reason    text[];     -- why the unit was cancelled: blocked | timeout | cancelled
    s_again     boolean[];  -- its task failed in a way worth a retry
    s_started   timestamptz[];
    s_failed    boolean[];
    s_gen       integer[];
    s_exec      boolean[];  -- its unit is a batch through _pdb_batch
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
    v_i := array_position(ARRAY[same_snapshot, progress, fail_fast, atomic], NULL);
    IF v_i IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be true or false', (ARRAY['same_snapshot', 'progress', 'fail_fast', 'atomic'])[v_i]);
    END IF;
    IF array_position(setup, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'setup must not contain null';
    END IF;
    IF atomic AND same_snapshot THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'atomic and same_snapshot cannot be combined',
            DETAIL  = 'same_snapshot tasks are read-only: there is nothing to commit all or nothing.';
    END IF;
    IF atomic THEN
        v_i := @extschema@._pdb_no_transaction_block(v_tasks);
        IF v_i IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction',
                MESSAGE = format('task %s cannot run in a transaction block, so not with atomic => true', v_i),
                DETAIL  = format('The task is: %s', left(v_tasks[v_i], 200)),
                HINT    = 'atomic runs each task in a transaction that ends with PREPARE TRANSACTION. Run '
                          'VACUUM, CONCURRENTLY, database and tablespace commands, and tasks with their own '
                          'transaction control without atomic.';
        END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /*
     * Group the tasks by target, each target's in task order: positions
     * d_first[d]..d_end[d] are target d's. One target keeps the task order.
     */
    IF cardinality(targets) = 1 THEN
        d_connstr := ARRAY[targets[array_lower(targets, 1)]];  -- (whatever the array's lower bound)
        v_tgt     := array_fill(1, ARRAY[v_n]);
        d_first   := ARRAY[1];
        d_end     := ARRAY[v_n];
    ELSE
        -- distinct targets in order of first use (NULL, this database, is one of them)
        d_connstr := ARRAY(SELECT x.t FROM unnest(targets) WITH ORDINALITY AS x(t, o) GROUP BY x.t ORDER BY min(x.o));
        SELECT array_agg(x.o ORDER BY x.d, x.o), array_agg(x.d ORDER BY x.d, x.o)
          INTO v_order, v_tgt
          FROM (SELECT y.o::integer AS o, array_position(d_connstr, y.t) AS d
                  FROM unnest(targets) WITH ORDINALITY AS y(t, o)) AS x;
        v_pos   := ARRAY(SELECT x.k::integer FROM unnest(v_order) WITH ORDINALITY AS x(o, k) ORDER BY x.o);
        v_tasks := ARRAY(SELECT v_tasks[x.o] FROM unnest(v_order) WITH ORDINALITY AS x(o, k) ORDER BY x.k);
        SELECT array_agg(x.lo ORDER BY x.d), array_agg(x.hi ORDER BY x.d) INTO d_first, d_end
          FROM (SELECT y.d, min(y.k)::integer AS lo, max(y.k)::integer AS hi
                  FROM unnest(v_tgt) WITH ORDINALITY AS y(d, k) GROUP BY y.d) AS x;
    END IF;
    v_nt       := cardinality(d_connstr);
    d_next     := d_first;
    d_masked   := ARRAY(SELECT @extschema@._pdb_mask(x.c, x.c) FROM unnest(d_connstr) WITH ORDINALITY AS x(c, o)
                         ORDER BY x.o);
    d_failure  := array_fill(NULL::jsonb, ARRAY[v_nt]);
    d_slots    := array_fill(0, ARRAY[v_nt]);
    d_sent     := array_fill(NULL::text, ARRAY[v_nt]);
    d_exec     := ARRAY(SELECT m IS NULL FROM unnest(d_masked) WITH ORDINALITY AS x(m, o) ORDER BY x.o);
    d_pool     := ARRAY(SELECT least(max_conns, d_end[d] - d_first[d] + 1) FROM generate_series(1, v_nt) AS d
                         ORDER BY d);

    v_dbl      := @extschema@._pdb_dblink_schema();
    v_call     := @extschema@._pdb_session_init();
    v_prefix   := format('pdb_%s_%s_', pg_backend_pid(), v_call);
    v_label    := format('/* pdb_run:%s:', pg_backend_pid());  -- v_label || task || v_label_end
    v_label_end := format(E'/%s */\n', v_n);
    v_sql_send := format('SELECT %I.dblink_send_query($1, $2)', v_dbl);
    v_sql_busy := format('SELECT %I.dblink_is_busy($1)', v_dbl);
    v_bound    := v_dbl = c_bound;
    FOR v_tg IN 1..v_nt LOOP
        d_connstr[v_tg] := coalesce(d_connstr[v_tg], @extschema@._pdb_default_connstr());
    END LOOP;
    SELECT c.stateful, c.batchable, c.single, c.tag INTO v_stateful, v_batchable, v_single, v_tag
      FROM @extschema@._pdb_classify(v_tasks) AS c;
    IF same_snapshot OR atomic THEN
        -- each task in a transaction of its own (on the caller's snapshot, or
        -- ending prepared): alone, and with a reset after it (a failed one
        -- stays open)
        v_stateful  := array_fill(true, ARRAY[v_n]);
        v_batchable := array_fill(false, ARRAY[v_n]);
        v_single    := v_batchable;
    END IF;
    IF same_snapshot THEN
        v_snapshot  := pg_export_snapshot();
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
         * connection holds one of that many advisory locks. Then each target
         * server's free slots, minus a margin left to other sessions: on a
         * loopback counted before anything opens, elsewhere through the
         * first connection.
         */
        v_want := (SELECT sum(p)::integer FROM unnest(d_pool) AS p);
        IF v_cap_text IS NOT NULL THEN
            IF v_cap_text !~ '^[0-9]{1,9}$' OR v_cap_text::integer < 1 THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = 'parallel_dblink.max_total_conns must be a positive integer',
                    DETAIL  = format('It is "%s".', v_cap_text);
            END IF;
            -- (no more locks can matter than there can be connections)
            FOR v_key IN 1..least(v_cap_text::integer, current_setting('max_connections')::integer) LOOP
                EXIT WHEN cardinality(v_locks) = v_want;
                IF pg_try_advisory_lock(c_lock_space, v_key) THEN
                    v_locks := v_locks || v_key;
                END IF;
            END LOOP;
            IF cardinality(v_locks) < v_nt THEN
                RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
                    MESSAGE = CASE WHEN cardinality(v_locks) = 0
                                   THEN 'all connections allowed by parallel_dblink.max_total_conns are in use'
                                   ELSE 'parallel_dblink.max_total_conns leaves fewer connections than targets' END,
                    DETAIL  = format('parallel_dblink.max_total_conns is %s; %s of them are free; there are %s targets.',
                                     v_cap_text, cardinality(v_locks), v_nt),
                    HINT    = 'Try again later, or raise the setting.';
            ELSIF cardinality(v_locks) < v_want THEN
                RAISE WARNING USING
                    MESSAGE = format('%s uses %s connections instead of %s', caller, cardinality(v_locks), v_want),
                    DETAIL  = format('parallel_dblink.max_total_conns is %s, and other pdb_run calls of this '
                                     'database may hold some of them.', v_cap_text);
                -- share them out, a connection to each target in turn
                v_k := cardinality(v_locks);
                d_pool := array_fill(0, ARRAY[v_nt]);
                WHILE v_k > 0 LOOP
                    FOR v_tg IN 1..v_nt LOOP
                        IF v_k > 0 AND d_pool[v_tg] < least(max_conns, d_end[v_tg] - d_first[v_tg] + 1) THEN
                            d_pool[v_tg] := d_pool[v_tg] + 1;
                            v_k := v_k - 1;
                        END IF;
                    END LOOP;
                END LOOP;
            END IF;
        END IF;
        FOR v_tg IN 1..v_nt LOOP
            v_want := d_pool[v_tg];
            v_free := NULL;  -- (counted again for each target)
            v_k := 0;
            WHILE v_k < v_want LOOP
                v_k := v_k + 1;
                IF v_k = 1 AND d_masked[v_tg] IS NULL THEN  -- (the loopback)
                    v_free := @extschema@._pdb_free_slots(v_dbl, NULL) - c_margin;
                ELSIF v_k = 2 AND d_masked[v_tg] IS NOT NULL THEN
                    v_free := @extschema@._pdb_free_slots(v_dbl, s_conn[v_pool]) - c_margin + 1;  -- + the one we hold
                END IF;
                IF v_k <= 2 AND v_free < v_want THEN
                    IF v_free < 1 AND NOT v_multi THEN
                        RAISE EXCEPTION USING ERRCODE = 'too_many_connections',
                            MESSAGE = 'no connection slot is free on the target server',
                            DETAIL  = format('pdb_run leaves %s slots to other sessions.', c_margin),
                            HINT    = 'Try again later, or raise max_connections or the connection limits.';
                    ELSIF v_free < 1 AND v_k = 1 THEN
                        d_failure[v_tg] := jsonb_build_object(
                            'sqlstate', '53300', 'error', 'no connection slot is free on the target server',
                            'detail', format('%s leaves %s slots to other sessions.', caller, c_margin));
                        EXIT;
                    END IF;
                    v_free := greatest(v_free, 1);
                    RAISE WARNING USING
                        MESSAGE = format('%s uses %s connections instead of %s%s', caller, v_free, v_want,
                                         CASE WHEN v_multi THEN ' on target ' || coalesce(d_masked[v_tg], 'NULL (this database)') END),
                        DETAIL  = format('Only %s connection slots are free on the target server once %s are left '
                                         'to other sessions.', v_free, c_margin);
                    v_want := v_free;
                END IF;
                EXIT WHEN v_k > v_want;
                v_pool := v_pool + 1;
                s_conn[v_pool]  := v_prefix || v_pool;
                s_tgt[v_pool]   := v_tg;
                s_task[v_pool]  := 0;
                s_gen[v_pool]   := 0;
                s_exec[v_pool]  := false;
                -- pdb_run raises a failure to connect; the others fail the target's tasks
                v_open := @extschema@._pdb_try_open(v_dbl, s_conn[v_pool], d_connstr[v_tg], setup, v_call, v_pool,
                                                    NOT v_multi);
                s_pid[v_pool] := v_open.pid;
                IF v_open.failure IS NOT NULL THEN
                    s_state[v_pool] := 'dead';
                    d_failure[v_tg]  := coalesce(d_failure[v_tg], v_open.failure);
                    EXIT;
                END IF;
                s_state[v_pool] := 'idle';
                d_slots[v_tg]    := d_slots[v_tg] + 1;
            END LOOP;
        END LOOP;
        -- locks beyond the connections opened go back
        v_k := (SELECT sum(n)::integer FROM unnest(d_slots) AS n);
        IF cardinality(v_locks) > v_k THEN
            PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks[v_k + 1:]) AS l;
            v_locks := v_locks[:v_k];
        END IF;

        IF atomic THEN
            -- every target must hold all its tasks prepared at once, before anything runs
            FOR v_slot IN 1..v_pool LOOP
                CONTINUE WHEN s_state[v_slot] <> 'idle';
                v_d := s_tgt[v_slot];
                EXECUTE format('SELECT m.v FROM %I.dblink($1, $2) AS m(v integer)', v_dbl) INTO v_i
                    USING s_conn[v_slot], 'SELECT current_setting(''max_prepared_transactions'')::integer';
                IF v_i < d_end[v_d] - d_first[v_d] + 1 THEN
                    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
                        MESSAGE = CASE WHEN v_i = 0
                                       THEN format('target %s does not allow prepared transactions',
                                                   coalesce(d_masked[v_d], 'NULL (this database)'))
                                       ELSE format('target %s allows fewer prepared transactions than the call has tasks there',
                                                   coalesce(d_masked[v_d], 'NULL (this database)')) END,
                        DETAIL  = format('Its max_prepared_transactions is %s; atomic => true keeps each of the %s '
                                         'tasks there prepared until all have prepared.', v_i, d_end[v_d] - d_first[v_d] + 1),
                        HINT    = 'Raise max_prepared_transactions on that server (it needs a restart), or run '
                                  'fewer tasks there in one atomic call.';
                END IF;
            END LOOP;
            -- record the call, then hold its lock while it runs: pdb_recover leaves it alone
            v_run := gen_random_uuid();
            v_gid := 'pdb_' || replace(v_run::text, '-', '') || '_';
            PERFORM pg_advisory_lock(c_run_space, hashtext(v_run::text));
            v_phase := 'run';
            PERFORM @extschema@._pdb_autonomous(format(
                'INSERT INTO @extschema@.pdb_atomic_run (run_id, coordinator_pid, targets, tasks) '
                'VALUES (%L, %s, %L, %s) RETURNING 1', v_run, pg_backend_pid(), d_masked, v_n), NULL);
        END IF;

        LOOP
            v_active := false;

            -- retries whose backoff is over go first in the queue
            IF cardinality(v_later) > 0 THEN
                FOR v_l IN REVERSE cardinality(v_later)..1 LOOP
                    IF v_later_at[v_l] <= clock_timestamp() THEN
                        v_retry    := v_later[v_l] || v_retry;
                        v_later    := v_later[:v_l - 1] || v_later[v_l + 1:];
                        v_later_at := v_later_at[:v_l - 1] || v_later_at[v_l + 1:];
                    END IF;
                END LOOP;
            END IF;

            -- a target without a connection: what it still has to run fails
            -- (only such a target has no live slot; the test is done in C)
            FOR v_tg IN 1..CASE WHEN array_position(d_slots, 0) IS NULL THEN 0 ELSE v_nt END LOOP
                CONTINUE WHEN d_slots[v_tg] > 0 OR (d_next[v_tg] > d_end[v_tg] AND cardinality(v_retry) = 0);
                FOREACH v_i IN ARRAY ARRAY(SELECT generate_series(d_next[v_tg], d_end[v_tg]))
                                     || ARRAY(SELECT r FROM unnest(v_retry) AS r WHERE v_tgt[r] = v_tg) LOOP
                    r_status[v_i]   := 'error';
                    r_result[v_i]   := NULL;
                    r_sqlstate[v_i] := d_failure[v_tg]->>'sqlstate';
                    r_error[v_i]    := d_failure[v_tg]->>'error';
                    r_detail[v_i]   := d_failure[v_tg]->>'detail';
                    r_hint[v_i]     := d_failure[v_tg]->>'hint';
                    r_end[v_i]      := clock_timestamp();
                    v_done := v_done + 1;
                    v_stop := v_stop OR v_ff;
                END LOOP;
                v_retry := ARRAY(SELECT x.r FROM unnest(v_retry) WITH ORDINALITY AS x(r, o)
                                  WHERE v_tgt[x.r] <> v_tg ORDER BY x.o);
                d_next[v_tg] := d_end[v_tg] + 1;
            END LOOP;

            -- fail_fast: start nothing more, cancel what runs
            IF v_stop AND NOT v_stopped THEN
                v_stopped := true;
                FOREACH v_i IN ARRAY v_retry || ARRAY(SELECT generate_series(d_next[d], d_end[d])
                                                        FROM generate_series(1, v_nt) AS d) LOOP
                    r_status[v_i] := 'skipped';
                    v_done := v_done + 1;
                END LOOP;
                -- tasks waiting for a retry keep the error they got
                v_done  := v_done + cardinality(v_later);
                v_retry    := ARRAY[]::integer[];
                v_later    := ARRAY[]::integer[];
                v_later_at := ARRAY[]::timestamptz[];
                d_next     := ARRAY(SELECT e + 1 FROM unnest(d_end) WITH ORDINALITY AS x(e, o) ORDER BY x.o);
                FOR v_slot IN 1..v_pool LOOP
                    IF s_state[v_slot] = 'run' THEN
                        s_reason[v_slot] := coalesce(s_reason[v_slot], 'cancelled');
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                    END IF;
                END LOOP;
            END IF;

            -- one pass over the pool: each connection reads what it has ready,
            -- then takes its next unit at once
            v_polled := v_polling;  -- (a unit found done now ended since then)
            v_polling := clock_timestamp();
            FOR v_slot IN 1..v_pool LOOP
                -- a running connection: read every result it has ready, one after the other
                v_there := false;
                <<draining>>
                WHILE s_state[v_slot] IN ('run', 'probe', 'reset') LOOP
                    IF NOT v_there THEN
                        IF v_bound THEN
                            v_busy := "@dblink@".dblink_is_busy(s_conn[v_slot]);
                        ELSE
                            EXECUTE v_sql_busy INTO v_busy USING s_conn[v_slot];
                        END IF;
                        EXIT draining WHEN v_busy <> 0;
                    END IF;
                    v_active := true;
                    v_task  := s_task[v_slot];
                    -- a single statement's end comes with its result: read both at once
                    f_and_end := s_state[v_slot] = 'run' AND s_first[v_slot] = s_last[v_slot] AND v_single[v_task];
                    IF v_bound THEN
                        /*
                         * _pdb_fetch inline (its call, with its pinned
                         * search_path, costs about 6 us per task): one result,
                         * and with f_and_end the end after it; a remote error
                         * is a result of kind 'error' (see _pdb_fetch).
                         */
                        f_ended := false;
                        f_lost  := false;
                        BEGIN
                            SELECT r.v INTO f_value FROM "@dblink@".dblink_get_result(s_conn[v_slot], true) AS r(v text)
                             LIMIT 1;
                            f_kind := CASE WHEN FOUND THEN 'row' ELSE 'empty' END;
                            IF f_and_end THEN
                                PERFORM FROM "@dblink@".dblink_get_result(s_conn[v_slot], true) AS r(v text);
                                f_ended := true;
                            END IF;
                        EXCEPTION WHEN query_canceled OR others THEN
                            GET STACKED DIAGNOSTICS f_sqlstate = RETURNED_SQLSTATE, f_message = MESSAGE_TEXT,
                                                    f_detail = PG_EXCEPTION_DETAIL, f_hint = PG_EXCEPTION_HINT,
                                                    ex_context = PG_EXCEPTION_CONTEXT;
                            f_value := NULL;
                            SELECT e.kind, e.lost INTO f_kind, f_lost
                              FROM @extschema@._pdb_result_error(v_dbl, s_conn[v_slot], f_sqlstate, ex_context) AS e;
                            IF f_kind IS NULL THEN
                                RAISE;
                            END IF;
                        END;
                    ELSE
                        SELECT * INTO f_kind, f_value, f_sqlstate, f_message, f_detail, f_hint, f_ended, f_lost
                          FROM @extschema@._pdb_fetch(v_dbl, s_conn[v_slot], f_and_end);
                    END IF;
                    <<handled>>
                    BEGIN
                        IF s_state[v_slot] = 'probe' THEN
                            -- 'SELECT 1': one row, then the end
                            IF f_kind = 'empty' THEN
                                s_state[v_slot] := 'idle';
                            END IF;
                            EXIT handled;
                        END IF;
                        IF s_state[v_slot] = 'reset' THEN
                            -- 'DISCARD ALL' after task v_task: one result, then the end
                            IF f_kind = 'error' THEN
                                -- refused inside a transaction block: the task left one open
                                s_failed[v_slot] := true;
                                IF r_status[v_task] = 'ok' THEN
                                    r_status[v_task]   := 'error';
                                    r_result[v_task]   := NULL;
                                    r_sqlstate[v_task] := '25001';
                                    r_error[v_task]    := 'task left a transaction open';
                                    r_detail[v_task]   := 'pdb_run rolled it back: nothing of the task took effect.';
                                    r_hint[v_task]     := 'End every BEGIN of a task with COMMIT.';
                                    v_stop := v_stop OR v_ff;
                                END IF;
                            ELSIF f_kind = 'empty' THEN
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
                            IF f_kind = 'error' THEN
                                s_failed[v_slot] := true;  -- nothing of the batch took effect
                                IF f_lost THEN
                                    s_state[v_slot] := 'lost';
                                ELSIF s_exec[v_slot] AND f_sqlstate IN ('42883', '3F000', '42501') THEN
                                    -- maybe it cannot call _pdb_batch (or a task failed so): plain batches
                                    d_exec[s_tgt[v_slot]] := false;
                                END IF;
                            ELSIF s_failed[v_slot] OR v_task > s_last[v_slot] THEN
                                -- the end of the batch: done, or each task again alone
                                v_ended := clock_timestamp();
                                IF NOT s_failed[v_slot] THEN
                                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                        r_status[v_t] := 'ok';
                                        r_end[v_t]    := v_ended;
                                    END LOOP;
                                    v_done := v_done + s_last[v_slot] - s_first[v_slot] + 1;
                                ELSE
                                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                        IF v_stop THEN
                                            -- rolled back, and fail_fast runs nothing again
                                            r_status[v_t]   := 'cancelled';
                                            r_result[v_t]   := NULL;
                                            r_sqlstate[v_t] := '57014';
                                            r_error[v_t]    := v_cancelled;
                                            r_end[v_t]      := v_ended;
                                            v_done := v_done + 1;
                                        ELSE
                                            r_result[v_t] := NULL;
                                            v_retry := v_retry || v_t;
                                        END IF;
                                    END LOOP;
                                END IF;
                                s_state[v_slot] := 'idle';
                            ELSIF s_exec[v_slot] THEN
                                -- _pdb_batch: the results of all its tasks at once
                                v_results := CAST(f_value AS text[]);
                                FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                    r_result[v_t] := v_results[v_t - s_first[v_slot] + 1];
                                END LOOP;
                                s_task[v_slot] := s_last[v_slot] + 1;
                            ELSE
                                r_result[v_task] := f_value;  -- NULL for 'empty' and 'novalue'
                                s_task[v_slot] := v_task + 1;
                            END IF;
                            EXIT handled;
                        END IF;
                        CASE f_kind
                        WHEN 'row', 'novalue', 'empty' THEN
                            -- a closing COMMIT or PREPARE does not hide the result of the work before it
                            IF f_kind <> 'empty'
                               AND NOT coalesce(f_value IN ('COMMIT', 'PREPARE TRANSACTION'), false) THEN
                                r_result[v_task] := f_value;
                            END IF;
                            -- the end of the task ('ended'), or perhaps ('maybe', see below)
                            IF f_ended OR f_kind = 'empty' THEN
                                s_state[v_slot] := CASE WHEN f_ended THEN 'ended' ELSE 'maybe' END;
                                s_since[v_slot] := clock_timestamp();
                                v_ended := s_since[v_slot];
                            END IF;
                        ELSE  -- 'error': the query string stops at its first error
                            r_result[v_task] := NULL;
                            IF s_reason[v_slot] IS NULL THEN
                                r_status[v_task]   := 'error';
                                r_sqlstate[v_task] := f_sqlstate;
                                r_error[v_task]    := f_message;
                                r_detail[v_task]   := f_detail;
                                r_hint[v_task]     := f_hint;
                                s_again[v_slot]    := f_sqlstate IN ('40001', '40P01')
                                                      AND r_attempts[v_task] <= retries;
                            ELSIF s_reason[v_slot] = 'timeout' THEN
                                r_status[v_task]   := 'timeout';
                                r_sqlstate[v_task] := '57014';
                                r_error[v_task]    := format('task ran longer than task_timeout (%s)', task_timeout);
                            ELSIF s_reason[v_slot] = 'cancelled' THEN
                                r_status[v_task]   := 'cancelled';
                                r_sqlstate[v_task] := '57014';
                                r_error[v_task]    := v_cancelled;
                            END IF;  -- 'blocked': keep the 40P01 pdb_run reported
                            -- stop now: the probe for this task's end must not be the next task
                            v_stop := v_stop OR (v_ff AND NOT s_again[v_slot] AND r_status[v_task] <> 'cancelled');
                            IF f_lost THEN
                                s_state[v_slot] := 'lost';  -- the worker is gone
                            END IF;
                        END CASE;
                    END;
                    IF v_ended IS NOT NULL THEN
                        -- a unit ended: its run time joins the typical one
                        -- (date_part: double precision, where extract computes in numeric)
                        v_ran := date_part('epoch', (v_ended - s_started[v_slot])
                                                    - (v_ended - greatest(s_started[v_slot], v_polled)) / 2);
                        IF v_typical IS NOT NULL THEN
                            v_spread := coalesce(0.75 * v_spread + 0.25 * abs(v_ran - v_typical),
                                                 abs(v_ran - v_typical));
                        END IF;
                        v_typical := coalesce(0.75 * v_typical + 0.25 * v_ran, v_ran);
                        v_ended := NULL;
                    END IF;
                    -- after the one result of a single statement (a task, the probe,
                    -- the reset) its end is there already: read it without asking
                    v_there := f_kind IN ('row', 'novalue')
                               AND (s_state[v_slot] IN ('probe', 'reset') OR s_exec[v_slot]
                                    OR (s_first[v_slot] = s_last[v_slot] AND v_single[v_task]));
                END LOOP;

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
                            v_stop := v_stop OR v_ff;
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
                    v_active := true;
                    v_open := @extschema@._pdb_try_open(v_dbl, s_conn[v_slot], d_connstr[s_tgt[v_slot]], setup,
                                                        v_call, v_slot, NOT v_multi);
                    s_pid[v_slot] := v_open.pid;
                    IF v_open.failure IS NOT NULL THEN
                        s_state[v_slot] := 'dead';
                        v_d := s_tgt[v_slot];
                        d_slots[v_d]    := d_slots[v_d] - 1;
                        d_failure[v_d]  := v_open.failure;
                        CONTINUE;  -- the target's other connections carry on, if it has any
                    END IF;
                    s_state[v_slot] := 'idle';
                END IF;

                CONTINUE WHEN s_state[v_slot] NOT IN ('idle', 'maybe', 'ended');

                -- the next unit: a task to run again alone, else the next task
                -- with as many batchable followers as batch_size allows
                v_d := s_tgt[v_slot];
                u_first := 0;
                u_exec  := false;
                v_i := NULL;  -- the place of a retry of this target in v_retry
                IF NOT v_stop AND cardinality(v_retry) > 0 THEN
                    v_i := CASE WHEN v_nt = 1 THEN 1
                                ELSE (SELECT min(x.o)::integer FROM unnest(v_retry) WITH ORDINALITY AS x(r, o)
                                       WHERE v_tgt[x.r] = v_d) END;
                END IF;
                u_retry := v_i IS NOT NULL;
                IF u_retry THEN
                    u_first := v_retry[v_i];
                    u_last  := u_first;
                ELSIF NOT v_stop AND d_next[v_d] <= d_end[v_d] THEN
                    u_first := d_next[v_d];
                    u_last  := u_first;
                    IF batch_size > 1 AND v_batchable[u_first] THEN
                        -- on this database, a run of tasks _pdb_batch can report goes through it
                        u_exec := d_exec[v_d] AND v_tag[u_first] IS NOT NULL;
                        WHILE u_last < d_end[v_d] AND u_last - u_first + 1 < batch_size AND v_batchable[u_last + 1]
                              AND (NOT u_exec OR v_tag[u_last + 1] IS NOT NULL) LOOP
                            u_last := u_last + 1;
                        END LOOP;
                        u_exec := u_exec AND u_last > u_first;
                    END IF;
                END IF;
                -- after a task that may leave state behind, the probe is a reset
                u_reset := s_state[v_slot] IN ('maybe', 'ended') AND v_stateful[s_task[v_slot]];
                IF u_reset THEN
                    u_first := 0;
                    u_sql   := c_reset;
                ELSIF u_first = 0 THEN
                    u_sql := c_probe;
                ELSIF u_first = u_last AND same_snapshot THEN
                    u_sql := format(E'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n'
                                    'SET TRANSACTION SNAPSHOT %L;\n%s\n;\nCOMMIT', v_snapshot, v_tasks[u_first]);
                ELSIF u_first = u_last AND atomic THEN
                    u_sql := format(E'BEGIN;\n%s\n;\nPREPARE TRANSACTION %L', v_tasks[u_first],
                                    v_gid || coalesce(v_order[u_first], u_first));
                ELSIF u_first = u_last THEN
                    u_sql := v_tasks[u_first];
                ELSIF u_exec THEN
                    -- (element by element: a slice of a large array costs as much as copying it)
                    u_tasks := ARRAY[]::text[];
                    u_tags  := ARRAY[]::text[];
                    FOR v_t IN u_first..u_last LOOP
                        u_tasks := u_tasks || v_tasks[v_t];
                        u_tags  := u_tags || v_tag[v_t];
                    END LOOP;
                    u_sql := format('SELECT @extschema@._pdb_batch(%L::text[], %L::text[], '
                                    'pg_catalog.current_setting(''search_path''))', u_tasks, u_tags);
                ELSE
                    -- the line breaks end a task's trailing -- comment
                    u_sql := v_tasks[u_first];
                    FOR v_t IN u_first + 1..u_last LOOP
                        u_sql := u_sql || E'\n;\n' || v_tasks[v_t];
                    END LOOP;
                END IF;
                -- label the unit with a comment: pg_stat_activity.query shows it
                -- (pdb_activity reads it), at no cost of a result or round trip
                IF u_first > 0 THEN
                    u_sql := v_label || coalesce(v_order[u_first], u_first) || v_label_end || u_sql;
                END IF;

                -- (an idle slot sends a unit; one that ran a task also a probe or a reset)
                v_sent := 0;
                IF u_first > 0 OR u_reset OR s_state[v_slot] = 'maybe' THEN
                    IF v_bound THEN
                        v_sent := "@dblink@".dblink_send_query(s_conn[v_slot], u_sql);
                    ELSE
                        EXECUTE v_sql_send INTO v_sent USING s_conn[v_slot], u_sql;
                    END IF;
                END IF;
                IF s_state[v_slot] IN ('maybe', 'ended') THEN
                    /*
                     * 'maybe': dblink_get_result gave no rows after a single
                     * task: its end, or a one-column result without rows with
                     * more to follow. Only an idle connection accepts a new
                     * query, so sending the next unit (or a probe when none is
                     * left) tells which.
                     * 'ended': the task's end was read with its result; send
                     * the next unit, or the reset, if there is one.
                     */
                    v_task := s_task[v_slot];
                    IF v_sent = 1 OR s_state[v_slot] = 'ended' THEN
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
                            v_stop := v_stop OR (v_ff AND r_status[v_task] <> 'ok');
                        END IF;
                        IF v_sent <> 1 THEN
                            s_state[v_slot] := 'idle';   -- (a unit it could not take fails below)
                        ELSIF u_reset THEN
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
                END IF;
                IF v_sent <> 1 AND u_first > 0 AND s_state[v_slot] = 'idle' THEN
                    RAISE EXCEPTION USING ERRCODE = 'connection_failure',
                        MESSAGE = 'could not send a task to a worker connection',
                        DETAIL  = format('Connection %s refused task %s.', s_conn[v_slot], u_first);
                END IF;

                IF v_sent = 1 AND u_first > 0 THEN
                    -- the unit is on its way
                    d_sent[v_d] := d_connstr[v_d];
                    IF u_retry THEN
                        v_retry := v_retry[:v_i - 1] || v_retry[v_i + 1:];
                    ELSE
                        d_next[v_d] := u_last + 1;
                    END IF;
                    s_first[v_slot]  := u_first;
                    s_last[v_slot]   := u_last;
                    s_task[v_slot]   := u_first;  -- a batch counts its results
                    s_exec[v_slot]   := u_exec;
                    s_state[v_slot]  := 'run';
                    s_zero[v_slot]    := 0;
                    s_reason[v_slot]  := NULL;
                    s_again[v_slot]   := false;
                    s_failed[v_slot]  := false;
                    s_started[v_slot] := clock_timestamp();
                    IF u_retry THEN
                        -- it ran before (alone, or in a batch): forget that outcome
                        r_status[u_first]   := NULL;
                        r_result[u_first]   := NULL;
                        r_sqlstate[u_first] := NULL;
                        r_error[u_first]    := NULL;
                        r_detail[u_first]   := NULL;
                        r_hint[u_first]     := NULL;
                        r_start[u_first]    := s_started[v_slot];
                        r_conn[u_first]     := s_conn[v_slot];
                    ELSE
                        -- new tasks: nothing is recorded for them yet
                        FOR v_t IN u_first..u_last LOOP
                            r_start[v_t]    := s_started[v_slot];
                            r_conn[v_t]     := s_conn[v_slot];
                            r_attempts[v_t] := 1;
                        END LOOP;
                    END IF;
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

            -- (a reset still running tells whether its task left a transaction open)
            EXIT WHEN v_done = v_n AND NOT 'reset' = ANY (s_state);


            -- task_timeout: cancel units that ran too long; wake up for the next deadline
            v_wake := NULL;
            IF cardinality(v_later_at) > 0 THEN
                v_wake := (SELECT min(a) FROM unnest(v_later_at) AS a);
            END IF;
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

            IF v_active THEN
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
                    FOREACH v_blocked IN ARRAY ARRAY(
                        SELECT i FROM generate_series(1, v_pool) AS i
                         WHERE s_state[i] = 'run' AND s_reason[i] IS NULL
                           AND pg_backend_pid() = ANY (pg_blocking_pids(s_pid[i])))
                    LOOP
                        v_task := s_task[v_blocked];
                        s_reason[v_blocked] := 'blocked';
                        IF s_first[v_blocked] = s_last[v_blocked] THEN
                            r_status[v_task]   := 'error';
                            r_sqlstate[v_task] := '40P01';
                            r_error[v_task]    := 'task waits for a lock held by the transaction that called pdb_run';
                            r_detail[v_task]   := format('Task %s waited on worker backend %s, which the caller blocks '
                                                         'until pdb_run returns; pdb_run cancelled it.',
                                                         coalesce(v_order[v_task], v_task), s_pid[v_blocked]);
                            r_hint[v_task]     := 'Tasks do not share the caller''s locks or snapshot: commit the '
                                                  'caller''s changes first. CREATE INDEX CONCURRENTLY and REINDEX '
                                                  'CONCURRENTLY wait for every older transaction of their database: '
                                                  'call pdb_run from another database with connstr naming this one.';
                        END IF;
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_blocked];
                    END LOOP;
                    v_checked := clock_timestamp();
                END IF;
                /*
                 * Back off: sleep 1/12 of the time since anything last
                 * happened, but not less than 1/32 of a unit's typical run
                 * time (once one is known; 1/64 when units run alike, see
                 * below), at least 1 ms, at most 64 ms. A connection that
                 * finishes a short task waits about a millisecond for the
                 * next; one that ran long waits at most 1/12 of its run time,
                 * and 64 ms. A wake-up costs 0.03 to 0.11 ms of CPU (more
                 * after longer sleeps): the floor bounds the wake-ups while
                 * units run long (each end would start the ramp again from
                 * 1 ms), and delays a unit's end by at most 1/32 of the
                 * typical one, so the coordinator uses about 1% of a core.
                 * (Over 30 sleeps of 29 ms to 2 s on two connections, 1/32
                 * rather than 1/64: 17% less CPU, then 1/12 rather than 1/16:
                 * 12% less, the same wall time.)
                 * But pg_sleep cannot wait less than 1 ms, longer than units
                 * run at times: while they typically run less than c_spin
                 * (1 ms), poll again at once for up to c_spin since anything
                 * happened (a call of tiny tasks would otherwise sleep a
                 * millisecond each time a worker is a little late); and until
                 * a unit has ended, for up to c_spin_cold (3 ms): the first
                 * statement of a new worker takes 0.6 to 1.5 ms (its caches
                 * are cold), so a small call would sleep once at its start.
                 * (Not for longer units: the polling would take a core from
                 * workers that may need it.)
                 */
                IF (clock_timestamp() - v_quiet < CASE WHEN v_typical IS NULL THEN c_spin_cold
                                                       WHEN v_typical < c_spin THEN c_spin_for END) THEN
                    NULL;
                ELSE
                    /*
                     * Units that run alike (their run times within 1/8 of the
                     * typical one, on average) end when expected: wake up at
                     * each one's expected end, and from then on back off as
                     * after an event. A unit of such a call that ends near
                     * its expected end is noticed within 1/64 of the typical
                     * time instead of 1/12 of the time since the last event,
                     * for a wake-up or two more per unit.
                     */
                    v_since := v_quiet;
                    v_alike := v_spread < v_typical / 8;
                    IF v_alike THEN
                        FOR v_slot IN 1..v_pool LOOP
                            CONTINUE WHEN s_state[v_slot] <> 'run';
                            v_due := s_started[v_slot] + make_interval(secs => v_typical);
                            IF v_due > clock_timestamp() THEN
                                v_wake := least(v_wake, v_due);
                            ELSE
                                v_since := greatest(v_since, v_due);
                            END IF;
                        END LOOP;
                    END IF;
                    PERFORM pg_sleep(least(c_max_sleep,
                                           greatest(c_min_sleep,
                                                    CAST(extract(epoch FROM clock_timestamp() - v_since)
                                                         AS double precision) / 12,
                                                    v_typical / CASE WHEN v_alike THEN 64 ELSE 32 END),
                                           CAST(extract(epoch FROM v_wake - clock_timestamp()) AS double precision)));
                END IF;
            END IF;
        END LOOP;

        PERFORM @extschema@._pdb_close(v_dbl, ARRAY(SELECT s_conn[i] FROM generate_series(1, v_pool) AS i
                                                     WHERE s_state[i] <> 'dead'), false);

        IF atomic THEN
            /*
             * The second phase, on a connection of its own to each target
             * (pool connections may still be draining a reset). Commit only
             * if every task prepared, and only once that decision is durable.
             */
            v_commit := NOT EXISTS (SELECT FROM unnest(r_status) AS st WHERE st IS DISTINCT FROM 'ok');
            IF v_commit THEN
                v_phase := 'deciding';
                IF @extschema@._pdb_autonomous(format(
                       'SET synchronous_commit = on; UPDATE @extschema@.pdb_atomic_run '
                       'SET decision = ''commit'', decided_at = clock_timestamp() '
                       'WHERE run_id = %L AND decision IS NULL RETURNING decision', v_run), NULL) IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'transaction_resolution_unknown',
                        MESSAGE = format('the record of atomic call %s is missing or already decided', v_run),
                        HINT    = 'pdb_recover() settles its prepared transactions.';
                END IF;
            END IF;
            v_phase := CASE WHEN v_commit THEN 'commit' ELSE 'rollback' END;
            v_i := (SELECT min(coalesce(v_order[p], p)) FROM generate_series(1, v_n) AS p
                     WHERE r_status[p] IN ('error', 'timeout'));
            -- (a target that was sent nothing has nothing prepared)
            FOR v_fetch IN SELECT * FROM @extschema@._pdb_atomic_end(v_dbl, v_run, d_sent, v_commit) LOOP
                v_d := v_fetch.target_no;
                IF v_fetch.task_id IS NULL OR v_fetch.err_sqlstate IS NOT NULL THEN
                    v_left := true;
                END IF;
                -- the tasks this row is about: one, or all of an unreachable target
                FOREACH v_k IN ARRAY CASE WHEN v_fetch.task_id IS NULL
                                          THEN ARRAY(SELECT generate_series(d_first[v_d], d_end[v_d]))
                                          ELSE ARRAY[coalesce(v_pos[v_fetch.task_id], v_fetch.task_id)] END LOOP
                    CONTINUE WHEN r_status[v_k] IS DISTINCT FROM 'ok';  -- nothing prepared
                    IF v_fetch.task_id IS NULL OR v_fetch.err_sqlstate IS NOT NULL THEN
                        r_status[v_k]   := 'prepared';
                        r_sqlstate[v_k] := v_fetch.err_sqlstate;
                        r_error[v_k]    := format('could not %s its prepared transaction: %s',
                                                  CASE WHEN v_commit THEN 'commit' ELSE 'roll back' END,
                                                  v_fetch.err_message);
                        r_hint[v_k]     := format('pdb_recover() %s it once its server can be reached.',
                                                  CASE WHEN v_commit THEN 'commits' ELSE 'rolls back' END);
                    ELSIF NOT v_commit THEN
                        r_status[v_k] := 'rolled back';
                    ELSE
                        r_status[v_k] := 'committed';  -- made 'ok' below
                    END IF;
                END LOOP;
            END LOOP;
            FOR v_r IN 1..v_n LOOP
                IF r_status[v_r] = 'committed' THEN
                    r_status[v_r] := 'ok';
                ELSIF r_status[v_r] = 'ok' AND v_commit THEN
                    -- (a task that ended its transaction itself: atomic refuses those it can see)
                    r_status[v_r]   := 'error';
                    r_sqlstate[v_r] := '40003';
                    r_error[v_r]    := 'its prepared transaction was not found';
                    r_detail[v_r]   := 'The task probably ended its transaction itself; the others committed.';
                ELSIF r_status[v_r] IN ('ok', 'rolled back') THEN
                    r_status[v_r]   := 'rolled back';
                    r_result[v_r]   := NULL;
                    r_sqlstate[v_r] := '40000';
                    r_error[v_r]    := 'rolled back because another task failed (atomic)';
                    r_detail[v_r]   := CASE WHEN v_i IS NOT NULL THEN format('Task %s failed first.', v_i) END;
                END IF;
            END LOOP;
            IF v_left THEN
                RAISE WARNING USING
                    MESSAGE = format('%s: atomic call %s left prepared transactions on some targets', caller, v_run),
                    DETAIL  = format('The decision is to %s them; the rows with status ''prepared'' say where.',
                                     CASE WHEN v_commit THEN 'commit' ELSE 'roll back' END),
                    HINT    = 'Run pdb_recover() once those servers can be reached.';
            ELSE
                PERFORM @extschema@._pdb_autonomous(format(
                    'DELETE FROM @extschema@.pdb_atomic_run WHERE run_id = %L RETURNING 1', v_run), NULL);
            END IF;
            PERFORM pg_advisory_unlock(c_run_space, hashtext(v_run::text));
            v_phase := NULL;
        END IF;
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks) AS l;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_close(
            v_dbl,
            ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(v_dbl)) AS c
                   WHERE left(c, length(v_prefix)) = v_prefix),
            true);
        IF v_phase IN ('run', 'commit', 'rollback') THEN
            -- settle the prepared transactions now, as far as possible (while
            -- deciding, whether the decision is recorded is unknown: pdb_recover)
            BEGIN
                IF NOT EXISTS (SELECT FROM @extschema@._pdb_atomic_end(v_dbl, v_run, d_sent, v_phase = 'commit') AS e
                                WHERE e.task_id IS NULL OR e.err_sqlstate IS NOT NULL) THEN
                    PERFORM @extschema@._pdb_autonomous(format(
                        'DELETE FROM @extschema@.pdb_atomic_run WHERE run_id = %L RETURNING 1', v_run), NULL);
                END IF;
            EXCEPTION WHEN query_canceled OR others THEN
                NULL;  -- pdb_recover() settles what is left
            END;
        END IF;
        -- session advisory locks outlive the rollback: release them here
        IF v_run IS NOT NULL THEN
            PERFORM pg_advisory_unlock(c_run_space, hashtext(v_run::text));
        END IF;
        PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(v_locks) AS l;
        PERFORM set_config('client_min_messages', v_cmm, true);
        RAISE;
    END;
    PERFORM set_config('client_min_messages', v_cmm, true);

    -- one row per task, in task order, read from its position (RETURN NEXT by
    -- index: about a quarter of the time of unnesting the ten arrays and sorting)
    FOR v_id IN 1..v_n LOOP
        v_p := coalesce(v_pos[v_id], v_id);
        -- one assignment, then RETURN NEXT of the variable (pgspot cannot parse RETURN NEXT ROW(...))
        v_row := ROW(v_id, r_status[v_p], r_result[v_p], r_sqlstate[v_p], r_error[v_p], r_start[v_p],
                     r_end[v_p], r_detail[v_p], r_hint[v_p], r_conn[v_p], r_attempts[v_p],
                     d_masked[v_tgt[v_p]])::@extschema@.pdb_target_result;
        RETURN NEXT v_row;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_run(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, boolean, text) IS
'internal: the engine of pdb_run, pdb_run_at and pdb_broadcast';
