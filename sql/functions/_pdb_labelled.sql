/*
 * _pdb_labelled(st _pdb_state, shown integer[], total integer, job_id bigint) RETURNS _pdb_state
 *
 * st as the run of durable job job_id: each unit's comment (which
 * pdb_activity reads) shows shown[task number] (the job's task id) as the
 * task's number, total (the job's tasks) as the number of tasks, and the job:
 * '/* pdb_run:<caller pid>:<shown>/<total> job <job_id> */'; and the engine
 * reads the job's live control (pdb_job_pause, pdb_job_set_conns).
 */
CREATE FUNCTION @extschema@._pdb_labelled(st @extschema@._pdb_state, shown integer[], total integer, job_id bigint)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    st.shown := shown;
    st.label  := format(E'/%s job %s */\n', total, job_id);
    st.job_id := job_id;
    RETURN st;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_labelled(@extschema@._pdb_state, integer[], integer, bigint) IS
'internal: a call of the engine as the run of a durable job: its units labelled with the job''s task numbers';
