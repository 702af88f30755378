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
 * unix_socket_directories (only superusers and members of
 * pg_read_all_settings may) get localhost. (current_setting after that test,
 * not pg_settings, which builds every setting's row: 0.8 ms a call.)
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
                      coalesce(nullif(btrim(split_part(
                                   CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE')
                                        THEN current_setting('unix_socket_directories') END,
                                   ',', 1)), ''),
                               'localhost')),
                  current_setting('port'),
                  @extschema@._pdb_conninfo_quote(current_database()),
                  @extschema@._pdb_conninfo_quote(current_user)))
$$;

COMMENT ON FUNCTION @extschema@._pdb_default_connstr() IS
'internal: loopback connection string to this database as the current user';
