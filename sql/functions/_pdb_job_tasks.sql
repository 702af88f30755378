/*
 * _pdb_job_tasks(): the rows behind the view pdb_job_tasks, read with the
 * caller's rights (see _pdb_jobs: a view would read them with its owner's,
 * who is exempt from row level security).
 */
CREATE FUNCTION @extschema@._pdb_job_tasks()
RETURNS SETOF @extschema@.pdb_job_task
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.pdb_job_task
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_tasks() IS 'internal: the rows of the view pdb_job_tasks, with the caller''s rights';
