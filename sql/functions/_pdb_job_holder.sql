/*
 * _pdb_job_holder(job_id bigint) RETURNS integer
 *
 * The pid of the session that runs durable job job_id now (it holds the
 * runner's session advisory lock, _pdb_job_lock: key1 1885627493, key2 the
 * job id modulo 2^31 - 1), or NULL. pg_locks shows it to every role.
 */
CREATE FUNCTION @extschema@._pdb_job_holder(job_id bigint)
RETURNS integer
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.pid
      FROM pg_locks AS l
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = CAST(1885627493 AS oid)
       AND l.objid = CAST(job_id % 2147483647 AS oid) AND l.objsubid = 2
     LIMIT 1
$$;

COMMENT ON FUNCTION @extschema@._pdb_job_holder(bigint) IS
'internal: the pid of the session that runs a durable job now, or NULL';
