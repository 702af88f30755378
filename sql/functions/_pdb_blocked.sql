/*
 * _pdb_blocked(task_no integer, pid integer) RETURNS _pdb_outcome
 *
 * The failure of a task that waited for a lock held by the transaction that
 * called (its worker, backend pid, blocked by the caller, which waits for it:
 * it could never end), once it was cancelled: 40P01, for the engine
 * (_pdb_step) and the short way (_pdb_lean_wait).
 */
CREATE FUNCTION @extschema@._pdb_blocked(task_no integer, pid integer)
RETURNS @extschema@._pdb_outcome
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ROW('error', '40P01', 'task waits for a lock held by the transaction that called pdb_run',
               format('Task %s waited on worker backend %s, which the caller blocks until pdb_run returns; pdb_run '
                      'cancelled it.', task_no, pid),
               'Tasks do not share the caller''s locks or snapshot: commit the caller''s changes first. A statement '
               'that waits for every older transaction of its database (CONCURRENTLY) waits for the caller: run it '
               'as a job with CALL pdb_job_exec, or call pdb_run from another database with connstr naming this '
               'one.')::@extschema@._pdb_outcome;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_blocked(integer, integer) IS
'internal: the failure of a task that waited for a lock of the caller''s own transaction';
