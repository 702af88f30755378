/*
 * _pdb_free_slots(dblink_schema name, conn text) RETURNS integer
 *
 * How many more connections the role may open to the database right now, as
 * seen by the server at the other end of conn (NULL conn: this server, for
 * this role and database): the smallest of
 *   max_connections - client backends - the reserved slots the role may not
 *     use (superuser_reserved_connections, and reserved_connections on 16+,
 *     unless the role is a superuser),
 *   the role's CONNECTION LIMIT - its backends (no limit: -1),
 *   the database's CONNECTION LIMIT - its backends (no limit: -1),
 * the two limits not counting for a superuser, as in PostgreSQL.
 * A snapshot: other sessions may take slots a moment later.
 */
CREATE FUNCTION @extschema@._pdb_free_slots(dblink_schema name, conn text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_sql CONSTANT text := $q$
        WITH a AS (
            SELECT count(*) AS used,
                   count(*) FILTER (WHERE usename = session_user) AS by_role,
                   count(*) FILTER (WHERE datname = current_database()) AS in_db
              FROM pg_catalog.pg_stat_activity
             WHERE backend_type = 'client backend'
        ), r AS (
            SELECT rolsuper, rolconnlimit FROM pg_catalog.pg_roles WHERE rolname = session_user
        ), d AS (
            SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = current_database()
        )
        SELECT least(
                   current_setting('max_connections')::integer - a.used
                   - CASE WHEN r.rolsuper THEN 0
                          ELSE current_setting('superuser_reserved_connections')::integer
                               + coalesce(nullif(current_setting('reserved_connections', true), '')::integer, 0)
                     END,
                   CASE WHEN r.rolsuper OR r.rolconnlimit < 0 THEN 2147483647 ELSE r.rolconnlimit - a.by_role END,
                   CASE WHEN r.rolsuper OR d.datconnlimit < 0 THEN 2147483647 ELSE d.datconnlimit - a.in_db END)::integer
          FROM a, r, d
    $q$;
    v_free integer;
BEGIN
    IF conn IS NULL THEN
        EXECUTE c_sql INTO v_free;
    ELSE
        EXECUTE format('SELECT f.n FROM %I.dblink($1, $2) AS f(n integer)', dblink_schema)
            INTO v_free USING conn, c_sql;
    END IF;
    RETURN v_free;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_free_slots(name, text) IS
'internal: connection slots the role may still open on the target server';
