/*
 * pdb_job_submit(tasks text[], name text DEFAULT NULL, connstr text DEFAULT NULL)
 *     RETURNS bigint
 *
 * Stores a durable job: its tasks go into pdb_job and pdb_job_task through a
 * connection of its own (connstr, NULL for the loopback to this database), so
 * the job exists even if the caller rolls back. Returns the job_id. The job
 * belongs to the role that connects (the current user by default).
 * Errors: those of pdb_run's task checks (22004, 22023, 0A000); 22023 no
 * task; 0A000 a task
 * imports a snapshot (SET TRANSACTION SNAPSHOT, as pdb_tasks writes for block
 * chunks and reads), which would be gone when the job runs; and those of the
 * connection.
 */
CREATE FUNCTION @extschema@.pdb_job_submit(tasks text[], name text DEFAULT NULL, connstr text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tasks    text[];
    v_bad      integer;
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        v_tasks := @extschema@._pdb_tasks(tasks);
        IF cardinality(v_tasks) = 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = 'a job needs at least one task',
                DETAIL  = 'tasks is an empty array.';
        END IF;
        -- a snapshot lives only as long as the transaction that exported it: a
        -- job that runs later, or resumes, could never import it
        SELECT min(u.o)::integer INTO v_bad
          FROM unnest(v_tasks) WITH ORDINALITY AS u(t, o)
         WHERE strpos(lower(u.t), 'snapshot') > 0
           AND @extschema@._pdb_code(u.t) ~* E'\\mset\\s+transaction\\s+snapshot\\M';
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                MESSAGE = 'a durable job cannot import a snapshot',
                DETAIL  = format('Task %s imports a snapshot (SET TRANSACTION SNAPSHOT), which ends with the '
                                 'transaction that exported it: the job could not run later or resume.', v_bad),
                HINT    = 'Chunk an UPDATE or DELETE by a key it leaves alone: pdb_tasks(template, tbl, chunks) '
                          'on a table with a primary key, or with key => a unique column.';
        END IF;
        RETURN @extschema@._pdb_autonomous(format(
            'WITH j AS (INSERT INTO %1$s.pdb_job (name) VALUES (%2$L) RETURNING job_id),
                  t AS (INSERT INTO %1$s.pdb_job_task (job_id, task_id, task)
                        SELECT j.job_id, u.o, u.t FROM j, unnest(%3$L::text[]) WITH ORDINALITY AS u(t, o))
             SELECT job_id::text FROM j',
            '@extschema@', name, v_tasks), connstr)::bigint;
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        -- raised again from here: its context shows the caller's call and none of the helpers'
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

COMMENT ON FUNCTION @extschema@.pdb_job_submit(text[], text, text) IS
'Store a durable job of tasks, committed at once; returns its job_id';
