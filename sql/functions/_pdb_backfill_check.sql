/*
 * _pdb_backfill_check(template text, tbl regclass, chunk_time interval, chunk_rows bigint) RETURNS void
 *
 * pdb_backfill's checks of its arguments, but for the key's (see
 * _pdb_backfill_key) and the template's statement.
 * Errors: 22004 template or tbl NULL; 22023 template without {chunk},
 * chunk_time not above 0, chunk_rows below 1, or both NULL; 42809 tbl is not
 * a table or a partitioned table.
 */
CREATE FUNCTION @extschema@._pdb_backfill_check(template text, tbl regclass, chunk_time interval, chunk_rows bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF template IS NULL OR tbl IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = format('%s must not be null', CASE WHEN template IS NULL THEN 'template' ELSE 'tbl' END);
    END IF;
    IF strpos(template, '{chunk}') = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'template must contain {chunk}',
            HINT    = 'Write {chunk} where each range''s condition goes: UPDATE t SET v = 0 WHERE {chunk}';
    END IF;
    IF chunk_time <= interval '0' OR chunk_rows < 1 OR (chunk_time IS NULL AND chunk_rows IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = CASE WHEN chunk_time <= interval '0' THEN 'chunk_time must be above 0'
                           WHEN chunk_rows < 1 THEN 'chunk_rows must be at least 1'
                           ELSE 'give chunk_time or chunk_rows' END,
            HINT    = 'chunk_time => ''1 second'' sizes ranges by time; chunk_time => NULL, chunk_rows => 10000 '
                      'makes ranges of 10,000 rows.';
    END IF;
    IF (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
            MESSAGE = format('%s is not a table', tbl),
            HINT    = 'pdb_backfill changes the rows of a table or a partitioned table.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_backfill_check(text, regclass, interval, bigint) IS
'internal: pdb_backfill''s checks of its template, table and sizes';
