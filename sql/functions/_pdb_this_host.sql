/*
 * _pdb_this_host() RETURNS text
 *
 * The host by which a loopback connection reaches this server: its first Unix
 * socket directory, or localhost for roles that may not read
 * unix_socket_directories (only superusers and members of
 * pg_read_all_settings may) or when it has none. From server settings only,
 * never from the client's environment. (current_setting after that test, not
 * pg_settings, which builds every setting's row: 0.8 ms a call.)
 */
CREATE FUNCTION @extschema@._pdb_this_host()
RETURNS text
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (PL/pgSQL, as the other helpers of a connection string: a SQL function with SET is planned at every call)
    RETURN coalesce(nullif(btrim(split_part(CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE')
                                                 THEN current_setting('unix_socket_directories') END,
                                            ',', 1)), ''),
                    'localhost');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_this_host() IS
'internal: the host of a loopback connection to this server';
