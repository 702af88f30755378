/*
 * _pdb_chunk_plain(template text, key name) RETURNS boolean
 *
 * Whether the tasks of template, each with a range of key in place of
 * {chunk}, change every row exactly once as plain READ COMMITTED
 * statements, one after another or side by side, while other sessions
 * write: an UPDATE or DELETE (no INSERT or MERGE, which may add rows to
 * ranges not run yet) that leaves key alone (no SET ... key = before WHERE,
 * FROM or RETURNING), so that a row belongs to one range for good. What
 * else there is needs one snapshot for all (pdb_tasks) or cannot be a
 * backfill (pdb_backfill). key NULL or ctid: false (an UPDATE moves rows
 * between block ranges).
 */
CREATE FUNCTION @extschema@._pdb_chunk_plain(template text, key name)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_code text := @extschema@._pdb_code(template);
BEGIN
    RETURN NOT (key IS NULL OR key = 'ctid'
                OR v_code !~* E'\\m(update|delete)\\M' OR v_code ~* E'\\m(insert|merge)\\M'
                OR v_code ~* format(E'\\mset\\M(?:(?!\\m(where|from|returning)\\M).)*(\\m%1$s\\M|"%1$s")\\s*=',
                                    regexp_replace(key, E'([^[:alnum:]_])', E'\\\\\\1', 'g')));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_chunk_plain(text, name) IS
'internal: whether key range tasks of a template change each row once as plain statements (an UPDATE or DELETE that leaves the key alone)';
