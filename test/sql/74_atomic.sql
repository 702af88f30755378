\unset ECHO
\i test/setup.sql

-- atomic => true (two-phase commit) and pdb_recover, on this database and
-- another one of the cluster; tools/tests/test_servers.py does it across
-- clusters, with a caller killed between the two phases.
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE IF EXISTS pdb_t74');
SELECT dblink_exec(_pdb_default_connstr(), 'CREATE DATABASE pdb_t74');
CREATE SCHEMA t74;
CREATE FUNCTION t74.other() RETURNS text LANGUAGE sql AS $$
    SELECT format('host=%s port=%s dbname=pdb_t74 user=%s',
                  (SELECT setting FROM pg_settings WHERE name = 'unix_socket_directories'),
                  current_setting('port'), current_user)
$$;
CREATE TABLE t74.acc (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO t74.acc SELECT g, 0 FROM generate_series(1, 4) AS g;
SELECT dblink_exec(t74.other(), 'CREATE TABLE acc (id int PRIMARY KEY, v int NOT NULL); '
                                'INSERT INTO acc SELECT g, 0 FROM generate_series(1, 4) AS g');
-- the sum of acc here and there
CREATE FUNCTION t74.sums() RETURNS text LANGUAGE sql AS $$
    SELECT (SELECT sum(v) FROM t74.acc) || '/' || (SELECT s FROM dblink(t74.other(), 'SELECT sum(v) FROM acc') AS d(s bigint))
$$;
CREATE FUNCTION t74.prepared() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pdb\_%'
$$;

SELECT plan(31);

-- all or nothing across two databases
CREATE TABLE t74.ok AS
SELECT * FROM pdb_run_at(ARRAY['UPDATE t74.acc SET v = v + 1 WHERE id = 1', 'UPDATE acc SET v = v + 1 WHERE id = 1',
                               'UPDATE t74.acc SET v = v + 1 WHERE id = 2', 'UPDATE acc SET v = v + 1 WHERE id = 2'],
                         ARRAY[NULL, t74.other(), NULL, t74.other()], 2, atomic => true);
SELECT is(ARRAY(SELECT status || ':' || result FROM t74.ok ORDER BY task_id),
          ARRAY['ok:UPDATE 1', 'ok:UPDATE 1', 'ok:UPDATE 1', 'ok:UPDATE 1'], 'atomic: every task prepared and committed');
SELECT is(t74.sums(), '2/2', 'the changes are there in both databases');
SELECT is(t74.prepared(), 0::bigint, 'no prepared transaction is left');
SELECT is_empty($$SELECT * FROM pdb_atomic_run$$, 'and the call''s record is gone');

-- tasks 1 and 3 prepare well before task 2 fails; task 4 waits behind task 2
CREATE TABLE t74.bad AS
SELECT * FROM pdb_run_at(ARRAY['UPDATE t74.acc SET v = v + 1 WHERE id = 1',
                               'SELECT pg_sleep(0.5); UPDATE acc SET v = v / 0 WHERE id = 2',
                               'UPDATE t74.acc SET v = v + 1 WHERE id = 3', 'UPDATE acc SET v = v + 1 WHERE id = 1'],
                         ARRAY[NULL, t74.other(), NULL, t74.other()], 1, atomic => true);
SELECT is(t74.sums(), '2/2', 'one failing task: nothing changed in either database');
SELECT is((SELECT status || ':' || sqlstate FROM t74.bad WHERE task_id = 2), 'error:22012', 'the failing task has its error');
SELECT is(ARRAY(SELECT task_id FROM t74.bad WHERE status = 'rolled back' AND sqlstate = '40000'
                                              AND detail = 'Task 2 failed first.' ORDER BY task_id), ARRAY[1, 3],
          'tasks that had prepared are ''rolled back'' (40000), naming the task that failed');
SELECT is((SELECT status FROM t74.bad WHERE task_id = 4), 'skipped', 'atomic stops at the first failure, like fail_fast');
SELECT is(t74.prepared(), 0::bigint, 'no prepared transaction is left after a rollback');
SELECT is_empty($$SELECT * FROM pdb_atomic_run$$, 'nor a record');

SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, '')
                  FROM pdb_run_at(ARRAY['UPDATE t74.acc SET v = v + 1 WHERE id = 1', 'SELECT 1'],
                                  ARRAY[NULL, 'host=/nonexistent port=1'], atomic => true) ORDER BY task_id),
          ARRAY['skipped:', 'error:08001'], 'an unreachable target fails the call before the others start');
SELECT is(t74.sums(), '2/2', 'and nothing changed');

-- broadcast a schema change all or nothing
SELECT is(ARRAY(SELECT status FROM pdb_broadcast('CREATE TABLE t74_new (x int)', ARRAY[NULL, t74.other()], atomic => true)),
          ARRAY['ok', 'ok'], 'pdb_broadcast atomic: DDL on every target');
SELECT dblink_exec(t74.other(), 'CREATE TABLE t74_dup (x int)');
-- (where the table exists, the task waits a little before it fails: the other has prepared by then)
SELECT is(ARRAY(SELECT status FROM pdb_broadcast('SELECT pg_sleep(CASE WHEN to_regclass(''t74_dup'') IS NULL THEN 0 ELSE 0.5 END); '
                                                 'CREATE TABLE t74_dup (x int)',
                                                 ARRAY[NULL, t74.other()], atomic => true) ORDER BY task_id),
          ARRAY['rolled back', 'error'], 'DDL that fails on one target is rolled back on the other');
SELECT hasnt_table('public', 't74_dup', 'so that table was not created here');

-- refused before anything runs
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['UPDATE t74.acc SET v = 9', 'VACUUM t74.acc'], atomic => true)$$, '25001',
                 'task 2 cannot run in a transaction block, so not with atomic => true', 'VACUUM is refused: 25001');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['UPDATE t74.acc SET v = 9; COMMIT'], atomic => true)$$, '25001',
                 NULL, 'a task with its own COMMIT is refused');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], atomic => true, same_snapshot => true)$$, '22023',
                 'atomic and same_snapshot cannot be combined', 'atomic with same_snapshot: 22023');
SELECT throws_ok(format($$SELECT * FROM pdb_run(array_fill('UPDATE t74.acc SET v = 9'::text, ARRAY[%s]), 2,
                                                  atomic => true)$$,
                        current_setting('max_prepared_transactions')::integer + 1),
                 '55000', NULL, 'more tasks on a target than its max_prepared_transactions: 55000');
SELECT is(t74.sums(), '2/2', 'nothing ran');

-- the caller cancelled (statement_timeout) while a task runs: what prepared is rolled back, nothing is left
-- (throws_ok catches OTHERS only, which leaves out query_canceled)
CREATE FUNCTION t74.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN query_canceled OR others THEN
    RETURN SQLSTATE;
END
$f$;
SET statement_timeout = '1s';
CREATE TABLE t74.cancel AS
SELECT t74.sqlstate_of($$SELECT count(*) FROM pdb_run_at(ARRAY['UPDATE t74.acc SET v = v + 1 WHERE id = 1', 'SELECT pg_sleep(30)'],
                                                        ARRAY[NULL, t74.other()], atomic => true)$$) AS s;
RESET statement_timeout;
SELECT is((SELECT s FROM t74.cancel), '57014', 'an atomic call cancelled by statement_timeout raises 57014');
SELECT is(t74.prepared(), 0::bigint, 'the task that had prepared is rolled back');
SELECT is_empty($$SELECT * FROM pdb_atomic_run$$, 'the call''s record is removed');
SELECT is(t74.sums(), '2/2', 'nothing changed');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no connection is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker is left running');

-- pdb_recover: leftovers of calls whose caller died, made by hand
SELECT dblink_connect('t74_prep', _pdb_default_connstr());
SELECT dblink_exec('t74_prep', 'BEGIN; UPDATE t74.acc SET v = v + 100 WHERE id = 4; '
                               'PREPARE TRANSACTION ''pdb_00000000000000000000000000000001_1''');
SELECT dblink_exec('t74_prep', 'BEGIN; UPDATE t74.acc SET v = v + 10 WHERE id = 3; '
                               'PREPARE TRANSACTION ''pdb_00000000000000000000000000000002_1''');
SELECT dblink_exec('t74_prep', 'BEGIN; UPDATE t74.acc SET v = v + 1000 WHERE id = 2; '
                               'PREPARE TRANSACTION ''pdb_00000000000000000000000000000003_1''');
INSERT INTO pdb_atomic_run (run_id, coordinator_pid, targets, tasks, decision) VALUES
    ('00000000-0000-0000-0000-000000000001', 0, ARRAY[NULL], 1, NULL),
    ('00000000-0000-0000-0000-000000000002', 0, ARRAY[NULL], 1, 'commit'),
    ('00000000-0000-0000-0000-000000000003', 0, ARRAY[NULL], 1, NULL);
-- the caller of the third is still alive: it holds the call's lock
SELECT dblink_connect('t74_lock', _pdb_default_connstr());
SELECT * FROM dblink('t74_lock', 'SELECT pg_advisory_lock(1885627491, hashtext(''00000000-0000-0000-0000-000000000003''))::text')
    AS l(x text);
SELECT is(ARRAY(SELECT right(run_id::text, 1) || ':' || coalesce(task_id::text, '-') || ':' || action
                  FROM pdb_recover() ORDER BY run_id),
          ARRAY['1:1:rolled back', '2:1:committed', '3:-:running'],
          'pdb_recover rolls back a call without decision, commits a decided one, leaves a running one');
SELECT is((SELECT sum(v) FROM t74.acc), 2 + 10::bigint, 'so only the decided change is there');
SELECT is(ARRAY(SELECT right(run_id::text, 1) FROM pdb_atomic_run ORDER BY 1), ARRAY['3'], 'only the running call keeps its record');
SELECT * FROM dblink('t74_lock', 'SELECT pg_advisory_unlock(1885627491, hashtext(''00000000-0000-0000-0000-000000000003''))::text')
    AS l(x text);
SELECT is(ARRAY(SELECT action FROM pdb_recover()), ARRAY['rolled back'], 'once its caller is gone, it is rolled back');
SELECT dblink_disconnect('t74_lock');
SELECT is(t74.prepared(), 0::bigint, 'nothing is left prepared');
SELECT dblink_disconnect('t74_prep');

SELECT * FROM finish();
-- whatever a failed test left prepared would block the cleanup
SELECT dblink_exec(_pdb_default_connstr(), format('ROLLBACK PREPARED %L', gid))
  FROM pg_prepared_xacts WHERE gid LIKE 'pdb\_%' AND database = current_database();
DROP SCHEMA t74 CASCADE;
DROP TABLE IF EXISTS t74_new;
DELETE FROM pdb_atomic_run;
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE pdb_t74');
