\unset ECHO
\i test/setup.sql

-- strict => true: every task runs, then the call fails with the first
-- failure (for schedulers and procedures); the task column of the rows
CREATE SCHEMA t81;
CREATE TABLE t81.log (what text);
CREATE TABLE t81.tasks AS
SELECT ARRAY['INSERT INTO t81.log VALUES (''first'')',
             $t$DO $$BEGIN RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'boom', DETAIL = 'it broke',
                                                HINT = 'fix it'; END$$$t$,
             'SELECT 1/0',
             'INSERT INTO t81.log VALUES (''last'')'] AS t;
CREATE TABLE t81.e AS
SELECT 'run' AS what, pg_temp.error_of(NULL, format('SELECT count(*) FROM pdb_run(%L, 1, strict => true)',
                                                    (SELECT t FROM t81.tasks))) AS e
UNION ALL
SELECT 'run_at', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 1/0'],
                                                                          ARRAY[NULL, NULL], strict => true)$$)
UNION ALL
SELECT 'broadcast', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_broadcast('SELECT 1/0', ARRAY[NULL],
                                                                                strict => true)$$)
UNION ALL
SELECT 'ok', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], strict => true)$$);
CREATE TABLE t81.job AS
SELECT pdb_job_submit(ARRAY['SELECT 3', 'SELECT 1/0', 'VACUUM t81.log'], 'strict') AS id;
CREATE TABLE t81.job_e AS
SELECT pg_temp.error_of(NULL, format('SELECT count(*) FROM pdb_job_run(%s, 2, strict => true)',
                                     (SELECT id FROM t81.job))) AS e;
CREATE TABLE t81.job_after AS SELECT task_id, status FROM pdb_job_tasks WHERE job_id = (SELECT id FROM t81.job);
-- the procedure, at top level: its error as psql reports it, its outcomes committed before it
CREATE TABLE t81.exec_job AS SELECT pdb_job_submit(ARRAY['SELECT 1', 'SELECT 1/0'], 'strict exec') AS id;
SELECT id AS exec_job FROM t81.exec_job \gset
\set ON_ERROR_STOP false
\set VERBOSITY terse
CALL pdb_job_exec(:exec_job, 1, strict => true);
\set VERBOSITY default
\set ON_ERROR_STOP true
CREATE TABLE t81.rows AS SELECT task_id, task FROM pdb_run(ARRAY['SELECT 1', 'SELECT ''two''']);
CREATE TABLE t81.job_rows AS
SELECT task_id, task FROM pdb_job_run(pdb_job_submit(ARRAY['SELECT 3', 'VACUUM t81.log'], 'task column'));

SELECT plan(16);

SELECT is((SELECT e[1] FROM t81.e WHERE what = 'run'), 'P0001', 'strict: the SQLSTATE of the task that failed first');
SELECT is((SELECT e[2] FROM t81.e WHERE what = 'run'), 'pdb_run: 2 of 4 tasks failed; task 2: boom',
          'its message, naming the task and how many failed');
SELECT is((SELECT e[3] || ' / ' || e[4] FROM t81.e WHERE what = 'run'), 'it broke / fix it', 'its detail and hint');
SELECT is(ARRAY(SELECT what FROM t81.log ORDER BY what), ARRAY['first', 'last'],
          'every task ran: this is not fail_fast, and what the tasks committed stays');
SELECT is((SELECT e[1] || ': ' || e[2] FROM t81.e WHERE what = 'run_at'),
          '22012: pdb_run_at: 1 of 2 tasks failed; task 2: division by zero', 'pdb_run_at with strict');
SELECT is((SELECT e[1] || ': ' || e[2] FROM t81.e WHERE what = 'broadcast'),
          '22012: pdb_broadcast: 1 of 1 tasks failed; task 1: division by zero', 'pdb_broadcast with strict');
SELECT is((SELECT e FROM t81.e WHERE what = 'ok'), NULL, 'strict and every task ok: no error');
SELECT is((SELECT e[1] || ': ' || e[2] FROM t81.job_e),
          '22012: pdb_job_run: 1 of 3 tasks failed; task 2: division by zero', 'pdb_job_run with strict');
SELECT is(ARRAY(SELECT task_id || ':' || status FROM t81.job_after ORDER BY task_id), ARRAY['1:done', '2:error', '3:done'],
          'and the outcomes are recorded before it fails');
SELECT is(ARRAY(SELECT task_id || ':' || status FROM pdb_job_tasks WHERE job_id = :exec_job ORDER BY task_id),
          ARRAY['1:done', '2:error'], 'pdb_job_exec with strict fails once its outcomes are committed');

SELECT is(ARRAY(SELECT task FROM t81.rows ORDER BY task_id), ARRAY['SELECT 1', 'SELECT ''two'''],
          'the rows of pdb_run show each task as given');
SELECT is((SELECT task FROM pdb_run_at(ARRAY['SELECT 5'], ARRAY[NULL])), 'SELECT 5', 'and of pdb_run_at');
SELECT is((SELECT task FROM pdb_broadcast('SELECT 6', ARRAY[NULL, NULL]) WHERE task_id = 2), 'SELECT 6',
          'and of pdb_broadcast');
SELECT is(ARRAY(SELECT task FROM t81.job_rows ORDER BY task_id), ARRAY['SELECT 3', 'VACUUM t81.log'],
          'and of pdb_job_run: the job''s tasks, not how they were sent');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'nothing is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();

DROP SCHEMA t81 CASCADE;
