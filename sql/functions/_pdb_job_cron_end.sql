/*
 * _pdb_job_cron_end(job_id bigint, ended boolean) RETURNS boolean
 *
 * Whether the background runner of durable job job_id (pdb_job_start) is
 * through with it: its run ended (ended: the job is done, or a task failed
 * for good), or the job has no work left, is cancelled or is gone. If so,
 * removes the job's pg_cron schedule, 'pdb_job_<job_id>' of the current
 * user, if it is there.
 */
CREATE FUNCTION @extschema@._pdb_job_cron_end(job_id bigint, ended boolean)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text := format('pdb_job_%s', job_id);
    v_there boolean;
BEGIN
    IF NOT ended AND coalesce(@extschema@._pdb_job_left(job_id), false)
       AND NOT EXISTS (SELECT FROM @extschema@.pdb_job AS j
                        WHERE j.job_id = _pdb_job_cron_end.job_id AND j.cancelled_at IS NOT NULL) THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1 AND username = current_user)'
       INTO v_there USING v_name;
    IF v_there THEN
        EXECUTE 'SELECT cron.unschedule($1)' USING v_name;
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_cron_end(bigint, boolean) IS
'internal: whether a background run of a durable job is through; if so, its pg_cron schedule is removed';
