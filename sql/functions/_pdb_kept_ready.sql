/*
 * _pdb_kept_ready(dblink_schema name, conn text) RETURNS void
 *
 * Reads the result of the reset _pdb_keep sent to a kept connection (and
 * the end after it), which proves that the reset ran, and ran last: the
 * connection is clean and idle, out of any transaction. Waits for a reset
 * still running.
 * Errors: the reset's own (25001: a transaction was open on it; 08006: its
 * worker is gone, its idle time ran out or its server restarted); 26000 no
 * reset was pending (a connection of a kept name that _pdb_keep did not
 * keep). The caller closes such a connection.
 */
CREATE FUNCTION @extschema@._pdb_kept_ready(dblink_schema name, conn text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tag text;
BEGIN
    EXECUTE format('SELECT r.v FROM %I.dblink_get_result($1, true) AS r(v text)', dblink_schema)
        INTO v_tag USING conn;
    IF v_tag IS DISTINCT FROM 'DO' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_sql_statement_name',
            MESSAGE = format('connection %s was not reset to be kept', conn);
    END IF;
    EXECUTE format('SELECT FROM %I.dblink_get_result($1, true) AS r(v text)', dblink_schema) USING conn;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_kept_ready(name, text) IS
'internal: read the reset of a kept connection: it ran, last, and left it clean';
