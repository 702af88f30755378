\unset ECHO
\i test/setup.sql

-- pdb_run_at and pdb_broadcast: per-task targets, a pool per target. The
-- targets here are databases of this cluster; tools/tests/test_servers.py
-- does the same across three clusters.
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE IF EXISTS pdb_t72');
SELECT dblink_exec(_pdb_default_connstr(), 'CREATE DATABASE pdb_t72');
CREATE SCHEMA t72;
CREATE FUNCTION t72.other() RETURNS text LANGUAGE sql AS $$
    SELECT format('host=%s port=%s dbname=pdb_t72 user=%s',
                  (SELECT setting FROM pg_settings WHERE name = 'unix_socket_directories'),
                  current_setting('port'), current_user)
$$;
CREATE SERVER t72_srv FOREIGN DATA WRAPPER dblink_fdw
    OPTIONS (host :'HOST', port :'PORT', dbname 'pdb_t72');
CREATE USER MAPPING FOR CURRENT_USER SERVER t72_srv OPTIONS (user :'USER');
-- in each task: how many connections of this caller are open in the task's database
CREATE FUNCTION t72.count_sql() RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT count(*)::text FROM pg_sleep(0.2), pg_stat_activity '
                  'WHERE application_name ~ %L AND datname = current_database()',
                  '^pdb_run:' || pg_backend_pid() || '(:|$)')
$$;

SELECT plan(25);

-- routing
CREATE TABLE t72.r AS
SELECT * FROM pdb_run_at(ARRAY['SELECT current_database()::text', 'SELECT current_database()::text',
                               'SELECT current_database()::text', 'SELECT current_database()::text'],
                         ARRAY[NULL, t72.other(), NULL, 't72_srv'], 1);
SELECT is(ARRAY(SELECT result FROM t72.r ORDER BY task_id),
          ARRAY[current_database()::text, 'pdb_t72', current_database()::text, 'pdb_t72'],
          'tasks[i] runs on targets[i]: NULL, a connection string, a foreign server');
SELECT is(ARRAY(SELECT task_id FROM t72.r), ARRAY[1, 2, 3, 4], 'one row per task, in task order');
SELECT is(ARRAY(SELECT coalesce(target, '(null)') FROM t72.r ORDER BY task_id),
          ARRAY['(null)', t72.other(), '(null)', 't72_srv'], 'target says where each task ran');
SELECT is((SELECT count(DISTINCT conn_name) FROM t72.r), 3::bigint, 'a pool per target (three targets, max_conns 1)');

-- max_conns is per target: 3 tasks on each of 2 targets, 2 connections each
CREATE TABLE t72.caps AS
SELECT * FROM pdb_run_at(array_fill(t72.count_sql(), ARRAY[6]),
                         ARRAY[NULL, t72.other(), NULL, t72.other(), NULL, t72.other()], 2);
SELECT is((SELECT count(DISTINCT conn_name) FROM t72.caps WHERE target IS NULL), 2::bigint,
          'max_conns connections to the first target');
SELECT is((SELECT count(DISTINCT conn_name) FROM t72.caps WHERE target IS NOT NULL), 2::bigint,
          'and max_conns to the second');
SELECT is((SELECT max(result::integer) FROM t72.caps WHERE target IS NULL), 2,
          'never more than max_conns open on the first target while its tasks run');
SELECT is((SELECT max(result::integer) FROM t72.caps WHERE target IS NOT NULL), 2,
          'nor on the second');

-- options work across targets
SELECT is(ARRAY(SELECT result FROM pdb_run_at(ARRAY['SHOW work_mem', 'SHOW work_mem'], ARRAY[NULL, t72.other()],
                                              setup => ARRAY['SET work_mem = ''7MB''']) ORDER BY task_id),
          ARRAY['7MB', '7MB'], 'setup runs on the connections of every target');
SELECT is(ARRAY(SELECT status || ':' || result
                  FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4', 'SELECT 5', 'SELECT 6'],
                                  ARRAY[NULL, t72.other(), NULL, t72.other(), NULL, t72.other()], 1,
                                  batch_size => 3) ORDER BY task_id),
          ARRAY['ok:1', 'ok:2', 'ok:3', 'ok:4', 'ok:5', 'ok:6'], 'batches are made of each target''s tasks');
SELECT is(ARRAY(SELECT status FROM pdb_run_at(ARRAY['SELECT 1/0', 'SELECT pg_sleep(30)', 'SELECT 3', 'SELECT 4'],
                                              ARRAY[NULL, t72.other(), t72.other(), t72.other()], 1,
                                              fail_fast => true) ORDER BY task_id),
          ARRAY['error', 'cancelled', 'skipped', 'skipped'], 'fail_fast stops the tasks of every target');
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, '')
                  FROM pdb_run_at(ARRAY['SELECT pg_sleep(30)', 'SELECT 1', 'SELECT pg_sleep(30)'],
                                  ARRAY[NULL, t72.other(), t72.other()], 1, task_timeout => '200 ms') ORDER BY task_id),
          ARRAY['timeout:57014', 'ok:', 'timeout:57014'], 'task_timeout applies on every target');
CREATE SEQUENCE t72.calls;
CREATE FUNCTION t72.flaky() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('t72.calls') % 2 = 1 THEN
        RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'could not serialize access';
    END IF;
    RETURN 'done';
END
$$;
SELECT is(ARRAY(SELECT status || ':' || attempts
                  FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT t72.flaky()'], ARRAY[t72.other(), NULL], retries => 3)
                 ORDER BY task_id),
          ARRAY['ok:1', 'ok:2'], 'retries work as in pdb_run');

-- a target that cannot be reached fails its own tasks only
CREATE TABLE t72.down AS
SELECT * FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'],
                         ARRAY[NULL, 'host=/nonexistent port=1 password=s3cr3t-pw', 'host=/nonexistent port=1 password=s3cr3t-pw']);
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, '') FROM t72.down ORDER BY task_id),
          ARRAY['ok:', 'error:08001', 'error:08001'], 'an unreachable target fails its tasks with 08001, the others run');
SELECT is((SELECT count(*) FROM t72.down WHERE (t72.down.*)::text LIKE '%s3cr3t-pw%'), 0::bigint,
          'its password appears nowhere in the rows');
SELECT is((SELECT DISTINCT target FROM t72.down WHERE task_id > 1), 'host=/nonexistent port=1 password=********',
          'target shows the connection string with the password masked');

-- pdb_broadcast
SELECT is(ARRAY(SELECT task_id || ':' || result
                  FROM pdb_broadcast('SELECT current_database()::text', ARRAY[t72.other(), NULL]) ORDER BY task_id),
          ARRAY['1:pdb_t72', '2:' || current_database()], 'pdb_broadcast runs one statement on every target');

-- input errors
SELECT throws_ok($$SELECT * FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 2'], ARRAY[NULL])$$, '22023',
                 'tasks and targets must have the same length', 'arrays of unequal length: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run_at(ARRAY['SELECT 1'], NULL)$$, '22004',
                 'targets must not be null', 'targets NULL: 22004');
SELECT throws_ok($$SELECT * FROM pdb_run_at(NULL, ARRAY[NULL])$$, '22004',
                 'tasks must not be null', 'tasks NULL: 22004');
SELECT throws_ok($$SELECT * FROM pdb_broadcast(NULL, ARRAY[NULL])$$, '22004',
                 'task must not be null', 'pdb_broadcast with task NULL: 22004');
SELECT is_empty($$SELECT * FROM pdb_run_at(ARRAY[]::text[], ARRAY[]::text[])$$, 'no tasks, no rows');
SELECT is((SELECT result FROM pdb_run_at('[3:3]={SELECT current_database()::text}'::text[],
                                         ('[7:7]={"' || t72.other() || '"}')::text[])),
          'pdb_t72', 'arrays that do not start at 1 work: the elements pair up in order');

SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no connection is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker is left');

SELECT * FROM finish();
DROP SCHEMA t72 CASCADE;
DROP USER MAPPING FOR CURRENT_USER SERVER t72_srv;
DROP SERVER t72_srv;
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE pdb_t72');
