/*
 * _pdb_time_setting(setting text, dflt text, hint text) RETURNS interval
 *
 * The value of a setting that is a time, zero or more: seconds as a bare
 * number ('2.5'), or an interval ('30s', '5 min'); dflt (an interval) when it
 * is unset or empty.
 * Errors: 22023 any other value, naming the setting, with hint.
 */
CREATE FUNCTION @extschema@._pdb_time_setting(setting text, dflt text, hint text)
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_text text := nullif(current_setting(setting, true), '');
    v_time interval;
BEGIN
    IF v_text IS NULL THEN
        RETURN dflt::interval;  -- (the usual case, without the subtransaction of the block below)
    END IF;
    BEGIN
        v_time := CASE WHEN v_text ~ '^\s*[0-9]+(\.[0-9]+)?\s*$' THEN make_interval(secs => v_text::double precision)
                       ELSE v_text::interval END;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_parameter_value THEN
        v_time := NULL;
    END;
    IF v_time IS NULL OR v_time < interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a time, zero or more', setting),
            DETAIL  = format('It is "%s".', v_text),
            HINT    = hint;
    END IF;
    RETURN v_time;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_time_setting(text, text, text) IS
'internal: a setting that is a time, zero or more, checked';
