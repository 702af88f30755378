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
           AND @extschema@._pdb_job_holder(j.job_id) IS NULL
        RETURNING 1)
    SELECT count(*) INTO v_removed FROM gone;
    RETURN v_removed;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_purge(interval) IS
'Remove the caller''s durable jobs submitted longer ago than older_than, but those running';
