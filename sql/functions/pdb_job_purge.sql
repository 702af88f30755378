/*
 * pdb_job_purge(older_than interval) RETURNS bigint
 *
 * Removes the caller's durable jobs (row level security: the role's own)
 * submitted more than older_than ago, with their tasks, but those that a
 * session runs now (_pdb_job_lock); in the caller's transaction. Returns how
 * many jobs it removed.
 * Errors: 22004 older_than NULL; 22023 older_than negative.
 */
CREATE FUNCTION @extschema@.pdb_job_purge(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_job_space CONSTANT integer := 1885627493;  -- the runners' holds (_pdb_job_lock)
    v_removed   bigint;
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'older_than must not be null';
    END IF;
    IF older_than < interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'older_than must not be negative',
            DETAIL = format('older_than is %s.', older_than);
    END IF;
    WITH gone AS (
        DELETE FROM @extschema@.pdb_job AS j
         WHERE j.submitted_at < clock_timestamp() - older_than
           AND NOT EXISTS (SELECT FROM pg_locks AS l
                            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = c_job_space::oid
                              AND l.objid = (j.job_id % 2147483647)::oid AND l.objsubid = 2)
        RETURNING 1)
    SELECT count(*) INTO v_removed FROM gone;
    RETURN v_removed;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_purge(interval) IS
'Remove the caller''s durable jobs submitted longer ago than older_than, but those running';
