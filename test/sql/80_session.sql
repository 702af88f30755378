\unset ECHO
\i test/setup.sql

-- what a task leaves on its connection never reaches the next task
CREATE SCHEMA t80;
CREATE TABLE t80.t (id int);

CREATE TABLE t80.r AS
SELECT * FROM pdb_run(ARRAY[
    'SET work_mem = ''99MB''',                                  -- 1
    'SHOW work_mem',                                            -- 2
    'BEGIN; INSERT INTO t80.t VALUES (1)',                      -- 3
    'SELECT count(*) FROM t80.t',                               -- 4
    'SET search_path = t80',                                    -- 5
    'SHOW search_path',                                         -- 6
    'CREATE TEMP TABLE leftover (a int)',                       -- 7
    'SELECT count(*) FROM pg_class WHERE relname = ''leftover''', -- 8
    'SHOW statement_timeout',                                   -- 9
    'SHOW application_name',                                    -- 10
    'BEGIN; SELECT 1/0',                                        -- 11
    'SELECT 11',                                                -- 12
    'SELECT set_config(''work_mem'', ''98MB'', false)',         -- 13
    'SHOW work_mem'                                             -- 14
], 1, setup => ARRAY['SET statement_timeout = ''12345ms''']);

-- the last task of its connection too: the reset after it is read before pdb_run returns
CREATE TABLE t80.last AS
SELECT * FROM pdb_run(ARRAY['SELECT 1', 'BEGIN; INSERT INTO t80.t VALUES (2)', 'SELECT 3', 'BEGIN'], 2);

SELECT plan(13);

SELECT isnt((SELECT result FROM t80.r WHERE task_id = 2), '99MB', 'a SET does not reach the next task');
SELECT is((SELECT status || ':' || sqlstate FROM t80.r WHERE task_id = 3), 'error:25001',
          'a task that leaves a transaction open is an error');
SELECT is((SELECT error FROM t80.r WHERE task_id = 3), 'task left a transaction open', 'that says so');
SELECT is((SELECT result FROM t80.r WHERE task_id = 4), '0', 'its open transaction was rolled back, not inherited');
SELECT is((SELECT count(*) FROM t80.t), 0::bigint, 'nothing of it took effect');
SELECT isnt((SELECT result FROM t80.r WHERE task_id = 6), 't80', 'search_path is reset');
SELECT is((SELECT result FROM t80.r WHERE task_id = 8), '0', 'temp tables are dropped');
SELECT is((SELECT result FROM t80.r WHERE task_id = 9), '12345ms', 'the setup statements apply again after a reset');
SELECT is((SELECT result FROM t80.r WHERE task_id = 10), 'pdb_run:' || pg_backend_pid(), 'and so does the label (application_name)');
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, result) FROM t80.r WHERE task_id IN (11, 12, 14) ORDER BY task_id),
          ARRAY['error:22012', 'ok:11', 'ok:' || current_setting('work_mem')],
          'a failed open transaction keeps its own error; set_config is reset too');
SELECT is((SELECT count(DISTINCT conn_name) FROM t80.r), 1::bigint, 'all on one connection, reset not replaced');
SELECT is(ARRAY(SELECT status || ':' || coalesce(sqlstate, result) FROM t80.last ORDER BY task_id),
          ARRAY['ok:1', 'error:25001', 'ok:3', 'error:25001'],
          'a transaction left open by the last task of a connection is an error too');
SELECT is((SELECT count(*) FROM t80.t), 0::bigint, 'and nothing of it took effect');

SELECT * FROM finish();
DROP SCHEMA t80 CASCADE;
