/*
 * _pdb_conns_settings(OUT leave_conns text, OUT conns_wait interval, OUT keep_conns interval)
 *
 * The settings of how calls share the server's connections, checked:
 * parallel_dblink.leave_conns, the connection slots a call leaves free to
 * the application on each target server: a number, or a percentage of that
 * server's max_connections ('10%', the default); parallel_dblink.conns_wait,
 * how long a call that can get no connection waits its turn before it fails
 * with 53300 ('30s' by default; 0: no wait); parallel_dblink.keep_conns, how
 * long a call's connections stay open, idle, for the session's next calls
 * (0, the default: closed at the end of each call; see _pdb_keep).
 * Errors: 22023 a value that is not of that form, naming the setting.
 */
CREATE FUNCTION @extschema@._pdb_conns_settings(OUT leave_conns text, OUT conns_wait interval,
                                                OUT keep_conns interval)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    leave_conns := replace(coalesce(nullif(current_setting('parallel_dblink.leave_conns', true), ''), '10%'), ' ', '');
    IF leave_conns !~ '^[0-9]{1,6}%?$' OR (leave_conns ~ '%$' AND rtrim(leave_conns, '%')::integer > 100) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.leave_conns must be a number of connections or a percentage',
            DETAIL  = format('It is "%s".', current_setting('parallel_dblink.leave_conns', true)),
            HINT    = 'For example ''10%'' of max_connections, or ''5''.';
    END IF;
    conns_wait := @extschema@._pdb_time_setting('parallel_dblink.conns_wait', '30s',
                                                'For example ''30s'', or 0 to fail at once.');
    keep_conns := @extschema@._pdb_time_setting('parallel_dblink.keep_conns', '0',
                                                'For example ''5min'', or 0 to close connections after each call.');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_conns_settings() IS
'internal: parallel_dblink.leave_conns, conns_wait and keep_conns, checked';
