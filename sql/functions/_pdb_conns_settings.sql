/*
 * _pdb_conns_settings(OUT leave_conns text, OUT conns_wait interval)
 *
 * The settings of how calls share the server's connections, checked:
 * parallel_dblink.leave_conns, the connection slots a call leaves free to
 * the application on each target server: a number, or a percentage of that
 * server's max_connections ('10%', the default); parallel_dblink.conns_wait,
 * how long a call that can get no connection waits its turn before it fails
 * with 53300 ('30s' by default; 0: no wait).
 * Errors: 22023 a value that is not of that form, naming the setting.
 */
CREATE FUNCTION @extschema@._pdb_conns_settings(OUT leave_conns text, OUT conns_wait interval)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wait text := coalesce(nullif(current_setting('parallel_dblink.conns_wait', true), ''), '30s');
BEGIN
    leave_conns := replace(coalesce(nullif(current_setting('parallel_dblink.leave_conns', true), ''), '10%'), ' ', '');
    IF leave_conns !~ '^[0-9]{1,6}%?$' OR (leave_conns ~ '%$' AND rtrim(leave_conns, '%')::integer > 100) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.leave_conns must be a number of connections or a percentage',
            DETAIL  = format('It is "%s".', current_setting('parallel_dblink.leave_conns', true)),
            HINT    = 'For example ''10%'' of max_connections, or ''5''.';
    END IF;
    BEGIN
        conns_wait := CASE WHEN v_wait ~ '^\s*[0-9]+(\.[0-9]+)?\s*$' THEN make_interval(secs => v_wait::double precision)
                           ELSE v_wait::interval END;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
        conns_wait := NULL;
    END;
    IF conns_wait IS NULL OR conns_wait < interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.conns_wait must be a time, zero or more',
            DETAIL  = format('It is "%s".', v_wait),
            HINT    = 'For example ''30s'', or 0 to fail at once.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_conns_settings() IS
'internal: parallel_dblink.leave_conns and parallel_dblink.conns_wait, checked';
