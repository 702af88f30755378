/*
 * _pdb_backfill_key(tbl regclass, key name) RETURNS regtype
 *
 * The type of a backfill's key column, checked: a column of tbl, of an
 * integer type or numeric (its ranges are counted in key values for
 * pdb_jobs' progress), NOT NULL (a row with no key would be in no range),
 * and first in a valid btree index (each range's end is read from it: with
 * none, every cut would sort the table).
 * Errors: 42703 no such column; 42804 not of such a type; 55000 NULL
 * allowed, or no such index.
 */
CREATE FUNCTION @extschema@._pdb_backfill_key(tbl regclass, key name)
RETURNS regtype
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type    regtype;
    v_notnull boolean;
    v_attnum  smallint;
BEGIN
    SELECT a.atttypid::regtype, a.attnotnull, a.attnum INTO v_type, v_notnull, v_attnum
      FROM pg_catalog.pg_attribute AS a
     WHERE a.attrelid = tbl AND a.attname = key AND a.attnum > 0 AND NOT a.attisdropped;
    IF v_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column %I of %s does not exist', key, tbl);
    END IF;
    IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('cannot backfill %s in ranges of column %I of type %s', tbl, key, v_type),
            HINT    = 'Use a smallint, integer, bigint or numeric column as the key.';
    END IF;
    IF NOT v_notnull THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('column %I of %s may be NULL', key, tbl),
            DETAIL  = 'A row whose key is NULL would be in no range.',
            HINT    = format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL, or name another key.', tbl, key);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_index AS i
                     JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
                     JOIN pg_catalog.pg_am AS m ON m.oid = c.relam
                    WHERE i.indrelid = tbl AND i.indkey[0] = v_attnum AND m.amname = 'btree'
                      AND i.indpred IS NULL AND (i.indisvalid OR c.relkind = 'I')) THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('column %I of %s has no index', key, tbl),
            DETAIL  = 'pdb_backfill finds where each range ends in an index of the key.',
            HINT    = format('CREATE INDEX CONCURRENTLY ON %s (%I)', tbl, key);
    END IF;
    RETURN v_type;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_backfill_key(regclass, name) IS
'internal: a backfill''s key column, checked (integer or numeric, NOT NULL, indexed), and its type';
