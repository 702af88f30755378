\unset ECHO
\i test/setup.sql

-- batch_size: several tasks per round trip, with exact per-task outcomes
CREATE SCHEMA t70;
CREATE TABLE t70.once (id int);
CREATE TABLE t70.tasks AS
SELECT ARRAY['SELECT 1', 'SELECT 1 WHERE false', 'SELECT 1/0', 'INSERT INTO t70.once VALUES (1)',
             'VACUUM t70.once', 'SELECT 2; SELECT 3', 'UPDATE t70.once SET id = id WHERE false;',
             'SELECT 1, 2', 'SELECT 4 -- trailing comment', 'SELECT ''a;b''', 'INSERT INTO t70.once VALUES (2)',
             'SELECT 5'] AS tasks;

SELECT plan(20);

SELECT is((_pdb_classify(ARRAY['SELECT 1', ' insert into t values (1);', 'WITH x AS (SELECT 1) SELECT * FROM x',
                               'VACUUM t', 'SELECT 1; SELECT 2', 'SELECT CASE WHEN true THEN 1 END',
                               'BEGIN', 'SELECT '';''', 'CALL p()', 'DO $$BEGIN END$$', 'SET work_mem = 1'])).batchable,
          ARRAY[true, true, true, false, false, false, false, false, false, false, false],
          'only single statements without transaction control are batchable');
SELECT is((_pdb_classify(ARRAY['SELECT 1', ' insert into t values (1);', 'SELECT 1; SELECT 2', 'SELECT '';''',
                               'DO $$BEGIN END$$'])).single,
          ARRAY[true, true, false, false, true],
          'single: no '';'' but trailing ones (one inside a string counts: cautious)');

SELECT results_eq(
    $$SELECT task_id, status, result, sqlstate FROM pdb_run((SELECT tasks FROM t70.tasks), 2, batch_size => 4)
       WHERE task_id NOT IN (4, 11)$$,
    $$SELECT task_id, status, result, sqlstate FROM pdb_run((SELECT tasks FROM t70.tasks), 2)
       WHERE task_id NOT IN (4, 11)$$,
    'batched and unbatched calls give the same outcomes');
SELECT is((SELECT array_agg(id ORDER BY id) FROM t70.once), ARRAY[1, 1, 2, 2],
          'each INSERT took effect once per call, though its batch failed and ran again');

SELECT is((SELECT count(DISTINCT result) FROM pdb_run(ARRAY(SELECT 'SELECT txid_current()' FROM generate_series(1, 6)),
                                                        1, batch_size => 3)),
          2::bigint, 'six tasks in batches of three share two transactions');
SELECT is((SELECT count(DISTINCT result) FROM pdb_run(ARRAY(SELECT 'SELECT txid_current()' FROM generate_series(1, 6)), 1)),
          6::bigint, 'without batch_size each task has its own transaction');

TRUNCATE t70.once;
CREATE TABLE t70.r AS
SELECT * FROM pdb_run(ARRAY['INSERT INTO t70.once VALUES (1)', 'INSERT INTO t70.once VALUES (2)',
                            'INSERT INTO t70.once VALUES (1/0)', 'INSERT INTO t70.once VALUES (3)'], 1, batch_size => 4);
SELECT is(ARRAY(SELECT status || ':' || coalesce(result, sqlstate) FROM t70.r ORDER BY task_id),
          ARRAY['ok:INSERT 0 1', 'ok:INSERT 0 1', 'error:22012', 'ok:INSERT 0 1'],
          'a failing task in a batch gets its own error, its batch-mates succeed');
SELECT is((SELECT array_agg(id ORDER BY id) FROM t70.once), ARRAY[1, 2, 3], 'and nothing ran twice');

SELECT is((SELECT array_agg(result ORDER BY task_id) FROM pdb_run(ARRAY(SELECT 'SELECT ' || i FROM generate_series(1, 1000) AS i),
                                                                   3, batch_size => 50)),
          (SELECT array_agg(i::text) FROM generate_series(1, 1000) AS i), 'a thousand tasks in batches of 50');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, batch_size => 1000)), 1::bigint,
          'a batch_size larger than the array');

-- batches of rows and plain commands run through _pdb_batch, in one statement
SELECT is((_pdb_classify(ARRAY['SELECT 1', 'values (1)', 'TABLE t', ' insert into t values (1);', 'UPDATE t SET a = 1',
                               'DELETE FROM t', 'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE',
                               'SELECT 1 INTO x', 'UPDATE t SET a = 1 RETURNING a', 'WITH x AS (SELECT 1) SELECT * FROM x',
                               'VACUUM t', 'SELECT 1; SELECT 2'])).tag,
          ARRAY['', '', '', 'INSERT 0 ', 'UPDATE ', 'DELETE ', 'MERGE ', NULL, NULL, NULL, NULL, NULL],
          'tag: rows, command tags, NULL for what _pdb_batch cannot report (INTO, RETURNING, WITH) or not batchable');
CREATE TABLE t70.m (id int PRIMARY KEY, v text);
CREATE TABLE t70.shapes AS
SELECT ARRAY['SELECT 1', 'SELECT 1, 2', 'SELECT ''a,b''', 'SELECT true', 'SELECT NULL::int', 'SELECT ''''',
             'SELECT FROM t70.m', 'VALUES (1), (2)', 'TABLE t70.m', 'SELECT ''x"y\z()'' -- comment', 'SELECT 1 WHERE false',
             'SELECT ROW(1, ''a b'')', 'SELECT ROW(NULL, NULL)', 'SELECT ARRAY[1, NULL]', 'SELECT '' lead''',
             'SELECT 1 AS "a,b", 2', 'SELECT 1, NULL', 'SELECT NULL, NULL', 'SELECT ''a'' UNION ALL SELECT ''b''', 'SELECT g FROM generate_series(1, 3) AS g;',
             'INSERT INTO t70.m VALUES (1), (2), (3)', 'UPDATE t70.m SET v = ''x'' WHERE id > 1',
             'INSERT INTO t70.m VALUES (1) ON CONFLICT DO NOTHING', 'DELETE FROM t70.m WHERE id = 3',
             -- MERGE where the server has it (15+), else an upsert with the same effect
             CASE WHEN current_setting('server_version_num')::integer >= 150000
                  THEN 'MERGE INTO t70.m USING (VALUES (2), (4)) AS s(id) ON m.id = s.id WHEN MATCHED THEN UPDATE SET v = ''y'' WHEN NOT MATCHED THEN INSERT VALUES (s.id)'
                  ELSE 'INSERT INTO t70.m VALUES (2), (4) ON CONFLICT (id) DO UPDATE SET v = ''y''' END,
             'SELECT string_agg(id || '':'' || coalesce(v, ''-''), '','' ORDER BY id) FROM t70.m',
             'DELETE FROM t70.m'] AS tasks;
CREATE TABLE t70.batched AS SELECT * FROM pdb_run((SELECT tasks FROM t70.shapes), 1, batch_size => 100);
SELECT is((SELECT count(DISTINCT started_at) FROM t70.batched), 1::bigint,
          'the 27 shapes ran as one batch (none failed, so none ran again alone)');
SELECT results_eq(
    $$SELECT task_id, status, result IS NULL, result FROM t70.batched ORDER BY task_id$$,
    $$SELECT task_id, status, result IS NULL, result FROM pdb_run((SELECT tasks FROM t70.shapes), 1) ORDER BY task_id$$,
    'through _pdb_batch each task gets the result it gets alone: first value of one column, command tags, NULLs');
SELECT is((SELECT array_agg(DISTINCT result LIKE format(E'/* pdb_run:%s:1/3 */\nSELECT %s._pdb_batch(%%',
                                                         pg_backend_pid(), quote_ident(n.nspname)))
              FROM pdb_run(ARRAY['SELECT current_query()', 'SELECT current_query()', 'SELECT current_query()'], 1,
                           batch_size => 3),
                   pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
             WHERE e.extname = 'parallel_dblink'),
          ARRAY[true], 'a batch of rows on this database runs as one call of _pdb_batch, labelled');
SELECT is((SELECT array_agg(DISTINCT strpos(result, '_pdb_batch') = 0 AND strpos(result, E'FROM q\n;\nWITH') > 0)
             FROM pdb_run(ARRAY['WITH q AS (SELECT 1) SELECT current_query() FROM q',
                                'WITH q AS (SELECT 1) SELECT current_query() FROM q'], 1, batch_size => 3)),
          ARRAY[true], 'a batch of WITH tasks runs as one query string');
SELECT is((SELECT array_agg(result ORDER BY task_id) || count(DISTINCT started_at)::text
             FROM pdb_run(ARRAY['SELECT count(*) FROM once', 'INSERT INTO once VALUES (7)', 'SELECT max(id) FROM once'],
                          1, batch_size => 3, setup => ARRAY['SET search_path = t70, public'])),
          ARRAY['3', 'INSERT 0 1', '7', '1'],
          'the tasks of _pdb_batch resolve names in the search_path of the connection (in one batch)');
SELECT throws_ok($$SELECT _pdb_batch(ARRAY['SELECT 1'], ARRAY[]::text[], 'public')$$, '22023',
                 'tasks and tags must be arrays of the same length, from 1', '_pdb_batch: tags must match tasks');

SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 1, batch_size => 0)$$, '22023',
                 'batch_size must be at least 1', 'batch_size 0: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 1, batch_size => NULL)$$, '22023',
                 'batch_size must be at least 1', 'batch_size NULL: 22023');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
DROP SCHEMA t70 CASCADE;
