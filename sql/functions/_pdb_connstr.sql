/*
 * _pdb_connstr(target text) RETURNS text
 *
 * The connection string a target means. NULL: this database as the current
 * user (_pdb_default_connstr). A libpq key=value string that names no host,
 * hostaddr or service: this server, as the default loopback reaches it (its
 * host and port put first; a port the string names wins), so that
 * 'dbname=other' means the database other of this server rather than of
 * libpq's compiled-in socket and port. Anything else (a URI, a dblink_fdw
 * server name, a string that names a host) unchanged. A keyword inside a
 * quoted value can make it leave a string unchanged: cautious, never wrong.
 */
CREATE FUNCTION @extschema@._pdb_connstr(target text)
RETURNS text
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN CASE
           WHEN target IS NULL THEN @extschema@._pdb_default_connstr()
           WHEN strpos(target, '=') = 0 OR target ~* '^\s*postgres(ql)?://'
                OR target ~* '(^|\s)(host|hostaddr|service)\s*=' THEN target
           ELSE format('host=%s port=%s %s', @extschema@._pdb_conninfo_quote(@extschema@._pdb_this_host()),
                       current_setting('port'), target)
           END;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_connstr(text) IS
'internal: the connection string a target means (NULL and a string without a host: this server)';
