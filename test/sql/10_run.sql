\unset ECHO
\i test/setup.sql

-- fixtures the workers must see are committed before the tests
CREATE SCHEMA t10;
CREATE TABLE t10.ins (id int);
CREATE TABLE t10.vac (id int);
INSERT INTO t10.vac SELECT generate_series(1, 1000);
DELETE FROM t10.vac WHERE id % 2 = 0;
CREATE TABLE t10.idx (id int);
CREATE TABLE t10.atomic (id int);

CREATE TABLE t10.r AS
SELECT * FROM pdb_run(ARRAY[
    'SELECT 42',                                                     -- 1
    'INSERT INTO t10.ins VALUES (1), (2)',                           -- 2
    'SELECT 1/0',                                                    -- 3
    $t$DO $do$ BEGIN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'custom failure',
        DETAIL = 'the detail', HINT = 'the hint'; END $do$$t$,      -- 4
    'SELECT 1; SELECT 2',                                            -- 5
    'SELECT 5; SELECT 1 WHERE false',                                -- 6
    'SELECT 1 WHERE false; SELECT 7',                                -- 7
    'SELECT 1, 2',                                                   -- 8
    'SELECT g FROM generate_series(3, 5) AS g',                      -- 9
    'SELECT NULL::int',                                              -- 10
    'VACUUM t10.vac',                                                -- 11
    'CREATE INDEX idx_id ON t10.idx (id)',                           -- 12
    'INSERT INTO t10.atomic VALUES (1); SELECT 1/0',                 -- 13
    'SELECT 1 WHERE 1',                                              -- 14
    'SET statement_timeout = 50; SELECT pg_sleep(5)',                -- 15
    '-- only a comment',                                             -- 16
    'SELECT current_user::text',                                     -- 17
    $$SELECT current_setting('application_name') || ' ' || current_query()$$,  -- 18
    'SELECT ''several'', ''columns'' FROM generate_series(1, 3)',    -- 19
    'SELECT 1 WHERE false'                                           -- 20
], 3);

SELECT plan(37);

SELECT is((SELECT count(*) FROM t10.r), 20::bigint, 'one row per task');
SELECT is((SELECT array_agg(task_id ORDER BY task_id) FROM t10.r),
          (SELECT array_agg(i) FROM generate_series(1, 20) AS i), 'task ids are 1 to 20');
SELECT results_eq('SELECT task_id FROM pdb_run(ARRAY[''SELECT 1'', ''SELECT 2'', ''SELECT 3''], 3)',
                  ARRAY[1, 2, 3], 'rows come ordered by task_id');

SELECT is((SELECT status || ':' || result FROM t10.r WHERE task_id = 1), 'ok:42', 'a query returns its value as text');
SELECT is((SELECT result FROM t10.r WHERE task_id = 2), 'INSERT 0 2', 'a command returns its tag');
SELECT is((SELECT count(*) FROM t10.ins), 2::bigint, 'the INSERT task committed on its own');
SELECT is((SELECT row(status, sqlstate, error, result) FROM t10.r WHERE task_id = 3)::text,
          row('error', '22012', 'division by zero', NULL::text)::text, 'a failing task reports SQLSTATE and message');
SELECT is((SELECT row(status, sqlstate, error, detail, hint) FROM t10.r WHERE task_id = 4)::text,
          row('error', '22023', 'custom failure', 'the detail', 'the hint')::text,
          'a failing task reports detail and hint');
SELECT is((SELECT count(*) FROM t10.r WHERE status = 'ok'), 15::bigint, 'failures do not stop the other tasks');
SELECT is((SELECT result FROM t10.r WHERE task_id = 5), '2', 'several statements: the last result wins');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 6),
          'a last result without rows gives NULL');
SELECT is((SELECT result FROM t10.r WHERE task_id = 7), '7', 'an empty result before the last one is drained');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 8),
          'rows of several columns are ok, with result NULL');
SELECT is((SELECT result FROM t10.r WHERE task_id = 9), '3', 'the first row of several');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 10), 'a NULL value gives NULL');
SELECT is((SELECT status || ':' || result FROM t10.r WHERE task_id = 11), 'ok:VACUUM', 'VACUUM runs as a task');
SELECT is((SELECT status || ':' || result FROM t10.r WHERE task_id = 12), 'ok:CREATE INDEX',
          'CREATE INDEX runs as a task');
SELECT ok((SELECT indisvalid FROM pg_index WHERE indexrelid = 't10.idx_id'::regclass), 'and the index is valid');
SELECT is((SELECT sqlstate FROM t10.r WHERE task_id = 13), '22012', 'a multi-statement task fails as a whole');
SELECT is((SELECT count(*) FROM t10.atomic), 0::bigint, 'and its earlier statements are rolled back');
SELECT is((SELECT status || ':' || sqlstate FROM t10.r WHERE task_id = 14), 'error:42804',
          'a remote 42804 error is an error, not a result of several columns');
SELECT is((SELECT status || ':' || sqlstate FROM t10.r WHERE task_id = 15), 'error:57014',
          'a task cancelled by its own statement_timeout is an error of that task');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 16), 'a comment-only task is ok');
SELECT is((SELECT result FROM t10.r WHERE task_id = 17), current_user::text, 'tasks run as the current user');
SELECT is((SELECT split_part(result, E'\n', 1) FROM t10.r WHERE task_id = 18),
          'pdb_run:' || pg_backend_pid() || ' /* pdb_run:' || pg_backend_pid() || ':18/20 */',
          'workers carry application_name pdb_run:<caller pid>, and each task a comment pdb_run:<caller pid>:<task_id>/<total>');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 19),
          'several rows of several columns are ok');
SELECT ok((SELECT status = 'ok' AND result IS NULL FROM t10.r WHERE task_id = 20),
          'a single query without rows is ok with NULL');
SELECT is_empty($$SELECT task_id FROM t10.r WHERE status = 'ok' AND (sqlstate IS NOT NULL OR error IS NOT NULL)$$,
                'ok rows have no error');
SELECT is_empty($$SELECT task_id FROM t10.r
                   WHERE started_at IS NULL OR finished_at IS NULL OR finished_at < started_at$$,
                'every task has started_at <= finished_at');
SELECT is((SELECT count(DISTINCT conn_name) FROM t10.r), 3::bigint, 'the tasks shared 3 connections');
-- what an error caught while reading a result means (_pdb_result_error, used inline by pdb_run)
SELECT is((SELECT kind || ':' || lost FROM _pdb_result_error('public', 'pdb_1_1_1', '22012',
                                                           'while executing query on dblink connection named "pdb_1_1_1"')),
          'error:false', 'an error in the context of the connection is the remote statement''s');
SELECT is((SELECT kind || ':' || lost FROM _pdb_result_error('public', 'pdb_1_1_1', '57P01',
                                                           'while executing query on dblink connection named "pdb_1_1_1"')),
          'error:true', 'a terminated worker is a remote error that lost the worker');
SELECT is((SELECT kind || ':' || lost FROM _pdb_result_error('public', 'pdb_1_1_1', '42804', 'PL/pgSQL function f')),
          'novalue:false', 'dblink''s local rowtype mismatch means a result of several columns');
SELECT is((SELECT coalesce(kind, 'local') FROM _pdb_result_error('public', 'pdb_1_1_1', '57014', 'PL/pgSQL function f')),
          'local', 'any other error, a local cancel too, is not the remote statement''s: the caller re-raises it');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no dblink connection of pdb_run is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');
SELECT is((SELECT count(*) FROM pg_temp._pdb_conns), 0::bigint, 'the temp table of connections is empty again');

SELECT * FROM finish();
DROP SCHEMA t10 CASCADE;
