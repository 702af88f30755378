/*
 * _pdb_code(sql text) RETURNS text
 *
 * The text of sql with its string literals, dollar-quoted bodies and comments
 * each replaced by a blank, so that a pattern matched against it sees only
 * the statements' own words. Cautious like the other readers of task text:
 * an odd construct it misreads leaves more text, never less.
 */
CREATE FUNCTION @extschema@._pdb_code(sql text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (PL/pgSQL: a SQL function with SET is planned at every call)
    IF sql !~ E'[''$]|/\\*|--' THEN
        RETURN sql;  -- (no string, dollar quote or comment: the usual small task)
    END IF;
    -- E'' strings: the same backslashes whatever standard_conforming_strings says;
    -- a leading non-greedy atom makes the dollar-quote and comment patterns shortest-match
    RETURN regexp_replace(regexp_replace(regexp_replace(regexp_replace(sql,
               E'\\${1,1}?([A-Za-z_][A-Za-z_0-9]*|)\\$.*?\\$\\1\\$', ' ', 'g'),
               E'''(?:[^'']|'''')*''', ' ', 'g'),
               E'/{1,1}?\\*.*?\\*/', ' ', 'g'),
               E'--[^\\n]*', ' ', 'g');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_code(text) IS
'internal: a task''s text without its string literals, dollar-quoted bodies and comments';
