/*
 * pdb_chunks(tbl regclass, chunks integer DEFAULT NULL, key name DEFAULT NULL,
 *            chunk_rows bigint DEFAULT NULL)
 *     RETURNS TABLE (chunk_id integer, predicate text)
 *
 * Splits a table into WHERE-clause predicates that together match every row
 * exactly once, to run one statement per chunk in parallel: `chunks` of
 * them, or as many as make chunks of about `chunk_rows` rows each (from the
 * table's row estimate, pg_class.reltuples; counted when the table was never
 * analyzed). Give exactly one of the two.
 *
 * key NULL or 'ctid': ranges of heap blocks on ctid, as equal as the table's current
 * size allows ("ctid >= '(100,0)' AND ctid < '(200,0)'"); PostgreSQL 14+
 * runs them as TID range scans, no index needed. The last chunk is open, so
 * rows in blocks added later are matched too. A partitioned table is split by
 * the size of its largest partition (ctid ranges apply to each partition).
 *
 * key a column of type smallint, integer, bigint, numeric, date, timestamp
 * or timestamptz: key ranges with about as many rows each, cut at the key's
 * real values: from the column's histogram in pg_stats only when it has at
 * least 20 buckets per chunk (no read of the table), else at the quantiles
 * of a sample of 200 rows per chunk (at least 30,000, at most 2,000,000;
 * TABLESAMPLE BERNOULLI, which reads the whole table once, on 100 million
 * rows about as long as a count(*)). So any number of chunks comes out even,
 * gaps in the keys included. Rows whose key is NULL belong to the first
 * chunk.
 *
 * Identifiers are quoted and values written as typed literals. Always
 * exactly as many rows as chunks (a key with fewer distinct values than
 * chunks leaves some ranges empty).
 * Volatile: a key range split samples the table, so two calls may split it
 * differently.
 * Errors: 22004 tbl NULL; 22023 neither or both of chunks and chunk_rows,
 * or one below 1; 42703 key is not a column of tbl; 42804 key's type cannot
 * be split in ranges; 42809 tbl is not a table, a partitioned table or a
 * materialized view.
 */
CREATE FUNCTION @extschema@.pdb_chunks(tbl regclass, chunks integer DEFAULT NULL, key name DEFAULT NULL,
                                       chunk_rows bigint DEFAULT NULL)
RETURNS TABLE (chunk_id integer, predicate text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_per_chunk   CONSTANT integer := 200;       -- sampled rows per chunk, ...
    c_sample_min  CONSTANT integer := 30000;     -- ... at least, ...
    c_sample_max  CONSTANT integer := 2000000;   -- ... and at most
    c_buckets     CONSTANT integer := 20;        -- histogram buckets per chunk, for the histogram to do
    v_chunks   integer := chunks;
    v_sample   integer;
    v_kind     "char";
    v_schema   name;
    v_name     name;
    v_blocks   bigint;
    v_type     regtype;
    v_bounds   text[];
    v_reltuples double precision;
    v_percent  double precision;
    v_lo       text;
    v_hi       text;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'tbl must not be null';
    END IF;
    IF (chunks IS NULL) = (chunk_rows IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'give either chunks or chunk_rows',
            DETAIL  = format('chunks is %s, chunk_rows is %s.', coalesce(chunks::text, 'null'),
                             coalesce(chunk_rows::text, 'null')),
            HINT    = 'chunks => 16 for 16 chunks, or chunk_rows => 10000 for chunks of about 10,000 rows.';
    END IF;
    IF chunks < 1 OR chunk_rows < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be at least 1', CASE WHEN chunks IS NOT NULL THEN 'chunks' ELSE 'chunk_rows' END),
            DETAIL  = format('It is %s.', coalesce(chunks, chunk_rows));
    END IF;
    SELECT c.relkind, c.reltuples::double precision, n.nspname, c.relname
      INTO v_kind, v_reltuples, v_schema, v_name
      FROM pg_catalog.pg_class AS c
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = tbl;
    IF v_kind NOT IN ('r', 'p', 'm') THEN
        RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
            MESSAGE = format('%s is not a table', tbl),
            HINT    = 'pdb_chunks splits tables, partitioned tables and materialized views.';
    END IF;
    IF v_kind = 'p' THEN  -- (a partitioned table's own reltuples is not its rows')
        v_reltuples := (SELECT sum(greatest(c.reltuples, 0))::double precision
                          FROM pg_partition_tree(tbl) AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.relid
                         WHERE t.isleaf);
    END IF;
    IF coalesce(v_reltuples, 0) <= 0 AND (chunk_rows IS NOT NULL OR (key IS NOT NULL AND key <> 'ctid')) THEN
        -- never analyzed (or empty): count the rows, to size the chunks or the sample
        EXECUTE format('SELECT count(*)::double precision FROM %I.%I', v_schema, v_name) INTO v_reltuples;
    END IF;
    IF chunk_rows IS NOT NULL THEN
        v_chunks := least(1000000, greatest(1, ceil(v_reltuples / chunk_rows)))::integer;
    END IF;

    IF key IS NULL OR key = 'ctid' THEN
        IF v_kind = 'p' THEN
            SELECT max(pg_relation_size(t.relid)) INTO v_blocks
              FROM pg_partition_tree(tbl) AS t WHERE t.isleaf;
        ELSE
            v_blocks := pg_relation_size(tbl);
        END IF;
        v_blocks := coalesce(v_blocks, 0) / current_setting('block_size')::bigint;
        FOR v_i IN 1..v_chunks LOOP
            chunk_id := v_i;
            v_lo := CASE WHEN v_i > 1 THEN format('ctid >= ''(%s,0)''', (v_i - 1) * v_blocks / v_chunks) END;
            v_hi := CASE WHEN v_i < v_chunks THEN format('ctid < ''(%s,0)''', v_i * v_blocks / v_chunks) END;
            predicate := coalesce(nullif(concat_ws(' AND ', v_lo, v_hi), ''), 'true');
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;

    SELECT a.atttypid::regtype INTO v_type
      FROM pg_catalog.pg_attribute AS a
     WHERE a.attrelid = tbl AND a.attname = key AND a.attnum > 0 AND NOT a.attisdropped;
    IF v_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column %I of %s does not exist', key, tbl);
    END IF;
    IF v_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype,
                      'date'::regtype, 'timestamp without time zone'::regtype,
                      'timestamp with time zone'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('cannot split %s in ranges of column %I of type %s', tbl, key, v_type),
            HINT    = 'Use an integer, bigint, numeric, date or timestamp column, or key NULL for ctid ranges.';
    END IF;

    -- v_chunks - 1 inner bounds: from the histogram when it has enough buckets per chunk for
    -- even ranges, else at the quantiles of a sample (the histogram's 100 buckets, at the default
    -- statistics target, would give more than a few chunks ranges of a bucket's rows or none)
    SELECT ARRAY(SELECT h.b[1 + ((i * (cardinality(h.b) - 1)) / v_chunks)]
                   FROM generate_series(1, v_chunks - 1) AS i)
      INTO v_bounds
      FROM (SELECT s.histogram_bounds::text::text[] AS b
              FROM pg_catalog.pg_stats AS s
              JOIN pg_catalog.pg_class AS c ON c.relname = s.tablename
              JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
             WHERE c.oid = tbl AND s.attname = key AND s.histogram_bounds IS NOT NULL
             ORDER BY s.inherited DESC
             LIMIT 1) AS h
     WHERE cardinality(h.b) - 1 >= c_buckets * v_chunks;
    IF v_bounds IS NULL AND v_chunks > 1 THEN
        v_sample  := least(c_sample_max, greatest(c_sample_min, c_per_chunk * v_chunks));
        v_percent := least(100, greatest(0.0001, 100 * v_sample / greatest(v_reltuples, 1)));
        EXECUTE format('SELECT ARRAY(SELECT percentile_disc(i::double precision / $1) WITHIN GROUP (ORDER BY %1$I)::text
                                       FROM %2$I.%3$I TABLESAMPLE BERNOULLI ($2), generate_series(1, $1 - 1) AS i
                                      WHERE %1$I IS NOT NULL GROUP BY i ORDER BY i)', key, v_schema, v_name)
            INTO v_bounds USING v_chunks, v_percent;
    END IF;
    v_bounds := coalesce(v_bounds, ARRAY[]::text[]);

    FOR v_i IN 1..v_chunks LOOP
        chunk_id := v_i;
        v_lo := CASE WHEN v_i > 1 AND v_i - 1 <= cardinality(v_bounds)
                     THEN format('%I >= %L::%s', key, v_bounds[v_i - 1], v_type) END;
        v_hi := CASE WHEN v_i <= cardinality(v_bounds)
                     THEN format('%I < %L::%s', key, v_bounds[v_i], v_type) END;
        IF v_i > cardinality(v_bounds) + 1 THEN
            predicate := 'false';  -- too few distinct bounds in the sample: an empty chunk
        ELSE
            predicate := coalesce(nullif(concat_ws(' AND ', v_lo, v_hi), ''), 'true');
            IF v_i = 1 THEN
                predicate := format('(%s OR %I IS NULL)', predicate, key);
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_chunks(regclass, integer, name, bigint) IS
'Split a table into predicates (ctid block ranges, or key ranges of about equal row counts), a number of them or of a size, that match every row once';
