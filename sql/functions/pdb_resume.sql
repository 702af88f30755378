/*
 * pdb_resume(caller_pid integer) RETURNS boolean
 *
 * Resume a call paused by pdb_pause.
 * Returns true. See _pdb_control_set: who may, when it takes effect (within
 * about a second of the commit, whatever the caller's isolation level), and
 * its errors.
 */
CREATE FUNCTION @extschema@.pdb_resume(caller_pid integer)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e text[] := @extschema@._pdb_control_set(caller_pid, NULL, false, NULL, 'pdb_resume');
BEGIN
    IF e IS NOT NULL THEN  -- (raised here: its context shows this call alone)
        RAISE EXCEPTION USING ERRCODE = e[1], MESSAGE = e[2], DETAIL = e[3], HINT = e[4];
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_resume(integer) IS
'Resume a call paused by pdb_pause';
