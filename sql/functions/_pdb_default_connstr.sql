/*
 * _pdb_default_connstr() RETURNS text
 *
 * The loopback connection string pdb_run uses when the caller gives none: the
 * setting parallel_dblink.loopback when it is set (a connection string or a
 * dblink_fdw server name that leads back to this database: what non-superusers
 * need, as dblink wants them to use a password); else this server (the host
 * of _pdb_this_host and its port), the current database, the current user.
 * Stable, no side effects.
 */
CREATE FUNCTION @extschema@._pdb_default_connstr()
RETURNS text
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('parallel_dblink.loopback', true), ''),
                    format('host=%s port=%s dbname=%s user=%s',
                           @extschema@._pdb_conninfo_quote(@extschema@._pdb_this_host()),
                           current_setting('port'),
                           @extschema@._pdb_conninfo_quote(current_database()),
                           @extschema@._pdb_conninfo_quote(current_user)));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_default_connstr() IS
'internal: loopback connection string to this database as the current user';
