/*
 * _pdb_dblink_connections(dblink_schema name) RETURNS text[]
 *
 * The names of this backend's open dblink connections (never NULL: '{}' when
 * there are none). pdb_run's error path reconciles with this list because a
 * rollback undoes the rows of pg_temp._pdb_conns but closes no connection.
 */
CREATE FUNCTION @extschema@._pdb_dblink_connections(dblink_schema name)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_conns text[];
BEGIN
    EXECUTE format('SELECT %I.dblink_get_connections()', dblink_schema) INTO v_conns;
    RETURN coalesce(v_conns, '{}');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_dblink_connections(name) IS
'internal: names of this backend''s open dblink connections';
