/*
 * _pdb_chunk_key(tbl regclass) RETURNS name
 *
 * The column pdb_tasks and pdb_backfill cut key ranges of when no key is
 * given: tbl's primary key, else a unique NOT NULL column (the first such,
 * by column number), of one column of a type pdb_chunks splits in ranges,
 * with a valid unique index of its own; NULL when there is none.
 */
CREATE FUNCTION @extschema@._pdb_chunk_key(tbl regclass)
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.attname
      FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid = tbl AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
       AND i.indpred IS NULL AND i.indexprs IS NULL AND (i.indisprimary OR a.attnotnull)
       AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype,
                          'date'::regtype, 'timestamp without time zone'::regtype,
                          'timestamp with time zone'::regtype)
     ORDER BY i.indisprimary DESC, a.attnum
     LIMIT 1
$$;

COMMENT ON FUNCTION @extschema@._pdb_chunk_key(regclass) IS
'internal: the column to cut key ranges of by default (primary key, else a unique NOT NULL column)';
