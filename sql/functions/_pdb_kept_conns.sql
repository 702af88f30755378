/*
 * _pdb_kept_conns(dblink_schema name) RETURNS text[]
 *
 * The session's connections that may be kept between calls: those of its
 * dblink connections named by a call of this backend with a _pdb_kept_key
 * at the end (see _pdb_keep). No call of the session runs while another
 * does, so before a call starts they are all idle; whether each is clean
 * is checked when it is taken (_pdb_kept_take). The names, not a table,
 * tell: a table would follow the caller's transactions, and the
 * connections do not.
 */
CREATE FUNCTION @extschema@._pdb_kept_conns(dblink_schema name)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    v_conns text[];
BEGIN
    -- (PL/pgSQL, not SQL: called by every call, and its plan is kept for the session)
    IF dblink_schema = c_bound THEN
        v_conns := "@dblink@".dblink_get_connections();
    ELSE
        v_conns := @extschema@._pdb_dblink_connections(dblink_schema);
    END IF;
    RETURN ARRAY(SELECT c FROM unnest(v_conns) AS c
                  WHERE starts_with(c, 'pdb_' || pg_backend_pid() || '_')
                    AND substr(c, length(c) - 17, 2) = '_k'  -- (_pdb_kept_key's 18 characters end it)
                  ORDER BY c);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_kept_conns(name) IS
'internal: the session''s connections that may be kept between calls, by their names';
