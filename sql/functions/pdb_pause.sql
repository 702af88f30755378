/*
 * pdb_pause(caller_pid integer) RETURNS boolean
 *
 * Pause the running pdb_run call of a session: no new task starts until pdb_resume.
 * Returns true. See _pdb_control_set: who may, when it takes effect (within
 * about a second of the commit, whatever the caller's isolation level), and
 * its errors.
 */
CREATE FUNCTION @extschema@.pdb_pause(caller_pid integer)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e text[] := @extschema@._pdb_control_set(caller_pid, NULL, true, NULL, 'pdb_pause');
BEGIN
    IF e IS NOT NULL THEN  -- (raised here: its context shows this call alone)
        RAISE EXCEPTION USING ERRCODE = e[1], MESSAGE = e[2], DETAIL = e[3], HINT = e[4];
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_pause(integer) IS
'Pause the running pdb_run call of a session: no new task starts until pdb_resume';
