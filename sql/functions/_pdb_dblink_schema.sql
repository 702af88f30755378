/*
 * _pdb_dblink_schema() RETURNS name
 *
 * The schema the dblink extension is installed in, looked up at run time so
 * that every dblink call can be schema-qualified whatever the caller's
 * search_path (and wherever dblink was installed or moved to).
 * Errors: 55000 (object_not_in_prerequisite_state) if dblink is missing.
 */
CREATE FUNCTION @extschema@._pdb_dblink_schema()
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema name;
BEGIN
    SELECT n.nspname INTO v_schema
      FROM pg_catalog.pg_extension AS e
      JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace
     WHERE e.extname = 'dblink';
    IF v_schema IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'extension "dblink" is not installed',
            HINT    = 'Run CREATE EXTENSION dblink, or CREATE EXTENSION parallel_dblink CASCADE.';
    END IF;
    RETURN v_schema;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_dblink_schema() IS
'internal: schema of the dblink extension';
