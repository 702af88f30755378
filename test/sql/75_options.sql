\unset ECHO
\i test/setup.sql

-- fail_fast, task_timeout, retries, setup
CREATE SCHEMA t75;
CREATE SEQUENCE t75.calls;
-- fails with serialization_failure on two calls out of three (a sequence
-- counts calls across transactions and workers)
CREATE FUNCTION t75.flaky() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('t75.calls') % 3 <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'could not serialize access';
    END IF;
    RETURN 'done';
END
$$;

-- fails with lock_not_available on two calls out of three
CREATE FUNCTION t75.locked() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('t75.calls') % 3 <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = '55P03', MESSAGE = 'canceling statement due to lock timeout';
    END IF;
    RETURN 'locked';
END
$$;
CREATE TABLE t75.hot (id int);
CREATE FUNCTION t75.alter_while_locked() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE t75.hot IN ACCESS SHARE MODE;  -- (as a reader would: the ALTER waits for it)
    RETURN (SELECT status || ':' || sqlstate || ':' || attempts
              FROM pdb_run(ARRAY['ALTER TABLE t75.hot ADD COLUMN note text'], 1, retries => 2,
                           setup => ARRAY['SET lock_timeout = ''50ms''']));
END
$$;

SELECT plan(24);

-- fail_fast
CREATE TABLE t75.ff AS
SELECT * FROM pdb_run(ARRAY['SELECT pg_sleep(30)', 'SELECT 1/0', 'SELECT 3', 'SELECT 4'], 2, fail_fast => true);
SELECT is(ARRAY(SELECT status FROM t75.ff ORDER BY task_id), ARRAY['cancelled', 'error', 'skipped', 'skipped'],
          'fail_fast: the running task is cancelled, the rest skipped');
SELECT is((SELECT sqlstate FROM t75.ff WHERE task_id = 1), '57014', 'a cancelled task has SQLSTATE 57014');
SELECT ok((SELECT finished_at - started_at < interval '10 seconds' FROM t75.ff WHERE task_id = 1),
          'and did not run to its end');
SELECT is((SELECT attempts FROM t75.ff WHERE task_id = 3), 0, 'a skipped task has 0 attempts');
SELECT is(ARRAY(SELECT status FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 2, fail_fast => true) ORDER BY task_id),
          ARRAY['ok', 'ok', 'ok'], 'fail_fast changes nothing when all succeed');

-- task_timeout
CREATE TABLE t75.tt AS
SELECT * FROM pdb_run(ARRAY['SELECT pg_sleep(30)', 'SELECT pg_sleep(0.05)', 'SELECT 3'], 1, task_timeout => '300 ms');
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, '') FROM t75.tt ORDER BY task_id),
          ARRAY['timeout:57014', 'ok:', 'ok:'], 'task_timeout: the long task times out, the connection is reused');
SELECT ok((SELECT finished_at - started_at < interval '5 seconds' FROM t75.tt WHERE task_id = 1),
          'the timed-out task was stopped on the server');
SELECT is((SELECT count(DISTINCT conn_name) FROM t75.tt), 1::bigint, 'all on the same connection');
SELECT is(ARRAY(SELECT status FROM pdb_run(ARRAY['SELECT 1', 'SELECT pg_sleep(30)', 'SELECT 3'], 1,
                                          batch_size => 3, task_timeout => '300 ms') ORDER BY task_id),
          ARRAY['ok', 'timeout', 'ok'], 'a batch that times out runs again task by task');

-- retries
SELECT is((SELECT status || ':' || result || ':' || attempts FROM pdb_run(ARRAY['SELECT t75.flaky()'], 1, retries => 3)),
          'ok:done:3', 'retries: 40001 twice, then success on the third attempt');
SELECT setval('t75.calls', 1, false) IS NOT NULL AS reset \gset
SELECT is((SELECT status || ':' || sqlstate || ':' || attempts FROM pdb_run(ARRAY['SELECT t75.flaky()'], 1, retries => 1)),
          'error:40001:2', 'retries exhausted: the last error, and the attempts');
SELECT is((SELECT status || ':' || sqlstate || ':' || attempts FROM pdb_run(ARRAY['SELECT 1/0'], 1, retries => 5)),
          'error:22012:1', 'other errors are not retried');
SELECT setval('t75.calls', 1, false) IS NOT NULL AS reset \gset
SELECT is((SELECT status || ':' || result || ':' || attempts FROM pdb_run(ARRAY['SELECT t75.locked()'], 1, retries => 3)),
          'ok:locked:3', 'retries: 55P03 (lock_not_available) twice, then success on the third attempt');
SELECT is(t75.alter_while_locked(), 'error:55P03:3',
          'an ALTER behind a lock, with lock_timeout: each attempt gives up after lock_timeout, and is retried');
SELECT is((SELECT count(*) FROM pg_attribute WHERE attrelid = 't75.hot'::regclass AND attname = 'note'), 0::bigint,
          'and never took effect while the lock was held');

-- setup
SELECT is(ARRAY(SELECT result FROM pdb_run(ARRAY['SHOW work_mem', 'SHOW application_name'], 2,
                                          setup => ARRAY['SET work_mem = ''77MB''', 'SET statement_timeout = 0'])
                 ORDER BY task_id),
          ARRAY['77MB', 'pdb_run:' || pg_backend_pid()], 'setup runs on every connection before its tasks');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 1, setup => ARRAY['SET work_mem = ''bogus''']) $$,
                 '22023', 'setup statement 1 failed: invalid value for parameter "work_mem": "bogus"',
                 'a failing setup statement is a clear error with its SQLSTATE');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'and leaves nothing open');

-- bad values
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], retries => -1)$$, '22023', 'retries must be zero or more',
                 'negative retries: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], task_timeout => '0')$$, '22023',
                 'task_timeout must be positive', 'a zero task_timeout: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], task_timeout => '-1 s')$$, '22023',
                 'task_timeout must be positive', 'a negative task_timeout: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], fail_fast => NULL)$$, '22023',
                 'fail_fast must be true or false', 'fail_fast NULL: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], progress => NULL)$$, '22023',
                 'progress must be true or false', 'progress NULL: 22023');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
DROP SCHEMA t75 CASCADE;
