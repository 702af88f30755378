/*
 * _pdb_default_connstr() RETURNS text
 *
 * The loopback connection string pdb_run uses when the caller gives none: the
 * setting parallel_dblink.loopback when it is set (a connection string or a
 * dblink_fdw server name that leads back to this database: what non-superusers
 * need, as dblink wants them to use a password); else this server (first Unix
 * socket directory, else localhost, and its port), the current database, the
 * current user. Built from server settings only, never
 * from the client's environment. Roles that may not read
 * unix_socket_directories (pg_settings hides it from them) get localhost.
 * Stable, no side effects.
 */
CREATE FUNCTION @extschema@._pdb_default_connstr()
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(nullif(current_setting('parallel_dblink.loopback', true), ''),
           format('host=%s port=%s dbname=%s user=%s',
                  @extschema@._pdb_conninfo_quote(
                      coalesce(nullif(btrim(split_part((SELECT s.setting FROM pg_catalog.pg_settings AS s
                                                         WHERE s.name = 'unix_socket_directories'),
                                                        ',', 1)), ''),
                               'localhost')),
                  current_setting('port'),
                  @extschema@._pdb_conninfo_quote(current_database()),
                  @extschema@._pdb_conninfo_quote(current_user)))
$$;

COMMENT ON FUNCTION @extschema@._pdb_default_connstr() IS
'internal: loopback connection string to this database as the current user';
