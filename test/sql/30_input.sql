\unset ECHO
\i test/setup.sql

-- bad input is a clear error before anything runs
CREATE SCHEMA t30;
CREATE TABLE t30.x (id int);

SELECT plan(24);

SELECT throws_ok($$SELECT * FROM pdb_run(NULL)$$, '22004', 'tasks must not be null', 'tasks NULL: 22004');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1', NULL])$$, '22004', 'tasks must not contain null',
                 'a NULL task: 22004');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], NULL)$$, '22023', 'max_conns must be at least 1',
                 'max_conns NULL: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 0)$$, '22023', 'max_conns must be at least 1',
                 'max_conns 0: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], -3)$$, '22023', 'max_conns must be at least 1',
                 'max_conns negative: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY[['SELECT 1'], ['SELECT 2']])$$, '22023',
                 'tasks must be a one-dimensional array', 'a two-dimensional array: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1', E' \n '])$$, '22023', 'tasks must not be blank',
                 'a blank task: 22023');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['INSERT INTO t30.x VALUES (1)', NULL])$$, '22004',
                 'tasks must not contain null', 'a bad array with a good task in it');
SELECT is((SELECT count(*) FROM t30.x), 0::bigint, 'nothing ran');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'and no connection was opened');

SELECT is_empty($$SELECT * FROM pdb_run('{}')$$, 'an empty array returns zero rows');
SELECT throws_ok($$SELECT * FROM pdb_run('{}', 0)$$, '22023', 'max_conns must be at least 1',
                 'an empty array does not excuse a bad max_conns');
SELECT is(ARRAY(SELECT task_id || '=' || result FROM pdb_run('[0:1]={"SELECT 10","SELECT 11"}'::text[]) ORDER BY task_id),
          ARRAY['1=10', '2=11'], 'task_id counts from 1 whatever the array''s lower bound');

SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 2, 'host=/nonexistent/socket/dir port=1')$$, '08001',
                 NULL, 'an unreachable server: 08001 before any task runs');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 2, 'no_such_server_or_connstr')$$, '42704',
                 'foreign server "no_such_server_or_connstr" does not exist',
                 'neither a connection string nor a foreign server: taken for a misspelt server name, 42704');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'failed connections leave nothing open');

-- COPY from or to the client: refused before anything runs, alone, in a multi-statement task,
-- in a batch, in a durable job; the word COPY in a string or a comment, or COPY of a file, runs
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1', 'COPY (SELECT 1) TO STDOUT'], 2)$$, '0A000',
                 'COPY from or to the client cannot run as a task', 'COPY TO STDOUT: 0A000 before anything runs');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['copy t30.c from stdin with (format csv)'])$$, '0A000',
                 'COPY from or to the client cannot run as a task', 'COPY FROM STDIN, lower case: 0A000');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1; COPY t30.c TO STDOUT;'])$$, '0A000',
                 'COPY from or to the client cannot run as a task', 'COPY as the second statement of a task: 0A000');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', E'COPY t30.c\nFROM\tSTDIN'], 1, batch_size => 3)$$,
                 '0A000', 'COPY from or to the client cannot run as a task', 'COPY in a batch: 0A000');
SELECT throws_ok($$SELECT pdb_job_submit(ARRAY['COPY t30.c FROM STDIN'])$$, '0A000',
                 'COPY from or to the client cannot run as a task', 'a durable job refuses it at submit');
SELECT is((SELECT count(*) FROM pdb_job_tasks WHERE task = 'COPY t30.c FROM STDIN'), 0::bigint,
          'so no job was stored');
SELECT is(ARRAY(SELECT status || ':' || result FROM pdb_run(ARRAY[
              'SELECT ''COPY t FROM STDIN''', '/* COPY t TO STDOUT */ SELECT 2', 'SELECT $c$COPY t TO STDOUT$c$',
              'SELECT 4 -- copy t to stdout'], 2) ORDER BY task_id),
          ARRAY['ok:COPY t FROM STDIN', 'ok:2', 'ok:COPY t TO STDOUT', 'ok:4'],
          'COPY ... STDOUT inside a string, a comment or a dollar quote runs');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'refused calls leave nothing open');

SELECT * FROM finish();
DROP SCHEMA t30 CASCADE;
