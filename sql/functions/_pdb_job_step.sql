/*
 * _pdb_job_step(job _pdb_job_run, autonomous boolean, connstr text) RETURNS _pdb_job_run
 *
 * One step of a run of a durable job: the engine's step of half a second at
 * most (_pdb_step; the connections stay open after it), then the outcome of
 * every task settled in it is written to pdb_job_task (_pdb_job_record), so
 * pdb_job_tasks shows each as soon as it ends: in the caller's transaction,
 * which pdb_job_exec commits next; with autonomous (pdb_job_run, whose
 * transaction lasts the run) on a connection of its own (connstr; NULL: the
 * loopback), committed at once. Returns job advanced, finished when every
 * task is settled.
 * pdb_job_exec's first step closes what a run of this session interrupted
 * between two steps left open (a cancel during a COMMIT: a CALL runs at top
 * level, so no other call of the engine runs in this session), and takes the
 * runner's hold on the job (_pdb_job_lock), which the last step lets go
 * (but a backfill's whose runner goes on with the next wave: so pdb_jobs
 * shows it running between waves, and the runner lets it go at its end);
 * pdb_job_run takes it itself. An error in a step lets it go.
 * Errors: 55006 another session runs the job; those of _pdb_step.
 */
CREATE FUNCTION @extschema@._pdb_job_step(job @extschema@._pdb_job_run, autonomous boolean, connstr text)
RETURNS @extschema@._pdb_job_run
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_step    CONSTANT interval := interval '500 milliseconds';
    v_dbl     name;
    v_st      @extschema@._pdb_state;
    v_outcome jsonb;
    v_next    @extschema@._pdb_job_run;
BEGIN
    IF (job.st).s_conn IS NULL AND NOT autonomous THEN
        v_dbl := @extschema@._pdb_dblink_schema();
        PERFORM @extschema@._pdb_close(v_dbl,
            ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(v_dbl)) AS c
                   WHERE starts_with(c, format('pdb_%s_', pg_backend_pid()))), true);
        PERFORM @extschema@._pdb_job_lock(job.job_id, true);  -- (55006: another session runs it)
    END IF;
    BEGIN
        v_st := (SELECT s FROM @extschema@._pdb_step(job.st, clock_timestamp() + c_step, NULL::@extschema@._pdb_state) AS s);
        v_outcome := @extschema@._pdb_job_outcomes(job, v_st);
        IF jsonb_array_length(v_outcome) > 0 AND autonomous THEN
            PERFORM @extschema@._pdb_autonomous(format('SELECT %s._pdb_job_record(%s, %L)', '@extschema@',
                                                       job.job_id, v_outcome), connstr);
        ELSIF jsonb_array_length(v_outcome) > 0 THEN
            PERFORM @extschema@._pdb_job_record(job.job_id, v_outcome);
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        PERFORM @extschema@._pdb_job_lock(job.job_id, false);
        RAISE;
    END;
    -- every task settled is now recorded
    v_next := ROW(job.job_id, job.ids, job.tasks, job.before,
                  ARRAY(SELECT v_st.r_done[p] FROM unnest((v_st.plan).pos) WITH ORDINALITY AS x(p, o) ORDER BY x.o),
                  v_st, v_st.finished, job.backfill)::@extschema@._pdb_job_run;
    IF v_st.finished AND NOT @extschema@._pdb_job_again(v_next) THEN
        PERFORM @extschema@._pdb_job_lock(job.job_id, false);
    END IF;
    RETURN v_next;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_step(@extschema@._pdb_job_run, boolean, text) IS
'internal: a step of a run of a durable job: half a second of the engine, then the outcomes of the tasks settled, written';
