/*
 * _pdb_job_again(job _pdb_job_run) RETURNS boolean
 *
 * Whether the runner of a durable job, once a run (job) has finished, begins
 * another: when the job is a backfill (its next ranges may be left to cut)
 * and every task of this run ended ok. A range that failed stops the job
 * there (it runs again, as it was, at the next pdb_job_run or pdb_job_exec),
 * so that a template that fails everywhere fails once, not on every range
 * of the table.
 */
CREATE FUNCTION @extschema@._pdb_job_again(job @extschema@._pdb_job_run)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(($1).backfill AND ($1).finished AND cardinality(($1).ids) > 0
                    AND NOT EXISTS (SELECT FROM unnest((($1).st).r_out) AS o WHERE o.status <> 'ok'), false)
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_again(@extschema@._pdb_job_run) IS
'internal: whether a backfill''s runner goes on with its next ranges once a run of it has ended well';
