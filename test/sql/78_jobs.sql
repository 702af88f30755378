\unset ECHO
\i test/setup.sql

-- durable jobs: submit survives a rollback, run picks up what is left,
-- tasks belong to their owner, the tables are dumped
CREATE SCHEMA t78;
CREATE TABLE t78.t (id int, v int NOT NULL DEFAULT 0);
INSERT INTO t78.t SELECT generate_series(1, 1000);

CREATE FUNCTION t78.submit_then_roll_back() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
BEGIN
    BEGIN
        v_job := pdb_job_submit(ARRAY['SELECT 1'], 'rolled back caller');
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN
        RETURN v_job;
    END;
END
$$;
DROP ROLE IF EXISTS pdb_t78_other;
CREATE ROLE pdb_t78_other;
GRANT USAGE ON SCHEMA t78 TO pdb_t78_other;

CREATE TABLE t78.job AS
SELECT pdb_job_submit(ARRAY['UPDATE t78.t SET v = v + 1 WHERE id <= 500',
                            'UPDATE t78.t SET v = v + 1 WHERE id > 500',
                            'VACUUM t78.t',
                            'SELECT 1/0',
                            'SELECT count(*) FROM t78.t'], 'test job') AS id;
CREATE TABLE t78.rolled_back AS SELECT t78.submit_then_roll_back() AS id;
CREATE TABLE t78.run1 AS SELECT * FROM pdb_job_run((SELECT id FROM t78.job), 2);
CREATE TABLE t78.run2 AS SELECT * FROM pdb_job_run((SELECT id FROM t78.job), 2);

SELECT plan(35);

SELECT is((SELECT count(*) FROM pdb_job_tasks WHERE job_id = (SELECT id FROM t78.job)), 5::bigint,
          'pdb_job_submit stores the tasks');
SELECT is((SELECT count(*) FROM pdb_jobs WHERE job_id = (SELECT id FROM t78.rolled_back)), 1::bigint,
          'a submitted job survives the caller''s rollback');
SELECT is(ARRAY(SELECT task_id || ':' || status FROM t78.run1 ORDER BY task_id),
          ARRAY['1:ok', '2:ok', '3:ok', '4:error', '5:ok'], 'pdb_job_run returns pdb_run''s rows');
SELECT is((SELECT array_agg(DISTINCT v) FROM t78.t), ARRAY[1], 'the job updated every row once');
SELECT is(ARRAY(SELECT task_id || ':' || status || ':' || attempts FROM t78.run2 ORDER BY task_id),
          ARRAY['4:error:2'], 'a second run runs only what is not done');
SELECT is((SELECT array_agg(DISTINCT v) FROM t78.t), ARRAY[1], 'nothing ran twice');
SELECT is(ARRAY(SELECT task_id || ':' || status FROM pdb_job_tasks WHERE job_id = (SELECT id FROM t78.job) ORDER BY task_id),
          ARRAY['1:done', '2:done', '3:done', '4:error', '5:done'], 'pdb_job_tasks keeps each task''s last outcome');
SELECT is((SELECT sqlstate || ':' || error FROM pdb_job_tasks WHERE job_id = (SELECT id FROM t78.job) AND task_id = 4),
          '22012:division by zero', 'with its error');
SELECT is((SELECT row(status, tasks, done, failed, pending)::text FROM pdb_jobs WHERE job_id = (SELECT id FROM t78.job)),
          row('failed', 5, 4, 1, 0)::text, 'pdb_jobs sums it up');
SELECT is((SELECT row(progress, rows_done, running, eta)::text FROM pdb_jobs WHERE job_id = (SELECT id FROM t78.job)),
          row(80.0, 1000, false, NULL)::text,
          'with its progress (4 of 5 tasks), the rows its tasks changed (two UPDATE 500), and no run going on');

SELECT is(pg_temp.as_role('pdb_t78_other', $$SELECT count(*) FROM pdb_jobs$$), 'ok:0', 'another role sees none of these jobs');
SELECT is(pg_temp.as_role('pdb_t78_other', $$SELECT count(*) FROM pdb_job_task$$), 'ok:0', 'not even in the table');
SELECT is(pg_temp.as_role('pdb_t78_other', format('SELECT count(*) FROM pdb_job_run(%s)', (SELECT id FROM t78.job))), 'error:42704',
          'nor can run them');
SELECT is(pg_temp.as_role('pdb_t78_other', format('UPDATE pdb_job_task SET status = %L WHERE job_id = %s RETURNING 1', 'done',
                              (SELECT id FROM t78.job))), 'ok:', 'nor change them');

SELECT ok(pdb_job_cancel((SELECT id FROM t78.job)), 'pdb_job_cancel cancels');
SELECT throws_ok(format('SELECT * FROM pdb_job_run(%s)', (SELECT id FROM t78.job)), '55000', NULL,
                 'a cancelled job does not run');
SELECT throws_ok($$SELECT * FROM pdb_job_run(-1)$$, '42704', 'job -1 does not exist', 'an unknown job: 42704');
SELECT is((SELECT count(*) FROM pg_extension e, unnest(e.extconfig) AS c
            WHERE e.extname = 'parallel_dblink' AND c IN ('pdb_job'::regclass, 'pdb_job_task'::regclass)),
          2::bigint, 'pg_dump dumps the job tables');

-- chunks as a durable job: key chunks are plain tasks, block chunks carry a snapshot and are refused
CREATE TABLE t78.keyed (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO t78.keyed (id) SELECT generate_series(1, 2000);
ANALYZE t78.keyed;
CREATE TABLE t78.block_chunks AS SELECT pdb_tasks('UPDATE t78.t SET v = v + 1 WHERE {chunk}', 't78.t', 4) AS tasks;
SELECT throws_ok($$SELECT pdb_job_submit((SELECT tasks FROM t78.block_chunks))$$,
                 '0A000', 'a durable job cannot import a snapshot', 'a job of block chunks (a snapshot): 0A000');
SELECT lives_ok($$SELECT pdb_job_submit(pdb_tasks('UPDATE t78.keyed SET v = v + 1 WHERE {chunk}', 't78.keyed', 4),
                                        'keyed chunks')$$, 'a job of key chunks is stored');
SELECT is(ARRAY(SELECT status FROM pdb_job_run((SELECT max(job_id) FROM pdb_jobs WHERE name = 'keyed chunks'), 2)
                 ORDER BY task_id), ARRAY['ok', 'ok', 'ok', 'ok'], 'and runs later, in another transaction');
SELECT is((SELECT array_agg(DISTINCT v) FROM t78.keyed), ARRAY[1], 'every row changed exactly once');

-- a job's whole life: undo a cancel, no relabelling of a finished job, no empty job, one runner at a
-- time, old jobs purged
SELECT ok(pdb_job_uncancel((SELECT id FROM t78.job)), 'pdb_job_uncancel undoes a cancel');
SELECT ok(NOT pdb_job_uncancel((SELECT id FROM t78.job)), 'and says when there was none');
SELECT is(ARRAY(SELECT task_id || ':' || status FROM pdb_job_run((SELECT id FROM t78.job), 2)), ARRAY['4:error'],
          'the job runs again, what is left of it');
CREATE TABLE t78.finished AS SELECT pdb_job_submit(ARRAY['SELECT 1'], 'finished') AS id;
CREATE TABLE t78.finished_run AS SELECT * FROM pdb_job_run((SELECT id FROM t78.finished));
SELECT ok(NOT pdb_job_cancel((SELECT id FROM t78.finished)), 'cancelling a finished job does nothing');
SELECT is((SELECT status FROM pdb_jobs WHERE job_id = (SELECT id FROM t78.finished)), 'done', 'it stays done');
SELECT throws_ok($$SELECT pdb_job_submit(ARRAY[]::text[])$$, '22023', 'a job needs at least one task',
                 'an empty job: 22023');
-- another session runs the job (holds the runner's lock, as pdb_job_run and pdb_job_exec do)
CREATE TABLE t78.held AS SELECT pdb_job_submit(ARRAY['SELECT 2'], 'held') AS id;
SELECT dblink_connect('t78_runner', _pdb_default_connstr()) AS held \gset
SELECT count(*) AS held FROM dblink('t78_runner', format('SELECT pg_advisory_lock(1885627493, %s)::text',
                                                         (SELECT id FROM t78.held))) AS r(x text) \gset
SELECT throws_ok(format('SELECT * FROM pdb_job_run(%s)', (SELECT id FROM t78.held)), '55006',
                 format('job %s is being run by another session', (SELECT id FROM t78.held)),
                 'a second runner of a running job is refused: 55006');
SELECT is((SELECT status || ':' || attempts FROM pdb_job_tasks WHERE job_id = (SELECT id FROM t78.held)), 'pending:0',
          'and ran nothing');
SELECT is((SELECT row(running, progress, eta)::text FROM pdb_jobs WHERE job_id = (SELECT id FROM t78.held)),
          row(true, 0.0, NULL)::text, 'pdb_jobs says it runs (no task done yet: no estimate of its end)');
SELECT is((SELECT count(*) FROM pdb_jobs WHERE running), 1::bigint, 'and only that one');
UPDATE pdb_job SET submitted_at = submitted_at - interval '30 days'
 WHERE job_id IN ((SELECT id FROM t78.finished), (SELECT id FROM t78.held));
SELECT is(pdb_job_purge('7 days'), 1::bigint, 'pdb_job_purge removes the old jobs but the one running');
SELECT is(ARRAY(SELECT job_id FROM pdb_jobs WHERE job_id IN ((SELECT id FROM t78.finished), (SELECT id FROM t78.held))),
          ARRAY[(SELECT id FROM t78.held)], 'the finished one is gone');
SELECT is((SELECT count(*) FROM pdb_job_task WHERE job_id = (SELECT id FROM t78.finished)), 0::bigint,
          'with its tasks');
SELECT dblink_disconnect('t78_runner') AS released \gset

SELECT * FROM finish();
DELETE FROM pdb_job;
DROP SCHEMA t78 CASCADE;
DROP ROLE pdb_t78_other;
