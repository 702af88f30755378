/*
 * pdb_run(tasks text[], max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *         batch_size integer DEFAULT 1, fail_fast boolean DEFAULT false,
 *         task_timeout interval DEFAULT NULL, retries integer DEFAULT 0,
 *         setup text[] DEFAULT NULL, progress boolean DEFAULT false,
 *         same_snapshot boolean DEFAULT false, atomic boolean DEFAULT false,
 *         strict boolean DEFAULT false)
 *     RETURNS SETOF pdb_result (task_id, status, result, sqlstate, error, started_at,
 *                               finished_at, detail, hint, conn_name, attempts, task)
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
 * _pdb_classify) to one connection as one statement, a round trip for them
 * all: on this database a call of _pdb_batch, which returns every task's
 * result at once, when _pdb_classify gives the tasks a tag; else the tasks
 * joined by ';', whose k-th result is the k-th task's (a batchable task is one
 * statement). The batch is one transaction: if a task in it fails, none of
 * its tasks took effect, and each is run again alone, so every task gets its
 * own outcome and none runs twice in effect.
 *
 * fail_fast: after the first task that fails (error or timeout), running
 * tasks are cancelled ('cancelled') and the others never start ('skipped').
 * task_timeout: a task (or a batch) running longer is cancelled on the server:
 * status 'timeout', SQLSTATE 57014; a batch that times out runs again task by
 * task. retries: a task failing with 40001, 40P01 or 55P03 (lock_timeout)
 * runs again, up to that many times, after 10 ms, 20 ms, 40 ms ... (at most
 * 1 s; each wait drawn between half and all of that). setup: statements
 * run on every new connection before its first task. progress: a NOTICE
 * every 5 seconds and at the end with the counts of done, failed and running
 * tasks. same_snapshot: every task runs read-only in a REPEATABLE READ
 * transaction that imports a snapshot exported from the caller's transaction,
 * so all tasks see the database as of one moment (a writing task fails with
 * 25006); tasks then run alone, never batched, and their connection is reset
 * after each. atomic: all or nothing: each task runs in a transaction of its
 * own that ends with PREPARE TRANSACTION; when every task has prepared, the
 * decision to commit is recorded durably (pdb_atomic_run) and all are
 * committed; otherwise all are rolled back ('rolled back', 40000). The first
 * failure stops the call as with fail_fast, and tasks are never batched. A
 * crash between the two phases leaves prepared transactions that
 * pdb_recover() settles. strict: every task runs as without it (this is not
 * fail_fast), then, if any failed, the call raises the error of the task
 * that failed first, with its SQLSTATE, detail and hint, the message naming
 * it and how many failed ('pdb_run: 2 of 5 tasks failed; task 3: ...'): a
 * scheduler (pg_cron) or a procedure sees the failure. What the tasks
 * committed stays committed.
 *
 * Throttles (parallel_dblink.max_replica_lag, max_active, throttle_query,
 * nice; see _pdb_throttle_settings and _pdb_held): while one holds, no new
 * task starts and the idle workers' application_name says why
 * ('pdb_run:<caller pid> throttled: <why>').
 *
 * Workers are labelled application_name = 'pdb_run:<caller pid>', and each
 * unit's query string starts with the comment '/* pdb_run:<caller pid>:<first
 * task of the unit>/<number of tasks> */' (the view pdb_activity reads both).
 *
 *   status      'ok', 'error', 'timeout', 'cancelled' or 'skipped'; with atomic
 *               also 'rolled back' (it prepared, another task failed) and
 *               'prepared' (its server could not be reached in the second
 *               phase: pdb_recover() settles it)
 *   result      first column of the first row of the task's last result, as
 *               text, or its command tag ('INSERT 0 2', 'VACUUM'); NULL when
 *               that result has no rows or several columns, or on error; a
 *               closing COMMIT's tag does not count as a result
 *   sqlstate, error, detail, hint   the remote error, when status = 'error'
 *   conn_name   the dblink connection the task ran on
 *   attempts    how many times the task ran (1 + its retries; 0 if skipped)
 *   task        the task, as given
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
 * Errors: with strict, the failed task's (see above); those of the throttles'
 * settings (22023, 42501, a throttle_query's); 25001 same_snapshot in a subtransaction (pg_export_snapshot), or
 * atomic with a task that cannot run in a transaction block; 55000 atomic
 * on a server whose max_prepared_transactions is lower than the tasks it
 * runs there;
 * 22004 tasks is NULL or holds a NULL; 22023 max_conns or batch_size
 * NULL or < 1, retries NULL or < 0, task_timeout <= 0, fail_fast NULL, atomic
 * NULL or with same_snapshot, tasks
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
                                    same_snapshot boolean DEFAULT false,
                                    atomic boolean DEFAULT false,
                                    strict boolean DEFAULT false)
RETURNS SETOF @extschema@.pdb_result
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_snapshot text;
    v_conns    text[];
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    -- (here: the exception block below is a subtransaction, where no snapshot can be exported; with
    -- atomic, _pdb_check refuses same_snapshot)
    IF same_snapshot AND NOT atomic THEN
        v_snapshot := pg_export_snapshot();
    END IF;
    BEGIN
        IF batch_size = 1 AND NOT fail_fast AND task_timeout IS NULL AND retries = 0 AND setup IS NULL
           AND NOT progress AND NOT same_snapshot AND NOT atomic AND NOT strict THEN  -- (see pdb_query_at)
            v_conns := @extschema@._pdb_lean_take(tasks, ARRAY[connstr], max_conns);
        END IF;
        IF v_conns IS NOT NULL THEN
            RETURN QUERY SELECT * FROM @extschema@._pdb_lean_run(v_conns, tasks);
        ELSE
            RETURN QUERY
                SELECT r.task_id, r.status, r.result, r.sqlstate, r.error, r.started_at, r.finished_at,
                       r.detail, r.hint, r.conn_name, r.attempts, r.task
                  FROM @extschema@._pdb_rows(@extschema@._pdb_run(tasks, ARRAY[connstr], max_conns, batch_size,
                                                                  fail_fast, task_timeout, retries, setup, progress,
                                                                  same_snapshot, v_snapshot, atomic, false, 'pdb_run',
                                                                  strict)) AS r;
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        -- raised again from here: its context shows the caller's call and none of the engine's functions
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
    END;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_run(text[], integer, text, integer, boolean, interval, integer, text[], boolean, boolean, boolean, boolean) IS
'Run each statement of tasks in parallel on at most max_conns dblink connections, optionally batch_size tasks per round trip or all or nothing; one row per task';
