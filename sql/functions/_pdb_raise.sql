/*
 * _pdb_raise(sqlstate text, message text, detail text, hint text) RETURNS void
 *
 * Raises an ERROR with that SQLSTATE and message, and the detail and hint
 * when they are neither NULL nor empty (RAISE refuses NULL options, and
 * GET STACKED DIAGNOSTICS gives '' for a missing one). Never returns.
 */
CREATE FUNCTION @extschema@._pdb_raise(sqlstate text, message text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(detail, '') = '' AND coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF coalesce(detail, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_raise(text, text, text, text) IS
'internal: raise an error whose detail and hint may be missing';
