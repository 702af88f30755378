/*
 * _pdb_labelled(st _pdb_state, shown integer[], total integer, label text) RETURNS _pdb_state
 *
 * st, its units labelled otherwise: each unit's comment (which pdb_activity
 * reads) shows shown[task number] as the task's number instead of the
 * task number, total as the number of tasks, and label after it:
 * '/* pdb_run:<caller pid>:<shown>/<total> <label> */' (a job's runners:
 * the job's task ids, the job's tasks, 'job <id>').
 */
CREATE FUNCTION @extschema@._pdb_labelled(st @extschema@._pdb_state, shown integer[], total integer, label text)
RETURNS @extschema@._pdb_state
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    st.shown := shown;
    st.label := format(E'/%s %s */\n', total, label);
    RETURN st;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_labelled(@extschema@._pdb_state, integer[], integer, text) IS
'internal: label the units of a call of the engine with other task numbers and a word (a job''s)';
