/*
 * _pdb_lean_end(conn text, reset text) RETURNS boolean
 *
 * Once a small call's task was read on conn: reads its end, and sends the
 * reset (_pdb_kept_reset) without waiting for it, so that the connection is
 * kept for the next call. false: the worker went away, or the reset could
 * not be sent: the caller closes it.
 */
CREATE FUNCTION @extschema@._pdb_lean_end(conn text, reset text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM "@dblink@".dblink_get_result(conn, true) AS r(v text);
    RETURN "@dblink@".dblink_send_query(conn, reset) = 1;
EXCEPTION WHEN others THEN  -- (not a cancel)
    RETURN false;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_end(text, text) IS
'internal: read the end of a small call''s task and send the reset that keeps its connection';
