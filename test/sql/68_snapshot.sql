\unset ECHO
\i test/setup.sql

-- same_snapshot: read-only tasks on the caller's snapshot (the concurrent
-- proof is in tools/tests/test_snapshot.py)
CREATE SCHEMA t68;
CREATE TABLE t68.t (id int);
INSERT INTO t68.t SELECT generate_series(1, 1000);

CREATE TABLE t68.r AS
SELECT * FROM pdb_run(ARRAY['SELECT count(*) FROM t68.t', 'UPDATE t68.t SET id = id', 'SELECT 1/0', 'SELECT 5',
                            'SHOW transaction_isolation', 'SHOW transaction_read_only'], 2, same_snapshot => true);

SELECT plan(7);
SELECT is((SELECT result FROM t68.r WHERE task_id = 1), '1000', 'a read on the shared snapshot');
SELECT is((SELECT status || ':' || sqlstate FROM t68.r WHERE task_id = 2), 'error:25006', 'a writing task fails with 25006');
SELECT is((SELECT status || ':' || sqlstate FROM t68.r WHERE task_id = 3), 'error:22012', 'a failing task keeps its error');
SELECT is((SELECT status || ':' || result FROM t68.r WHERE task_id = 4), 'ok:5', 'and the connection serves the next task');
SELECT is(ARRAY(SELECT result FROM t68.r WHERE task_id IN (5, 6) ORDER BY task_id), ARRAY['repeatable read', 'on'],
          'tasks run in read-only REPEATABLE READ transactions');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], same_snapshot => NULL)$$, '22023',
                 'same_snapshot must be true or false', 'same_snapshot NULL: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], same_snapshot => true)$$, '25001', NULL,
                 'same_snapshot cannot be used in a subtransaction');
SELECT * FROM finish();
DROP SCHEMA t68 CASCADE;
