/*
 * _pdb_check(tasks text[], max_conns integer, batch_size integer,
 *            retries integer, task_timeout interval, setup text[],
 *            same_snapshot boolean, progress boolean, fail_fast boolean,
 *            atomic boolean) RETURNS text[]
 *
 * Checks the arguments of a call of the engine before anything runs and
 * returns the tasks as _pdb_tasks checked them (1-based, refused statements
 * named). Errors: those of _pdb_tasks (22004, 22023, 0A000); 22023 for
 * max_conns or batch_size NULL or < 1, retries NULL or < 0, task_timeout <= 0,
 * a NULL flag, atomic with same_snapshot; 22004 setup holding a NULL; 25001 a
 * task that cannot run in a transaction block with atomic.
 */
CREATE FUNCTION @extschema@._pdb_check(tasks text[], max_conns integer, batch_size integer, retries integer,
                                       task_timeout interval, setup text[], same_snapshot boolean,
                                       progress boolean, fail_fast boolean, atomic boolean)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tasks text[] := @extschema@._pdb_tasks(tasks);
    v_null  integer := array_position(ARRAY[same_snapshot, progress, fail_fast, atomic], NULL);
    v_task  integer;
BEGIN
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
    IF v_null IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be true or false',
                             (ARRAY['same_snapshot', 'progress', 'fail_fast', 'atomic'])[v_null]);
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
        v_task := @extschema@._pdb_no_transaction_block(v_tasks);
        IF v_task IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction',
                MESSAGE = format('task %s cannot run in a transaction block, so not with atomic => true', v_task),
                DETAIL  = format('The task is: %s', left(v_tasks[v_task], 200)),
                HINT    = 'atomic runs each task in a transaction that ends with PREPARE TRANSACTION. Run '
                          'VACUUM, CONCURRENTLY, database and tablespace commands, and tasks with their own '
                          'transaction control without atomic.';
        END IF;
    END IF;
    RETURN v_tasks;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_check(text[], integer, integer, integer, interval, text[], boolean, boolean, boolean, boolean) IS
'internal: check the arguments of a call of the engine before anything runs';
