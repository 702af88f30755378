/*
 * _pdb_keep(dblink_schema name, conns text[], keep interval) RETURNS integer
 *
 * Keeps the live connections of a call that ended well open for the
 * session's next calls (parallel_dblink.keep_conns = keep): those named to be
 * kept (with a _pdb_kept_key, see _pdb_open_pool); the others are closed.
 * Each is reset at once (DISCARD ALL: settings, temp tables, prepared
 * statements, cursors, advisory locks, LISTEN; it fails, and the connection
 * is closed, while a transaction is open on it), marked as reset (a
 * prepared statement pdb_kept, which the call that takes it deallocates:
 * see _pdb_prepare), labelled 'pdb_run:<caller
 * pid> kept' (pdb_activity shows it), and told to end by itself once idle
 * for keep (idle_session_timeout, on servers of 14 and later; on 13 it stays
 * until the session ends, a call with keep_conns 0 or pdb_close_conns()).
 * A connection that cannot be kept is closed. Returns how many were kept. A
 * cancel is raised at once; the caller closes everything then.
 */
CREATE FUNCTION @extschema@._pdb_keep(dblink_schema name, conns text[], keep interval)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_label text := format('pdb_run:%s kept', pg_backend_pid());
    v_ms    bigint := CAST(least(ceil(extract(epoch FROM keep) * 1000), 2147483647) AS bigint);
    v_keyed text[] := @extschema@._pdb_kept_conns(dblink_schema);
    v_other text[] := ARRAY(SELECT c FROM unnest(conns) AS c WHERE NOT c = ANY (v_keyed));
    v_conn  text;
    v_kept  integer := 0;
BEGIN
    IF cardinality(v_other) > 0 THEN  -- (those that grew the call, pdb_set_conns)
        PERFORM @extschema@._pdb_close(dblink_schema, v_other, false, true);
    END IF;
    FOREACH v_conn IN ARRAY ARRAY(SELECT c FROM unnest(conns) AS c WHERE c = ANY (v_keyed)) LOOP
        BEGIN
            EXECUTE format('SELECT %I.dblink_exec($1, ''DISCARD ALL'')', dblink_schema) USING v_conn;
            EXECUTE format('SELECT 1 FROM %I.dblink($1, $2) AS w(app text, idle text)', dblink_schema)
                USING v_conn,
                      format('PREPARE pdb_kept AS SELECT 1; '
                             'SELECT set_config(''application_name'', %L, false), '
                             'CASE WHEN current_setting(''server_version_num'')::integer >= 140000 '
                             'THEN set_config(''idle_session_timeout'', %L, false) END', v_label, v_ms);
            v_kept := v_kept + 1;
        EXCEPTION WHEN others THEN  -- (not a cancel)
            PERFORM @extschema@._pdb_close(dblink_schema, ARRAY[v_conn], true);
        END;
    END LOOP;
    RETURN v_kept;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_keep(name, text[], interval) IS
'internal: reset and label a call''s connections, kept open for the session''s next calls';
