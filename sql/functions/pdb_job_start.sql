/*
 * pdb_job_start(job_id bigint, max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
 *               fail_fast boolean DEFAULT false, task_timeout interval DEFAULT NULL,
 *               retries integer DEFAULT 0, setup text[] DEFAULT NULL,
 *               schedule text DEFAULT '* * * * *')
 *     RETURNS bigint
 *
 * Runs a durable job in the background, with nobody connected: schedules
 * with pg_cron, as the current user, a job named 'pdb_job_<job_id>' that
 * CALLs _pdb_job_background (pdb_job_exec with these options) at each time
 * of schedule: every minute by default (pg_cron 1.5 and later also take
 * '10 seconds'). pg_cron runs one instance at a time; a run that stops
 * short (a crash, a restart, a killed session) is resumed at the next time;
 * the schedule removes itself once a run has ended (the job done, or a task
 * failed for good) or the job is cancelled. Calling it again for the same
 * job replaces the schedule and its options. Returns pg_cron's job id.
 *
 * Needs pg_cron in this database (shared_preload_libraries, and this
 * database as cron.database_name), the right to call cron.schedule (USAGE
 * on schema cron), and a way for pg_cron to log in as the user (cron.host:
 * its socket directory for a server without TCP; pg_hba.conf or a
 * .pgpass of the server's OS user), and, for a role without superuser, a
 * way back for the job's own connections without a password in connstr
 * (a foreign server with a user mapping, or parallel_dblink.loopback).
 *
 * Errors: 22004 job_id NULL; 22023 max_conns below 1, retries below 0;
 * 42704 no such job (or not the caller's); 55000 the job is cancelled or
 * done, or pg_cron is not installed in this database (the HINT says what
 * to do); 28000 connstr holds a password (pg_cron would store it in
 * cron.job and print it in the server log); those of cron.schedule.
 */
CREATE FUNCTION @extschema@.pdb_job_start(job_id bigint, max_conns integer DEFAULT 4, connstr text DEFAULT NULL,
                                          fail_fast boolean DEFAULT false, task_timeout interval DEFAULT NULL,
                                          retries integer DEFAULT 0, setup text[] DEFAULT NULL,
                                          schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_command  text;
    v_id       bigint;
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        PERFORM @extschema@._pdb_job_start_check(job_id, max_conns, connstr, retries);
        v_command := format('CALL %s._pdb_job_background(%s, %s, %L, %L::boolean, %L::interval, %s, %L::text[])',
                            '@extschema@', job_id, max_conns, connstr, fail_fast, task_timeout, retries, setup);
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO v_id USING format('pdb_job_%s', job_id), schedule, v_command;
        RETURN v_id;
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

COMMENT ON FUNCTION @extschema@.pdb_job_start(bigint, integer, text, boolean, interval, integer, text[], text) IS
'Run a durable job in the background through pg_cron, resumed after a crash, its schedule removed when it ends';
