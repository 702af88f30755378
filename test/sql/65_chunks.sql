\unset ECHO
\i test/setup.sql

-- pdb_chunks and pdb_tasks: predicates that match every row exactly once
CREATE SCHEMA t65;
CREATE TABLE t65.big (id int, d date, ts timestamptz, n numeric, label text, v int NOT NULL DEFAULT 0);
INSERT INTO t65.big (id, d, ts, n, label)
SELECT g, date '2020-01-01' + g / 50, timestamptz '2020-01-01' + g * interval '1 minute', g / 7.0, 'x' || g
  FROM generate_series(1, 20000) AS g;
INSERT INTO t65.big (id, d, ts, n, label) VALUES (NULL, NULL, NULL, NULL, 'nulls');
CREATE TABLE t65.unanalyzed AS SELECT * FROM t65.big;
CREATE TABLE t65.moving AS SELECT * FROM t65.big;
ANALYZE t65.big;
CREATE VIEW t65.a_view AS SELECT * FROM t65.big;

-- rows of tbl that the chunks match other than exactly once
CREATE FUNCTION t65.not_once(tbl regclass, chunks int, key name DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_count bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE %s <> 1', tbl,
                   (SELECT string_agg(format('coalesce((%s)::int, 0)', predicate), ' + ')
                      FROM pdb_chunks(tbl, chunks, key)))
        INTO v_count;
    RETURN v_count;
END
$$;
-- largest chunk / smallest chunk
CREATE FUNCTION t65.spread(tbl regclass, chunks int, key name) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    v_sizes bigint[] := '{}';
    v_n bigint;
    v_pred text;
BEGIN
    FOR v_pred IN SELECT predicate FROM pdb_chunks(tbl, chunks, key) ORDER BY chunk_id LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE %s', tbl, v_pred) INTO v_n;
        v_sizes := v_sizes || v_n;
    END LOOP;
    RETURN (SELECT max(s)::numeric / greatest(min(s), 1) FROM unnest(v_sizes) AS s);
END
$$;

CREATE TABLE t65.ctid_run AS
SELECT * FROM pdb_run(pdb_tasks('UPDATE t65.big SET v = v + 1 WHERE {chunk}', 't65.big', 8), 3);
CREATE TABLE t65.key_run AS
SELECT * FROM pdb_run(pdb_tasks('UPDATE t65.moving SET v = v + 1, id = id + 100000 WHERE {chunk}', 't65.moving', 5, 'id'), 3);

-- tables with a key pdb_tasks picks by itself: a primary key, a unique NOT NULL column
CREATE TABLE t65.keyed (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO t65.keyed (id) SELECT g FROM generate_series(1, 5000) AS g;
CREATE TABLE t65.uniq (label text, code bigint NOT NULL UNIQUE, v int NOT NULL DEFAULT 0);
INSERT INTO t65.uniq (code) SELECT g * 3 FROM generate_series(1, 3000) AS g;
ANALYZE t65.keyed, t65.uniq;
-- the kind of each task pdb_tasks writes: 'plain' or 'snapshot', and what it splits on
CREATE FUNCTION t65.kinds(tasks text[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(DISTINCT CASE WHEN t LIKE '%SET TRANSACTION SNAPSHOT%' THEN 'snapshot' ELSE 'plain' END
                              || CASE WHEN t LIKE '%ctid%' THEN ':ctid' ELSE ':key' END)
      FROM unnest(tasks) AS t
$$;
-- the first call of it in the database fails with a deadlock (40P01); every later call passes
CREATE SEQUENCE t65.calls;
CREATE FUNCTION t65.deadlock_once() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('t65.calls') = 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'deadlock_detected', MESSAGE = 'deadlock detected (for the test)';
    END IF;
    RETURN true;
END
$$;
CREATE TABLE t65.again (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO t65.again (id) SELECT g FROM generate_series(1, 3000) AS g;
ANALYZE t65.again;
CREATE TABLE t65.again_run AS
SELECT * FROM pdb_run(pdb_tasks('UPDATE t65.again SET v = v + 1 WHERE {chunk} AND t65.deadlock_once()',
                                't65.again', 4), 1, retries => 2);
CREATE TABLE t65.keyed_run AS
SELECT * FROM pdb_run(pdb_tasks('UPDATE t65.keyed SET v = v + 1 WHERE {chunk}', 't65.keyed', 6), 3);

-- chunks cut at the real key values, of a number or of a size: evenly spread keys (more chunks than
-- the histogram has buckets), and keys with gaps
CREATE TABLE t65.even (id int PRIMARY KEY);
INSERT INTO t65.even SELECT generate_series(1, 100000);
CREATE TABLE t65.gappy (id bigint PRIMARY KEY);
INSERT INTO t65.gappy SELECT generate_series(1, 30000) UNION ALL SELECT generate_series(1000001, 1030000)
                      UNION ALL SELECT generate_series(5000001, 5040000);
ANALYZE t65.even, t65.gappy;
-- the rows of each chunk, in order
CREATE FUNCTION t65.sizes(tbl regclass, key name, chunks int, chunk_rows bigint) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_sizes bigint[] := '{}';
    v_n bigint;
    v_pred text;
BEGIN
    FOR v_pred IN SELECT predicate FROM pdb_chunks(tbl, chunks, key, chunk_rows) ORDER BY chunk_id LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE %s', tbl, v_pred) INTO v_n;
        v_sizes := v_sizes || v_n;
    END LOOP;
    RETURN v_sizes;
END
$$;
CREATE TABLE t65.sized AS
SELECT 'even 200' AS what, t65.sizes('t65.even', 'id', 200, NULL) AS s
UNION ALL SELECT 'gappy 100', t65.sizes('t65.gappy', 'id', 100, NULL)
UNION ALL SELECT 'even 1000 rows', t65.sizes('t65.even', 'id', NULL, 1000)
UNION ALL SELECT 'gappy 2500 rows', t65.sizes('t65.gappy', 'id', NULL, 2500);

SELECT plan(49);

SELECT is((SELECT count(*) FROM pdb_chunks('t65.big', 7)), 7::bigint, 'exactly the chunks asked for');
SELECT is(ARRAY(SELECT chunk_id FROM pdb_chunks('t65.big', 3) ORDER BY 1), ARRAY[1, 2, 3], 'numbered from 1');
SELECT is(t65.not_once('t65.big', 7), 0::bigint, 'ctid chunks match every row exactly once');
SELECT matches((SELECT predicate FROM pdb_chunks('t65.big', 3) WHERE chunk_id = 2),
               '^ctid >= ''\(\d+,0\)'' AND ctid < ''\(\d+,0\)''$', 'ctid chunks are block ranges');
SELECT is((SELECT predicate FROM pdb_chunks('t65.big', 1)), 'true', 'one chunk is the whole table');
SELECT is(t65.not_once('t65.big', 6, 'id'), 0::bigint, 'integer key chunks match every row once, NULL included');
SELECT is(t65.not_once('t65.big', 5, 'd'), 0::bigint, 'date key chunks too');
SELECT is(t65.not_once('t65.big', 5, 'ts'), 0::bigint, 'timestamptz key chunks too');
SELECT is(t65.not_once('t65.big', 5, 'n'), 0::bigint, 'numeric key chunks too');
SELECT is(t65.not_once('t65.unanalyzed', 5, 'id'), 0::bigint, 'a table never analyzed is sampled');
SELECT cmp_ok(t65.spread('t65.big', 4, 'id'), '<', 1.5::numeric, 'key chunks from pg_stats have about as many rows');
SELECT cmp_ok(t65.spread('t65.unanalyzed', 4, 'id'), '<', 1.5::numeric, 'and so do those from a sample');
SELECT matches((SELECT predicate FROM pdb_chunks('t65.big', 2, 'id') WHERE chunk_id = 1), 'OR id IS NULL\)$',
               'NULL keys belong to the first chunk');

SELECT is((SELECT count(*) FILTER (WHERE status = 'ok') FROM t65.ctid_run), 8::bigint, 'a chunked UPDATE by ctid ran');
SELECT is((SELECT count(*) FILTER (WHERE status = 'ok') FROM t65.key_run), 5::bigint,
          'a chunked UPDATE of the key itself ran');
SELECT is((SELECT array_agg(DISTINCT v) FROM t65.big), ARRAY[1], 'every row was updated exactly once by ctid');
SELECT is((SELECT array_agg(DISTINCT v) FROM t65.moving), ARRAY[1], 'and by key, though rows moved between chunks');
SELECT matches((SELECT result FROM t65.ctid_run WHERE task_id = 1), '^UPDATE \d+$',
               'a task reports its UPDATE, not the closing COMMIT');

SELECT is(t65.kinds(pdb_tasks('UPDATE t65.keyed SET v = v + 1 WHERE {chunk}', 't65.keyed', 4)), ARRAY['plain:key'],
          'an UPDATE that leaves the primary key alone: plain tasks by key, no snapshot');
SELECT ok((SELECT bool_and(t LIKE '%(id %' OR t LIKE '%AND id %') FROM unnest(pdb_tasks(
               'DELETE FROM t65.keyed WHERE {chunk} AND v < 0', 't65.keyed', 4)) AS t),
          'a DELETE too, split on the primary key');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.uniq SET v = 1 WHERE {chunk}', 't65.uniq', 3)), ARRAY['plain:key'],
          'without a primary key, a unique NOT NULL column');
SELECT ok((SELECT bool_and(t LIKE '%code%') FROM unnest(pdb_tasks('UPDATE t65.uniq SET v = 1 WHERE {chunk}',
                                                                 't65.uniq', 3)) AS t),
          'which is the one split on');
SELECT is((SELECT count(*) FILTER (WHERE status = 'ok') FROM t65.keyed_run), 6::bigint, 'the key chunks ran');
SELECT is((SELECT array_agg(DISTINCT v) FROM t65.keyed), ARRAY[1], 'and updated every row exactly once');
SELECT is(ARRAY(SELECT status || ':' || attempts FROM t65.again_run ORDER BY task_id),
          ARRAY['ok:2', 'ok:1', 'ok:1', 'ok:1'], 'a key chunk that failed with 40P01 succeeds on retry');
SELECT is((SELECT array_agg(DISTINCT v) FROM t65.again), ARRAY[1], 'and its rows were changed once');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.keyed SET v = 1, id = id + 1 WHERE {chunk}', 't65.keyed', 3)),
          ARRAY['snapshot:key'], 'an UPDATE that sets the key: one snapshot');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.keyed SET "id" = -id WHERE {chunk}', 't65.keyed', 3)),
          ARRAY['snapshot:key'], 'also when the key is written as a quoted identifier');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.keyed SET v = 0 WHERE {chunk} AND id = 7', 't65.keyed', 3)),
          ARRAY['plain:key'], 'the key in WHERE is not a change of it');
SELECT is(t65.kinds(pdb_tasks('SELECT count(*) FROM t65.keyed WHERE {chunk}', 't65.keyed', 3)),
          ARRAY['snapshot:key'], 'a read: one snapshot, one consistent picture');
SELECT is(t65.kinds(pdb_tasks('INSERT INTO t65.keyed SELECT id + 10000 FROM t65.keyed WHERE {chunk}', 't65.keyed', 3)),
          ARRAY['snapshot:key'], 'an INSERT may add rows to later chunks: one snapshot');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.keyed SET v = 0 WHERE {chunk}', 't65.keyed', 3, 'ctid')),
          ARRAY['snapshot:ctid'], 'key ctid: block ranges, one snapshot');
SELECT is(t65.kinds(pdb_tasks('UPDATE t65.big SET v = 0 WHERE {chunk}', 't65.big', 3)),
          ARRAY['snapshot:ctid'], 'no key at all: block ranges, one snapshot');

SELECT throws_ok($$SELECT pdb_tasks('UPDATE t65.big SET v = 0', 't65.big', 2)$$, '22023',
                 'template must contain {chunk}', 'a template without {chunk}: 22023');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big', 0)$$, '22023', 'chunks must be at least 1', 'chunks 0: 22023');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big', 4, chunk_rows => 100)$$, '22023', 'give either chunks or chunk_rows',
                 'chunks and chunk_rows both: 22023');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big')$$, '22023', 'give either chunks or chunk_rows',
                 'neither: 22023');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big', chunk_rows => 0)$$, '22023', 'chunk_rows must be at least 1',
                 'chunk_rows 0: 22023');

SELECT is((SELECT cardinality(s) || ':' || (SELECT count(*) FROM unnest(s) AS n WHERE n = 0) FROM t65.sized WHERE what = 'even 200'),
          '200:0', '200 key chunks of evenly spread keys: none empty (the histogram has 100 buckets)');
SELECT ok((SELECT min(n) >= 250 AND max(n) <= 1000 FROM t65.sized, unnest(s) AS n WHERE what = 'even 200'),
          'each within a factor of 2 of 500 rows');
SELECT ok((SELECT min(n) >= 500 AND max(n) <= 2000 AND cardinality(s) = 100 FROM t65.sized, unnest(s) AS n
            WHERE what = 'gappy 100' GROUP BY s),
          'keys with gaps: 100 chunks, each within a factor of 2 of 1000 rows');
SELECT ok((SELECT cardinality(s) = 100 AND min(n) >= 500 AND max(n) <= 2000 FROM t65.sized, unnest(s) AS n
            WHERE what = 'even 1000 rows' GROUP BY s),
          'chunk_rows => 1000 of 100,000 rows: 100 chunks, each within a factor of 2 of 1000 rows');
SELECT ok((SELECT cardinality(s) = 40 AND min(n) >= 1250 AND max(n) <= 5000 FROM t65.sized, unnest(s) AS n
            WHERE what = 'gappy 2500 rows' GROUP BY s),
          'chunk_rows => 2500 with gaps in the keys: 40 chunks, each within a factor of 2');
SELECT is((SELECT sum(n) FROM t65.sized, unnest(s) AS n WHERE what = 'gappy 100'), 100000::numeric,
          'and every row in a chunk');
SELECT is((SELECT count(*) FROM pdb_chunks('t65.unanalyzed', chunk_rows => 5000, key => 'id')), 5::bigint,
          'a table never analyzed is counted to size the chunks (20,001 rows in chunks of 5,000: 5)');
SELECT is(cardinality(pdb_tasks('UPDATE t65.even SET id = id WHERE {chunk}', 't65.even', chunk_rows => 25000)), 4,
          'pdb_tasks takes chunk_rows too');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big', 2, 'nope')$$, '42703', NULL, 'an unknown key column: 42703');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.big', 2, 'label')$$, '42804', NULL, 'a text key: 42804');
SELECT throws_ok($$SELECT * FROM pdb_chunks('t65.a_view', 2)$$, '42809', NULL, 'a view: 42809');

SELECT * FROM finish();
DROP SCHEMA t65 CASCADE;
