/*
 * _pdb_keep(dblink_schema name, conns text[], keyed text[], keep interval) RETURNS integer
 *
 * Keeps the live connections of a call that ended well open for the
 * session's next calls (parallel_dblink.keep_conns = keep): those of conns
 * named to be kept (keyed: the session's connections of a _pdb_kept_key, see
 * _pdb_open_pool and _pdb_kept_conns); the others are closed. Each is sent
 * its reset (_pdb_kept_reset) without waiting for it: the worker runs it
 * while the caller goes on, and the call that takes the connection reads its
 * result, which proves the reset ran after the last task (see
 * _pdb_kept_ready). A connection that cannot be sent it is closed; one on
 * which a transaction is still open fails the reset, and the call that would
 * take it closes it. Returns how many were kept. A cancel is raised at once;
 * the caller closes everything then.
 */
CREATE FUNCTION @extschema@._pdb_keep(dblink_schema name, conns text[], keyed text[], keep interval)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reset text := @extschema@._pdb_kept_reset(keep);
    v_other text[] := ARRAY(SELECT c FROM unnest(conns) AS c WHERE NOT c = ANY (keyed));
    v_conn  text;
    v_sent  integer;
    v_kept  integer := 0;
BEGIN
    IF cardinality(v_other) > 0 THEN  -- (those that grew the call, pdb_set_conns)
        PERFORM @extschema@._pdb_close(dblink_schema, v_other, false, true);
    END IF;
    FOREACH v_conn IN ARRAY ARRAY(SELECT c FROM unnest(conns) AS c WHERE c = ANY (keyed)) LOOP
        BEGIN
            EXECUTE format('SELECT %I.dblink_send_query($1, $2)', dblink_schema) INTO v_sent USING v_conn, v_reset;
        EXCEPTION WHEN others THEN  -- (not a cancel)
            v_sent := 0;
        END;
        IF v_sent = 1 THEN
            v_kept := v_kept + 1;
        ELSE
            PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[v_conn], true);
        END IF;
    END LOOP;
    RETURN v_kept;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_keep(name, text[], text[], interval) IS
'internal: send a call''s connections their reset, kept open for the session''s next calls';
