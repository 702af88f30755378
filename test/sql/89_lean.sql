\unset ECHO
\i test/setup.sql

-- Small calls on a warm session (parallel_dblink.keep_conns) take the short way: every task at once on
-- a kept connection, without the engine (_pdb_lean_take, _pdb_lean_run, _pdb_lean_query). The same
-- outcomes, rows and errors as the engine's; the same reset between calls; a dead kept worker replaced.
SELECT plan(33);

CREATE SCHEMA t89l;
CREATE TABLE t89l.t (id integer PRIMARY KEY, v integer);
INSERT INTO t89l.t SELECT g, g % 10 FROM generate_series(1, 100) AS g;
CREATE TYPE t89l.agg AS (n bigint, s bigint);
CREATE FUNCTION pg_temp.kept() RETURNS text[]
LANGUAGE sql AS $$ SELECT _pdb_kept_conns(_pdb_dblink_schema()) $$;
-- a kept worker shows 'kept' in application_name; a worker of the engine 'pdb_run:<caller pid>' alone
CREATE FUNCTION pg_temp.label() RETURNS text
LANGUAGE sql AS $$ SELECT format('pdb_run:%s kept', pg_backend_pid()) $$;
CREATE PROCEDURE t89l.dirty()
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('work_mem', '77MB', false), pg_advisory_lock(89189);
    CREATE TEMP TABLE t89l_tmp (i integer);
    EXECUTE 'PREPARE t89l_p AS SELECT 1';
    EXECUTE 'LISTEN t89l_channel';
END
$$;

-- the same outcomes as the engine's, task by task
CREATE TABLE t89l.tasks AS
SELECT ARRAY['SELECT 1', 'SELECT 1, 2', 'SELECT 1 WHERE false', 'SELECT 1/0', 'VALUES (''x'')',
             'UPDATE t89l.t SET v = v WHERE id <= 3', 'INSERT INTO t89l.t VALUES (1, 1)', 'VACUUM t89l.t',
             'ANALYZE t89l.t', 'WITH d AS (DELETE FROM t89l.t WHERE id = 100 RETURNING id) SELECT count(*) FROM d',
             'CALL t89l.dirty()', 'SHOW application_name'] AS a;
CREATE TABLE t89l.engine AS
SELECT task_id, status, result, sqlstate, error, detail, hint, attempts, task FROM pdb_run((SELECT a FROM t89l.tasks), 12);
INSERT INTO t89l.t VALUES (100, 0);
SET parallel_dblink.keep_conns = '1min';
SELECT is((SELECT count(*) FROM pdb_run((SELECT a FROM t89l.tasks), 12)), 12::bigint,
          'a first call with keep_conns runs on new connections');
INSERT INTO t89l.t VALUES (100, 0);
SELECT is(cardinality(pg_temp.kept()), 12, 'and keeps them');
CREATE TABLE t89l.lean AS
SELECT task_id, status, result, sqlstate, error, detail, hint, attempts, task, conn_name
  FROM pdb_run((SELECT a FROM t89l.tasks), 12);
SELECT is((SELECT result FROM t89l.lean WHERE task_id = 12), pg_temp.label(),
          'the next call runs on the kept connections as they are: the short way');
SELECT is(ARRAY(SELECT conn_name FROM t89l.lean ORDER BY task_id), pg_temp.kept(), 'one task on each');
SELECT results_eq($$SELECT task_id, status, result, sqlstate, error, detail, hint, attempts, task
                      FROM t89l.lean WHERE task_id < 12 ORDER BY task_id$$,
                  $$SELECT * FROM t89l.engine WHERE task_id < 12 ORDER BY task_id$$,
                  'its outcomes are the engine''s: results, tags, errors with their detail');
SELECT is((SELECT result FROM t89l.engine WHERE task_id = 12), format('pdb_run:%s', pg_backend_pid()),
          '(the engine labels its workers pdb_run:<pid>)');
SELECT is(cardinality(pg_temp.kept()), 12, 'a call the short way keeps its connections');
SELECT is(ARRAY(SELECT task_id || ' ' || result FROM pdb_run(ARRAY['SELECT pg_sleep(0.2)::text || ''a''', 'SELECT ''b''',
                                                                   'SHOW application_name'], 3)),
          ARRAY['1 a', '2 b', '3 ' || pg_temp.label()], 'its outcomes come in task order, as the engine''s');

-- nothing crosses from one call to the next
SELECT is((SELECT conn_name FROM pdb_run(ARRAY['CALL t89l.dirty()'], 1)), (SELECT k[1] FROM pg_temp.kept() AS k),
          'a task leaves a setting, a temp table, an advisory lock, a prepared statement and a LISTEN');
SELECT ok(pg_temp.until($$SELECT NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objid = 89189)$$),
          'the kept connection gives back the advisory lock at once (its reset runs as the call returns)');
SELECT is((SELECT conn_name || ' ' || result
             FROM pdb_run(ARRAY[$$SELECT concat_ws(',', current_setting('work_mem'), to_regclass('pg_temp.t89l_tmp'),
                                                   (SELECT count(*) FROM pg_prepared_statements),
                                                   (SELECT count(*) FROM pg_listening_channels()))$$], 1)),
          (SELECT k[1] FROM pg_temp.kept() AS k) || ' ' || current_setting('work_mem') || ',0,0',
          'the next call on that connection finds none of it');

-- queries: the same rows and errors as the engine's
CREATE TABLE t89l.q AS
SELECT ARRAY['SELECT count(*), sum(v) FROM t89l.t WHERE id <= 50', 'SELECT count(*), sum(v) FROM t89l.t WHERE id > 50'] AS a,
       ARRAY[NULL, format('dbname=%s', current_database())] AS targets;
SET parallel_dblink.keep_conns = 0;
CREATE TABLE t89l.q_engine AS SELECT * FROM pdb_query_at(NULL::t89l.agg, (SELECT a FROM t89l.q), (SELECT targets FROM t89l.q), 1);
SET parallel_dblink.keep_conns = '1min';
SELECT is((SELECT count(*) FROM pdb_query_at(NULL::t89l.agg, (SELECT a FROM t89l.q), (SELECT targets FROM t89l.q), 1)),
          2::bigint, 'pdb_query_at over two targets');
SELECT set_eq($$SELECT * FROM pdb_query_at(NULL::t89l.agg, (SELECT a FROM t89l.q), (SELECT targets FROM t89l.q), 1)$$,
              $$SELECT * FROM t89l.q_engine$$, 'the short way gives the engine''s rows');
SELECT is((SELECT array_agg(x::text ORDER BY x::text)
             FROM pdb_query(NULL::jsonb, ARRAY['SELECT 1 AS a', 'SELECT 2 AS a'], max_conns => 2) AS x),
          ARRAY['{"a": 1}', '{"a": 2}'], 'pdb_query with jsonb rows');
SELECT is((SELECT count(*) FROM pdb_query(NULL::jsonb, ARRAY['SELECT current_setting(''application_name'') AS a'], max_conns => 1) AS x
            WHERE x ->> 'a' = pg_temp.label()), 1::bigint, '(the short way)');
CREATE TABLE t89l.errors (k text, e text[]);
SET parallel_dblink.keep_conns = 0;
INSERT INTO t89l.errors
SELECT 'engine ' || n, (pg_temp.error_of(NULL, format('SELECT * FROM pdb_query(NULL::t89l.agg, ARRAY[%L, %L], max_conns => 2)',
                                                      'SELECT count(*), sum(v) FROM t89l.t', t)))[1:4]
  FROM unnest(ARRAY['SELECT 1/0, 1::bigint', 'SELECT 1']) WITH ORDINALITY AS x(t, n);
SET parallel_dblink.keep_conns = '1min';
SELECT is((SELECT count(*) FROM pdb_query(NULL::t89l.agg, ARRAY['SELECT 1, 2', 'SELECT 3, 4'], max_conns => 2)), 2::bigint,
          'a warm session');
INSERT INTO t89l.errors
SELECT 'lean 1', (pg_temp.error_of(NULL, format('SELECT * FROM pdb_query(NULL::t89l.agg, ARRAY[%L, %L], max_conns => 2)',
                                                'SELECT count(*), sum(v) FROM t89l.t', 'SELECT 1/0, 1::bigint')))[1:4];
SELECT is((SELECT e FROM t89l.errors WHERE k = 'lean 1'), (SELECT e FROM t89l.errors WHERE k = 'engine 1'),
          'a task''s error is raised as the engine raises it, naming the task');
SELECT is((SELECT e[2] FROM t89l.errors WHERE k = 'lean 1'), 'pdb_query task 2: division by zero', '(that one)');
SELECT is((SELECT count(*) FROM pdb_query(NULL::t89l.agg, ARRAY['SELECT 1, 2', 'SELECT 3, 4'], max_conns => 2)), 2::bigint,
          'a warm session again');
INSERT INTO t89l.errors
SELECT 'lean 2', (pg_temp.error_of(NULL, format('SELECT * FROM pdb_query(NULL::t89l.agg, ARRAY[%L, %L], max_conns => 2)',
                                                'SELECT count(*), sum(v) FROM t89l.t', 'SELECT 1')))[1:4];
SELECT is((SELECT e FROM t89l.errors WHERE k = 'lean 2'), (SELECT e FROM t89l.errors WHERE k = 'engine 2'),
          'rows of another shape than row_type: the engine''s error, with the shape in its detail');

-- a kept worker that died is replaced, its task not lost
SELECT is(pdb_close_conns() >= 0, true, 'start afresh');
CREATE TABLE t89l.pids AS SELECT task_id, result::integer AS pid FROM pdb_run(ARRAY['SELECT pg_backend_pid()', 'SELECT pg_backend_pid()'], 2);
SELECT ok(pg_terminate_backend((SELECT pid FROM t89l.pids WHERE task_id = 1)), 'a kept worker is terminated');
SELECT ok(pg_temp.until(format('SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s)',
                               (SELECT pid FROM t89l.pids WHERE task_id = 1))), 'it is gone');
CREATE TABLE t89l.after AS SELECT task_id, status, result::integer AS pid FROM pdb_run(ARRAY['SELECT pg_backend_pid()', 'SELECT pg_backend_pid()'], 2);
SELECT is(ARRAY(SELECT status FROM t89l.after), ARRAY['ok', 'ok'], 'the next call runs both tasks');
SELECT is((SELECT count(*) FROM t89l.after JOIN t89l.pids USING (pid)), 1::bigint,
          'on the worker still kept, and a new one');

-- the engine's way when the short way would skip something
SET parallel_dblink.nice = '0';
SELECT is((SELECT result FROM pdb_run(ARRAY['SHOW application_name'], 1)), format('pdb_run:%s', pg_backend_pid()),
          'with a throttle set, the engine runs the call');
RESET parallel_dblink.nice;
SELECT is(ARRAY(SELECT result FROM pdb_run('[0:1]={"SELECT 1","SELECT 2"}'::text[], 2) ORDER BY task_id), ARRAY['1', '2'],
          'tasks numbered from 0 run as numbered from 1');

-- a task that waits for a lock the caller holds is cancelled (it would wait for ever), as by the engine
CREATE TABLE t89l.locked (id integer);
CREATE FUNCTION t89l.lock_then_run() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE t89l.locked IN ACCESS EXCLUSIVE MODE;
    RETURN QUERY SELECT concat_ws(':', r.status, r.sqlstate, r.error, r.result)
                   FROM pdb_run(ARRAY['SELECT count(*) FROM t89l.locked', 'SHOW application_name']) AS r
                  ORDER BY r.task_id;
END
$$;
CREATE FUNCTION t89l.lock_then_query() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE t89l.locked IN ACCESS EXCLUSIVE MODE;
    RETURN (SELECT count(*) FROM pdb_query(NULL::t89l.agg, ARRAY['SELECT count(*), 0::bigint FROM t89l.locked',
                                                                 'SELECT 1::bigint, 2::bigint'], max_conns => 2));
END
$$;
SELECT is(ARRAY(SELECT t89l.lock_then_run()),
          ARRAY['error:40P01:task waits for a lock held by the transaction that called pdb_run', 'ok:' || pg_temp.label()],
          'a task that waits for the caller''s lock fails with 40P01 (the short way), the other runs');
SELECT is((pg_temp.error_of(NULL, 'SELECT t89l.lock_then_query()'))[1:2],
          ARRAY['40P01', 'pdb_query task 1: task waits for a lock held by the transaction that called pdb_run'],
          'a query that waits for the caller''s lock: 40P01, naming the task');

-- a large result is read as fast as the worker sends it
SELECT is((SELECT count(*) FROM pdb_query(NULL::t89l.agg, ARRAY['SELECT g, g FROM generate_series(1, 200000) AS g'], 1)),
          200000::bigint, 'a query of 200,000 rows on a kept connection');

-- a cancelled call closes its connections
SELECT is((SELECT e[1] FROM pg_temp.error_of(NULL, format($$SELECT * FROM pdb_run(ARRAY['SELECT pg_sleep(0.2), pg_cancel_backend(%s)',
                                                                                        'SELECT pg_sleep(5)'], 2)$$,
                                                                  pg_backend_pid())) AS e),
          '57014', 'a call the short way is cancelled');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'its connections are closed');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'and no worker is left');

RESET parallel_dblink.keep_conns;
DROP SCHEMA t89l CASCADE;
SELECT * FROM finish();
