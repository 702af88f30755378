/*
 * _pdb_job_start_check(job_id bigint, max_conns integer, connstr text, retries integer) RETURNS void
 *
 * pdb_job_start's checks, so that a schedule never starts runs that can
 * only fail. Errors: those of pdb_job_start but cron.schedule's.
 */
CREATE FUNCTION @extschema@._pdb_job_start_check(job_id bigint, max_conns integer, connstr text, retries integer)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cancelled timestamptz;
    v_left      boolean;
    v_cron_db   text := current_setting('cron.database_name', true);
BEGIN
    IF job_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'job_id must not be null';
    END IF;
    IF max_conns IS NULL OR max_conns < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'max_conns must be at least 1';
    END IF;
    IF retries IS NULL OR retries < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'retries must be at least 0';
    END IF;
    IF @extschema@._pdb_mask(connstr, connstr) IS DISTINCT FROM connstr THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_authorization_specification',
            MESSAGE = 'pdb_job_start does not take a connstr with a password',
            DETAIL  = 'pg_cron stores the command of a job in cron.job and prints it in the server log.',
            HINT    = 'Name a foreign server with a user mapping as connstr, or set parallel_dblink.loopback.';
    END IF;
    SELECT j.cancelled_at, @extschema@._pdb_job_left(j.job_id) INTO v_cancelled, v_left
      FROM @extschema@.pdb_job AS j WHERE j.job_id = _pdb_job_start_check.job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('job %s does not exist', job_id);
    END IF;
    IF v_cancelled IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('job %s is cancelled', job_id), HINT = 'pdb_job_uncancel undoes the cancel.';
    END IF;
    IF NOT v_left THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state', MESSAGE = format('job %s is done', job_id);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'pg_cron is not installed in this database',
            DETAIL  = 'pdb_job_start runs the job through pg_cron''s schedules.',
            HINT    = CASE WHEN v_cron_db IS NULL OR v_cron_db = '' THEN
                          format('Add pg_cron to shared_preload_libraries, set cron.database_name = %L, restart, '
                                 'and CREATE EXTENSION pg_cron here; or run the job yourself: CALL pdb_job_exec(%s).',
                                 current_database(), job_id)
                      WHEN v_cron_db <> current_database() THEN
                          format('pg_cron schedules from database %I: there, SELECT cron.schedule_in_database(%L, '
                                 '''* * * * *'', %L, %L), and cron.unschedule(%L) once pdb_jobs says the job is '
                                 'done; or run the job yourself: CALL pdb_job_exec(%s).',
                                 v_cron_db, format('pdb_job_%s', job_id),
                                 format('CALL %s.pdb_job_exec(%s)', '@extschema@', job_id), current_database(),
                                 format('pdb_job_%s', job_id), job_id)
                      ELSE 'CREATE EXTENSION pg_cron in this database.' END;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_start_check(bigint, integer, text, integer) IS
'internal: pdb_job_start''s checks of its job, options and pg_cron';
