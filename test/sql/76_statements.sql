\unset ECHO
\i test/setup.sql

-- every kind of statement a user may send works, or fails with a clear SQLSTATE,
-- and leaves nothing behind on the connection for the next task
CREATE SCHEMA t76;
CREATE TABLE t76.log (i int);
CREATE PROCEDURE t76.commits() LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO t76.log VALUES (1);
    COMMIT;
    INSERT INTO t76.log VALUES (2);
    COMMIT;
END
$$;

SELECT plan(18);

SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY[
              'CALL t76.commits()', 'DO $$BEGIN INSERT INTO t76.log VALUES (3); COMMIT; END$$'], 2) ORDER BY task_id),
          ARRAY['ok:CALL', 'ok:DO'], 'CALL and DO that COMMIT run');
SELECT is(ARRAY(SELECT i FROM t76.log ORDER BY i), ARRAY[1, 2, 3], 'and what they committed is there');
SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY['CREATE DATABASE pdb_t76_db'], 1)),
          ARRAY['ok:CREATE DATABASE'], 'CREATE DATABASE runs');
SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY['DROP DATABASE pdb_t76_db'], 1)),
          ARRAY['ok:DROP DATABASE'], 'DROP DATABASE runs');
SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY['LISTEN t76', 'NOTIFY t76, ''hello''',
                                                                  'SELECT pg_listening_channels()'], 1) ORDER BY task_id),
          ARRAY['ok:LISTEN', 'ok:NOTIFY', NULL], 'LISTEN and NOTIFY run; the next task on the connection listens to nothing');
SELECT matches((SELECT result FROM pdb_run(ARRAY['EXPLAIN ANALYZE SELECT 1'], 1)), '^Result ',
               'EXPLAIN ANALYZE: the first line of the plan');
SELECT is((SELECT status || ':' || coalesce(result, 'NULL') FROM pdb_run(ARRAY['SHOW ALL'], 1)), 'ok:NULL',
          'SHOW ALL runs; rows of several columns give no result value');
SELECT is((SELECT status || ':' || length(result) FROM pdb_run(ARRAY['SELECT repeat(''x'', 10000000)'], 1)),
          'ok:10000000', 'a 10 MB value comes back whole');
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT g FROM generate_series(1, 20000) AS g'], 1)),
          'ok:1', 'a result of 20,000 rows: its first value');
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, result) FROM pdb_run(ARRAY[
              'PREPARE t76q AS SELECT 76', 'EXECUTE t76q', 'PREPARE t76r AS SELECT 77; EXECUTE t76r'], 1)
                 ORDER BY task_id),
          ARRAY['ok:PREPARE', 'error:26000', 'ok:77'],
          'a prepared statement lives within its task only (the connection is reset after it)');
SELECT is((SELECT status || ':' || sqlstate FROM pdb_run(ARRAY['DECLARE t76c CURSOR FOR SELECT 1'], 1)),
          'error:25P01', 'DECLARE without a transaction: 25P01');
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY[
              'BEGIN; DECLARE t76c CURSOR FOR SELECT 76; FETCH t76c; COMMIT'], 1)),
          'ok:76', 'a cursor inside the task''s own transaction runs (the result is the FETCH''s: a closing COMMIT does not count)');
SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY[
              'SET LOCAL work_mem = ''1MB''', 'SET work_mem = ''2MB''; SHOW work_mem', 'SHOW work_mem'], 1)
                 ORDER BY task_id),
          ARRAY['ok:SET', 'ok:2MB', 'ok:' || current_setting('work_mem')],
          'SET LOCAL and SET run; the next task has the default again');
-- a task whose last result has no rows, while another still runs: its end is confirmed by a probe
SELECT is(ARRAY(SELECT status || ':' || coalesce(result, 'NULL') FROM pdb_run(ARRAY[
              'SELECT pg_sleep(0.5)', 'SELECT 1; SELECT 2 WHERE false'], 2) ORDER BY task_id),
          ARRAY['ok:', 'ok:NULL'], 'a task ending with an empty result ends while another runs (no rows: NULL)');
-- a task that ends its own worker: that task fails, a new connection takes its place
SELECT is(ARRAY(SELECT status || ':' || coalesce(result, left(sqlstate, 2)) FROM pdb_run(ARRAY[
              'SELECT 1', 'SELECT pg_terminate_backend(pg_backend_pid())', 'SELECT 3', 'SELECT 4'], 1) ORDER BY task_id),
          ARRAY['ok:1', 'error:57', 'ok:3', 'ok:4'],
          'pg_terminate_backend(pg_backend_pid()) as a task: that task fails (57P01), the others run');
-- the same inside a batch: it never committed, so each of its tasks runs again alone
SELECT is(ARRAY(SELECT status || ':' || coalesce(result, left(sqlstate, 2)) FROM pdb_run(ARRAY[
              'SELECT 1', 'SELECT pg_terminate_backend(pg_backend_pid())', 'SELECT 3'], 1, batch_size => 3) ORDER BY task_id),
          ARRAY['ok:1', 'error:57', 'ok:3'], 'and in a batch: the batch runs again task by task, with the same outcomes');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no connection is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker is left');

SELECT * FROM finish();
DROP SCHEMA t76 CASCADE;
