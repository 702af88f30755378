/*
 * pdb_job_set_conns(job_id bigint, max_conns integer) RETURNS boolean
 *
 * Change the number of connections of a durable job, running or not.
 * Returns true. See _pdb_control_set: who may, when it takes effect (within
 * about a second of the commit, whatever the caller's isolation level), and
 * its errors.
 */
CREATE FUNCTION @extschema@.pdb_job_set_conns(job_id bigint, max_conns integer)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e text[] := @extschema@._pdb_control_set(NULL, job_id, NULL, max_conns, 'pdb_job_set_conns');
BEGIN
    IF e IS NOT NULL THEN  -- (raised here: its context shows this call alone)
        RAISE EXCEPTION USING ERRCODE = e[1], MESSAGE = e[2], DETAIL = e[3], HINT = e[4];
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_set_conns(bigint, integer) IS
'Change the number of connections of a durable job, running or not';
