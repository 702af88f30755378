/*
 * _pdb_job_left(job_id bigint) RETURNS boolean
 *
 * Whether durable job job_id has work left: a task not done, or, for a
 * backfill, keys not cut into ranges yet (cancelled or not). NULL when
 * there is no such job (or it is not the caller's).
 */
CREATE FUNCTION @extschema@._pdb_job_left(job_id bigint)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM @extschema@.pdb_job_task AS t WHERE t.job_id = j.job_id AND t.status <> 'done')
           OR EXISTS (SELECT FROM @extschema@.pdb_job_backfill AS b
                       WHERE b.job_id = j.job_id AND b.next_key <= b.key_max)
      FROM @extschema@.pdb_job AS j
     WHERE j.job_id = _pdb_job_left.job_id
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_left(bigint) IS
'internal: whether a durable job has work left (a task not done, keys not cut)';
