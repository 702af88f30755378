/*
 * pdb_job_submit(tasks text[], name text DEFAULT NULL, connstr text DEFAULT NULL)
 *     RETURNS bigint
 *
 * Stores a durable job: its tasks go into pdb_job and pdb_job_task through a
 * connection of its own (connstr, NULL for the loopback to this database), so
 * the job exists even if the caller rolls back. Returns the job_id. The job
 * belongs to the role that connects (the current user by default).
 * Errors: those of pdb_run's task checks (22004, 22023), and of the connection.
 */
CREATE FUNCTION @extschema@.pdb_job_submit(tasks text[], name text DEFAULT NULL, connstr text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@._pdb_autonomous(format(
        'WITH j AS (INSERT INTO %1$s.pdb_job (name) VALUES (%2$L) RETURNING job_id),
              t AS (INSERT INTO %1$s.pdb_job_task (job_id, task_id, task)
                    SELECT j.job_id, u.o, u.t FROM j, unnest(%3$L::text[]) WITH ORDINALITY AS u(t, o))
         SELECT job_id::text FROM j',
        '@extschema@', name, @extschema@._pdb_tasks(tasks)), connstr)::bigint;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_submit(text[], text, text) IS
'Store a durable job of tasks, committed at once; returns its job_id';
