\unset ECHO
\i test/setup.sql

-- how the pool is sized, shared and named, and that nothing is left behind
SELECT plan(14);

SELECT is((SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY(SELECT 'SELECT 1' FROM generate_series(1, 6)), 2)),
          2::bigint, 'six tasks share max_conns = 2 connections');
SELECT is((SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 10)),
          3::bigint, 'never more connections than tasks');
SELECT is((SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'])),
          3::bigint, 'max_conns defaults to 4');
SELECT ok((SELECT bool_and(conn_name LIKE 'pdb\_' || pg_backend_pid() || '\_%')
             FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)),
          'connection names start with pdb_<backend pid>_');

-- three sleeps on three connections overlap in time; on one they do not
CREATE TEMP TABLE par AS SELECT * FROM pdb_run(ARRAY(SELECT 'SELECT pg_sleep(0.3)' FROM generate_series(1, 3)), 3);
SELECT ok((SELECT max(started_at) < min(finished_at) FROM par), 'with 3 connections the 3 tasks run at the same time');
CREATE TEMP TABLE ser AS SELECT * FROM pdb_run(ARRAY(SELECT 'SELECT pg_sleep(0.05)' FROM generate_series(1, 3)), 1);
SELECT is_empty($$SELECT 1 FROM ser a JOIN ser b ON b.task_id = a.task_id + 1 WHERE b.started_at < a.finished_at$$,
                'with 1 connection each task starts after the previous one finished');

-- names are unique per call: calls in a loop, in one statement, never clash
SELECT is((SELECT count(DISTINCT r.conn_name) FROM generate_series(1, 3) AS i,
                  LATERAL pdb_run(ARRAY['SELECT ' || i], 1) AS r),
          3::bigint, 'three calls in one statement use three distinct connection names');

-- the caller's own dblink connections are left alone
SELECT dblink_connect('mine', _pdb_default_connstr()) IS NOT NULL AS connected \gset
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)), 2::bigint, 'pdb_run with a connection of mine open');
SELECT is(dblink_get_connections(), ARRAY['mine'], 'my connection is still there, and only it');
SELECT is((SELECT x FROM dblink('mine', 'SELECT 7') AS t(x int)), 7, 'and it still works');
SELECT dblink_disconnect('mine') IS NOT NULL AS disconnected \gset

SELECT is((SELECT count(*) FILTER (WHERE status = 'ok') FROM pdb_run(ARRAY(SELECT 'SELECT ' || i FROM generate_series(1, 1000) AS i), 4)),
          1000::bigint, 'a thousand tiny tasks all succeed');
SELECT is((SELECT status || ':' || result
             FROM pdb_run(ARRAY['SELECT count(*) FROM pdb_run(ARRAY[''SELECT 1'', ''SELECT 2''], 2) WHERE status = ''ok''',
                                'SELECT 1'], 2)
            WHERE task_id = 1),
          'ok:2', 'a task may itself call pdb_run (nested pools, other backends)');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no dblink connection of pdb_run is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
