/*
 * _pdb_mask(message text, connstr text) RETURNS text
 *
 * message with every password hidden: the password of connstr wherever it
 * appears (libpq may quote a misspelt option back, value and all), any
 * "password=..." or "password:..." setting, and the password of a
 * postgresql:// URI. pdb_run passes every connection error through it.
 * Immutable, never fails; NULL message gives NULL.
 */
CREATE FUNCTION @extschema@._pdb_mask(message text, connstr text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_mask CONSTANT text := '********';
    v_pw   text;
BEGIN
    -- E'' strings: the same backslashes whatever standard_conforming_strings says
    v_pw := substring(connstr FROM E'(?i)password\\s*=\\s*(''(?:[^''\\\\]|\\\\.)*''|[^\\s'']+)');
    v_pw := coalesce(substring(connstr FROM E'://[^:/@\\s]*:([^@\\s]*)@'), v_pw);
    v_pw := btrim(v_pw, '''');
    IF v_pw <> '' THEN
        message := replace(message, v_pw, c_mask);
    END IF;
    message := regexp_replace(message, E'(password\\s*[=:]\\s*)(''(?:[^''\\\\]|\\\\.)*''|[^\\s''"]+)', E'\\1' || c_mask, 'gi');
    RETURN regexp_replace(message, E'(://[^:/@\\s]*:)[^@\\s]*@', E'\\1' || c_mask || '@', 'g');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_mask(text, text) IS
'internal: hide passwords in a connection error message';
