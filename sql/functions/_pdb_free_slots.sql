/*
 * _pdb_free_slots(dblink_schema name, conn text, leave_conns text) RETURNS integer
 *
 * How many more connections the role may open to the database right now, as
 * seen by the server at the other end of conn (NULL conn: this server, for
 * this role and database), leaving leave_conns to other sessions (a number,
 * or a percentage of that server's max_connections, as
 * parallel_dblink.leave_conns; checked by _pdb_conns_settings): the smallest of
 *   max_connections - client backends - the reserved slots the role may not
 *     use (superuser_reserved_connections, and reserved_connections on 16+,
 *     unless the role is a superuser) - the share left,
 *   the role's CONNECTION LIMIT - its backends (no limit: -1),
 *   the database's CONNECTION LIMIT - its backends (no limit: -1),
 * the two limits not counting for a superuser, as in PostgreSQL.
 * A snapshot: other sessions may take slots a moment later.
 */
CREATE FUNCTION @extschema@._pdb_free_slots(dblink_schema name, conn text, leave_conns text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- pg_stat_get_activity rather than the pg_stat_activity view: a third of the planning
    c_sql CONSTANT text := $q$
        SELECT least(
                   current_setting('max_connections')::integer - a.used
                   - CASE WHEN r.rolsuper THEN 0
                          ELSE current_setting('superuser_reserved_connections')::integer
                               + coalesce(nullif(current_setting('reserved_connections', true), '')::integer, 0)
                     END
                   - CASE WHEN %1$L LIKE '%%\%%'
                          THEN ceil(current_setting('max_connections')::integer * rtrim(%1$L, '%%')::numeric / 100)
                          ELSE rtrim(%1$L, '%%')::numeric END::integer,
                   CASE WHEN r.rolsuper OR r.rolconnlimit < 0 THEN 2147483647 ELSE r.rolconnlimit - a.by_role END,
                   CASE WHEN r.rolsuper OR d.datconnlimit < 0 THEN 2147483647 ELSE d.datconnlimit - a.in_db END)::integer
          FROM pg_catalog.pg_roles AS r, pg_catalog.pg_database AS d,
               LATERAL (SELECT count(*) AS used,
                               count(*) FILTER (WHERE s.usesysid = r.oid) AS by_role,
                               count(*) FILTER (WHERE s.datid = d.oid) AS in_db
                          FROM pg_catalog.pg_stat_get_activity(NULL) AS s
                         WHERE s.backend_type = 'client backend') AS a
         WHERE r.rolname = session_user AND d.datname = current_database()
    $q$;
    v_free integer;
BEGIN
    -- (the same text runs here and through dblink)
    IF conn IS NULL THEN
        EXECUTE format(c_sql, leave_conns) INTO v_free;
    ELSE
        EXECUTE format('SELECT f.n FROM %I.dblink($1, $2) AS f(n integer)', dblink_schema)
            INTO v_free USING conn, format(c_sql, leave_conns);
    END IF;
    RETURN v_free;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_free_slots(name, text, text) IS
'internal: connection slots the role may still open on the target server, leaving a share to others';
