/*
 * _pdb_conninfo_quote(value text) RETURNS text
 *
 * Quotes one value for a libpq key=value connection string: wraps it in single
 * quotes and escapes backslashes and single quotes, as libpq expects.
 * Immutable, no side effects, never fails. NULL in, NULL out.
 */
CREATE FUNCTION @extschema@._pdb_conninfo_quote(value text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- chr(92) is the backslash: no escape-syntax assumptions in the script
    RETURN '''' || replace(replace(value, chr(92), chr(92) || chr(92)), '''', chr(92) || '''') || '''';
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_conninfo_quote(text) IS
'internal: quote a value for a libpq connection string';
