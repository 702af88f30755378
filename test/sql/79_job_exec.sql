\unset ECHO
\i test/setup.sql

-- CALL pdb_job_exec: a durable job run by a procedure that commits as it
-- goes. Its outcomes are written as the tasks end, the caller's transaction
-- is never older than about half a second, CONCURRENTLY index builds on this
-- very database work, and it refuses to run where it cannot commit.
-- (A CALL is not a query: each runs at top level here, its effects checked after.)
CREATE SCHEMA t79;
CREATE TABLE t79.t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO t79.t (id) SELECT generate_series(1, 1000);
CREATE TABLE t79.caller AS SELECT pg_backend_pid() AS pid;
CREATE TABLE t79.seen (what text, value text);
CREATE TABLE t79.job AS
SELECT pdb_job_submit(ARRAY['UPDATE t79.t SET v = v + 1 WHERE id <= 500',
                            'UPDATE t79.t SET v = v + 1 WHERE id > 500',
                            'VACUUM t79.t',
                            'SELECT 1/0',
                            'SELECT count(*) FROM t79.t'], 'exec job') AS id;
SELECT pdb_job_exec_id FROM (SELECT id AS pdb_job_exec_id FROM t79.job) AS j \gset
CALL pdb_job_exec(:pdb_job_exec_id, 2);
CREATE TABLE t79.after1 AS SELECT task_id, status, result, sqlstate, attempts FROM pdb_job_tasks WHERE job_id = :pdb_job_exec_id;
CALL pdb_job_exec(:pdb_job_exec_id, 2);
CREATE TABLE t79.after2 AS SELECT task_id, status, attempts FROM pdb_job_tasks WHERE job_id = :pdb_job_exec_id;

-- on one connection, in order: a VACUUM (marked done by the caller, not in its own transaction),
-- then a task that reads what the caller wrote of it, and how old the caller's transaction is
CREATE TABLE t79.watch AS
SELECT pdb_job_submit(ARRAY['VACUUM t79.t',
                            'SELECT pg_sleep(1.2)',
                            format($$INSERT INTO t79.seen
                                     SELECT 'vacuum recorded', result FROM pdb_job_task
                                      WHERE job_id = (SELECT max(job_id) FROM pdb_job) AND task_id = 1
                                     UNION ALL
                                     SELECT 'caller transaction age', (clock_timestamp() - xact_start < interval '1 second')::text
                                       FROM pg_stat_activity WHERE pid = %s$$, (SELECT pid FROM t79.caller))],
                      'watch') AS id;
SELECT id AS watch_id FROM t79.watch \gset
CALL pdb_job_exec(:watch_id, 1);
CREATE TABLE t79.seen_exec AS SELECT * FROM t79.seen;

-- the same job by pdb_job_run: its outcomes are written as they end too (autonomously), but its
-- transaction is older
TRUNCATE t79.seen;
CREATE TABLE t79.watch_run AS
SELECT pdb_job_submit((SELECT array_agg(task ORDER BY task_id) FROM pdb_job_task WHERE job_id = :watch_id),
                      'watch by pdb_job_run') AS id;
CREATE TABLE t79.run_rows AS SELECT count(*) FROM pdb_job_run((SELECT id FROM t79.watch_run), 1);
CREATE TABLE t79.seen_run AS SELECT * FROM t79.seen;
TRUNCATE t79.seen;
CALL pdb_job_exec(:watch_id, 1);  -- (done already: returns at once)

-- CONCURRENTLY on the caller's own database: four index builds and a reindex
CREATE TABLE t79.a1 (v int); CREATE TABLE t79.a2 (v int); CREATE TABLE t79.a3 (v int); CREATE TABLE t79.a4 (v int);
CREATE TABLE t79.a5 (v int PRIMARY KEY);
INSERT INTO t79.a1 SELECT generate_series(1, 20000);
INSERT INTO t79.a2 SELECT * FROM t79.a1; INSERT INTO t79.a3 SELECT * FROM t79.a1;
INSERT INTO t79.a4 SELECT * FROM t79.a1; INSERT INTO t79.a5 SELECT * FROM t79.a1;
CREATE TABLE t79.cic AS
SELECT pdb_job_submit(ARRAY['CREATE INDEX CONCURRENTLY t79_a1_v ON t79.a1 (v)',
                            'CREATE INDEX CONCURRENTLY t79_a2_v ON t79.a2 (v)',
                            'CREATE INDEX CONCURRENTLY t79_a3_v ON t79.a3 (v)',
                            'CREATE INDEX CONCURRENTLY t79_a4_v ON t79.a4 (v)',
                            'REINDEX TABLE CONCURRENTLY t79.a5'], 'concurrently') AS id;
SELECT id AS cic_id FROM t79.cic \gset
CALL pdb_job_exec(:cic_id, 2);

-- pdb_activity: a job's task shows its job and its number in the job, also when it runs again alone
CREATE TABLE t79.shows AS
SELECT pdb_job_submit(ARRAY['SELECT 1',
                            $$INSERT INTO t79.act SELECT job_id || ':' || task_id || '/' || total FROM pdb_activity
                               WHERE worker_pid = pg_backend_pid()$$], 'shows') AS id;
SELECT id AS shows_id FROM t79.shows \gset
CALL pdb_job_exec(:shows_id, 1);  -- (its second task fails: no table t79.act yet)
CREATE TABLE t79.act (seen text);
CALL pdb_job_exec(:shows_id, 1);  -- (now it runs alone: the run's task 1 of 1)

-- where a procedure cannot commit
CREATE TABLE t79.pending AS SELECT pdb_job_submit(ARRAY['UPDATE t79.t SET v = v + 100'], 'never in a block') AS id;
SELECT id AS pending_id FROM t79.pending \gset
BEGIN;
CREATE TEMP TABLE w79 AS SELECT 1 AS a_write;
CREATE TEMP TABLE e79 AS SELECT pg_temp.error_of(NULL, format('CALL pdb_job_exec(%s)', :pending_id)) AS e;
COMMIT;
BEGIN;  -- (and nothing written: \gset keeps the error)
SELECT e[1] || ': ' || e[2] AS e79b FROM pg_temp.error_of(NULL, format('CALL pdb_job_exec(%s)', :pending_id)) AS e \gset
COMMIT;

SELECT plan(23);

SELECT is(ARRAY(SELECT task_id || ':' || status || ':' || coalesce(result, '') FROM t79.after1 ORDER BY task_id),
          ARRAY['1:done:UPDATE 500', '2:done:UPDATE 500', '3:done:VACUUM', '4:error:', '5:done:1000'],
          'CALL pdb_job_exec runs the job and records every outcome');
SELECT is((SELECT sqlstate FROM t79.after1 WHERE task_id = 4), '22012', 'with the error of the task that failed');
SELECT is((SELECT array_agg(DISTINCT v) FROM t79.t), ARRAY[1], 'every row was updated once');
SELECT is(ARRAY(SELECT task_id || ':' || status || ':' || attempts FROM t79.after2 ORDER BY task_id),
          ARRAY['1:done:1', '2:done:1', '3:done:1', '4:error:2', '5:done:1'],
          'the same CALL again runs only what is not done');
SELECT is((SELECT row(status, tasks, done, failed, pending)::text FROM pdb_jobs WHERE job_id = :pdb_job_exec_id),
          row('failed', 5, 4, 1, 0)::text, 'pdb_jobs sums it up');

SELECT is((SELECT value FROM t79.seen_exec WHERE what = 'vacuum recorded'), 'VACUUM',
          'pdb_job_exec writes each outcome as its task ends: a later task reads it');
SELECT is((SELECT value FROM t79.seen_exec WHERE what = 'caller transaction age'), 'true',
          'the caller''s transaction is never a second old, 1.2 s into the job');
SELECT is((SELECT value FROM t79.seen_run WHERE what = 'vacuum recorded'), 'VACUUM',
          'pdb_job_run too writes each outcome as its task ends (on a connection of its own)');
SELECT is((SELECT value FROM t79.seen_run WHERE what = 'caller transaction age'), 'false',
          'and its caller''s transaction lasts the whole run');
SELECT is(ARRAY(SELECT status FROM pdb_job_tasks WHERE job_id = :watch_id ORDER BY task_id), ARRAY['done', 'done', 'done'],
          'pdb_job_exec ran the watching job');
SELECT is((SELECT count(*) FROM t79.seen), 0::bigint, 'and a second CALL of a job that is done runs nothing');

SELECT is(ARRAY(SELECT status FROM pdb_job_tasks WHERE job_id = :cic_id ORDER BY task_id),
          ARRAY['done', 'done', 'done', 'done', 'done'],
          'CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY on the caller''s own database succeed');
SELECT is((SELECT count(*) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
            WHERE c.relnamespace = 't79'::regnamespace AND c.relname LIKE 't79_a%'), 4::bigint, 'the four indexes exist');
SELECT is_empty($$SELECT c.relname FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
                   WHERE c.relnamespace = 't79'::regnamespace AND (NOT i.indisvalid OR c.relname LIKE '%ccnew%')$$,
                'no invalid index is left behind');

SELECT is((SELECT e[1] FROM e79), '25001', 'in a transaction block that wrote: 25001');
SELECT is((SELECT e[2] FROM e79), 'pdb_job_exec cannot run inside a transaction block', 'saying so');
SELECT alike((SELECT e[4] FROM e79), 'CALL pdb_job_exec on its own, outside BEGIN ... COMMIT%', 'with a hint');
SELECT is(:'e79b'::text, '2D000: invalid transaction termination',
          'where it cannot tell: its first COMMIT fails');
SELECT is((SELECT status || ':' || attempts FROM pdb_job_tasks WHERE job_id = :pending_id), 'pending:0',
          'before any task ran');
SELECT is((SELECT array_agg(DISTINCT v) FROM t79.t), ARRAY[1], 'nothing ran');
SELECT is((SELECT seen FROM t79.act), :shows_id || ':2/2',
          'pdb_activity shows the job of a task and its number in the job (2 of 2), run alone on a resume');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'nothing is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();

DROP SCHEMA t79 CASCADE;
