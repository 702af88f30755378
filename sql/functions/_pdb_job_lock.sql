/*
 * _pdb_job_lock(job_id bigint, take boolean) RETURNS void
 *
 * The runner's hold on a durable job: a session advisory lock (key1
 * 1885627493, key2 the job id modulo 2^31 - 1), so that a second runner of
 * a job that is running is refused at once rather than meeting the first
 * one's claims (55000 rows for tasks the other runs). take: take it (this
 * session may hold it already, from a run of it that was interrupted: a run
 * is a top-level statement, so that one is over); else let it go.
 * Errors: 55006 another session runs the job.
 */
CREATE FUNCTION @extschema@._pdb_job_lock(job_id bigint, take boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_job_space CONSTANT integer := 1885627493;
    v_key       integer := (job_id % 2147483647)::integer;
    v_mine      boolean;
    v_holder    integer;
BEGIN
    v_holder := @extschema@._pdb_job_holder(job_id);
    v_mine   := coalesce(v_holder = pg_backend_pid(), false);
    IF NOT take THEN
        IF v_mine THEN
            PERFORM pg_advisory_unlock(c_job_space, v_key);
        END IF;
        RETURN;
    END IF;
    IF v_mine OR pg_try_advisory_lock(c_job_space, v_key) THEN
        RETURN;
    END IF;
    v_holder := @extschema@._pdb_job_holder(job_id);  -- (it may have ended meanwhile)
    RAISE EXCEPTION USING ERRCODE = 'object_in_use',
        MESSAGE = format('job %s is being run by another session', job_id),
        DETAIL  = format('Backend %s runs it (pdb_job_run or pdb_job_exec); a second runner would meet its '
                         'claims.', coalesce(v_holder::text, 'unknown')),
        HINT    = 'Wait for it to end (pdb_jobs shows its progress), or stop it with pdb_job_cancel; a runner '
                  'that was interrupted lets the job go when its session ends or runs the job again.';
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_lock(bigint, boolean) IS
'internal: take or let go the runner''s hold on a durable job (a second runner is refused, 55006)';
