\unset ECHO
\i test/setup.sql

-- pdb_query and pdb_query_at: the rows of every task, typed or jsonb; a
-- failing task raises its error; the options of pdb_run.
CREATE SCHEMA t77;
CREATE TABLE t77.item (id integer, name text, price numeric(8,2));
CREATE TYPE t77.pair AS (k integer, v text);
CREATE TABLE t77.big AS SELECT g AS id, g % 7 AS grp FROM generate_series(1, 10000) AS g;
ALTER TABLE t77.big ADD PRIMARY KEY (id);
CREATE TABLE t77.log (id serial, note text);
CREATE SEQUENCE t77.tries;
-- fails with 40001 the first time it is called, returns 1 after
CREATE FUNCTION t77.flaky() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('t77.tries') = 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = 'flaky';
    END IF;
    RETURN 1;
END
$$;
CREATE FUNCTION t77.fails() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'bad item', DETAIL = 'item 7', HINT = 'fix it';
END
$$;
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE IF EXISTS pdb_t77');
SELECT dblink_exec(_pdb_default_connstr(), 'CREATE DATABASE pdb_t77');
CREATE FUNCTION t77.other() RETURNS text LANGUAGE sql AS $$
    SELECT format('host=%s port=%s dbname=pdb_t77 user=%s',
                  (SELECT setting FROM pg_settings WHERE name = 'unix_socket_directories'),
                  current_setting('port'), current_user)
$$;

SELECT plan(38);

-- shapes
SELECT results_eq(
    $$SELECT * FROM pdb_query(NULL::t77.item, ARRAY['SELECT 1, ''nut'', 0.5', 'VALUES (2, ''bolt'', 1.25), (3, NULL, NULL)'])
       ORDER BY id$$,
    $$VALUES (1, 'nut'::text, 0.50::numeric(8,2)), (2, 'bolt', 1.25), (3, NULL, NULL)$$,
    'a table''s row type: every task''s rows, typed, NULLs kept');
SELECT results_eq(
    $$SELECT k, v FROM pdb_query(NULL::t77.pair, ARRAY['SELECT 1, ''a''', 'SELECT g, g::text FROM generate_series(2, 3) g'], 2)
       ORDER BY k$$,
    $$VALUES (1, 'a'::text), (2, '2'), (3, '3')$$,
    'a composite type: the same');
SELECT results_eq(
    $$SELECT x FROM pdb_query(NULL::bigint, ARRAY['SELECT 1', 'SELECT g FROM generate_series(2, 4) g']) AS x ORDER BY 1$$,
    $$VALUES (1::bigint), (2), (3), (4)$$,
    'a scalar type: one column');
SELECT is((SELECT sum((j ->> 'n')::integer) FROM pdb_query(NULL::jsonb, ARRAY['SELECT 1 AS n, ''x'' AS s',
                                                                         'SELECT g AS n FROM generate_series(2, 3) g;']) AS j),
          6::bigint, 'jsonb: each row one object keyed by column name (a trailing semicolon is fine)');
SELECT is((SELECT j FROM pdb_query(NULL::jsonb, ARRAY['SELECT 1 AS a, ''two'' AS b, NULL::date AS c']) AS j),
          '{"a": 1, "b": "two", "c": null}'::jsonb, 'jsonb keeps names, types and NULLs');
SELECT is((SELECT array_agg(j ORDER BY j) FROM pdb_query(NULL::jsonb, ARRAY['VALUES (1, 2)', 'TABLE t77.item']) AS j),
          ARRAY['{"column1": 1, "column2": 2}'::jsonb], 'jsonb: VALUES and TABLE work (an empty table gives no rows)');
SELECT is((SELECT count(*) FROM pdb_query(NULL::t77.pair, ARRAY['SELECT 1, ''a'' WHERE false'])), 0::bigint,
          'a task without rows adds none');
SELECT is((SELECT count(*) FROM pdb_query(NULL::integer, ARRAY[]::text[])), 0::bigint, 'no tasks, no rows');
SELECT is((SELECT sum(x) FROM pdb_query(NULL::integer, ARRAY['WITH a AS (SELECT 5 AS x) SELECT x FROM a']) AS x),
          5::bigint, 'a WITH query');

-- writing queries with RETURNING, typed and jsonb: they commit on their own
SELECT is((SELECT array_agg(x ORDER BY x) FROM pdb_query(NULL::text,
              ARRAY['INSERT INTO t77.log (note) VALUES (''a''), (''b'') RETURNING note',
                    'INSERT INTO t77.log (note) VALUES (''c'') RETURNING note']) AS x),
          ARRAY['a', 'b', 'c'], 'INSERT ... RETURNING: its rows');
SELECT is((SELECT count(*) FROM pdb_query(NULL::jsonb, ARRAY['DELETE FROM t77.log WHERE note = ''c'' RETURNING *'])),
          1::bigint, 'DELETE ... RETURNING through jsonb (WITH q AS (...))');
SELECT is((SELECT array_agg(note ORDER BY note) FROM t77.log), ARRAY['a', 'b'], 'and they took effect');

-- order: rows come task by task, in the order tasks end, each task's in its own order
SELECT is(ARRAY(SELECT x FROM pdb_query(NULL::integer, ARRAY['SELECT 1 FROM pg_sleep(0.4)',
                                                            'SELECT g FROM generate_series(4, 2, -1) g'], 2) AS x),
          ARRAY[4, 3, 2, 1], 'the task that ends first comes first; a task''s ORDER BY holds');

-- chunks combine
SELECT is((SELECT sum(x) FROM pdb_query(NULL::bigint, pdb_tasks('SELECT count(*) FROM t77.big WHERE {chunk}', 't77.big', 4), 2) AS x),
          10000::numeric, 'pdb_tasks chunks: the per-chunk counts add up to the table');
SELECT is((SELECT count(*) FROM pdb_query(NULL::t77.pair, pdb_tasks('SELECT id, grp::text FROM t77.big WHERE {chunk}',
                                                                    't77.big', 4), 2)),
          10000::bigint, 'pdb_tasks chunks of a read: every row once');
-- (is() rather than results_eq: pdb_tasks exports a snapshot, which a subtransaction cannot)
SELECT is(ARRAY(SELECT ROW(k, sum(v::bigint))::text FROM pdb_query(NULL::t77.pair,
                  pdb_tasks('SELECT grp, count(*)::text FROM t77.big WHERE {chunk} GROUP BY grp', 't77.big', 3), 2)
                 GROUP BY k ORDER BY k),
          ARRAY(SELECT ROW(grp, count(*))::text FROM t77.big GROUP BY grp ORDER BY grp),
          'per-chunk aggregates combined in the outer query equal the single query');

-- errors: the first failing task raises, naming it; nothing is left open
SELECT is(pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1', 'SELECT t77.fails()'])$$),
          ARRAY['23514', 'pdb_query task 2: bad item', 'item 7', 'fix it',
                (pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1', 'SELECT t77.fails()'])$$))[5]],
          'a failing task: its SQLSTATE, message (naming it), detail and hint');
-- (its context: the engine's RAISE, pdb_query's one call of the engine, the caller's statement)
SELECT doesnt_match((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer,
                    ARRAY['SELECT t77.fails()'])$$))[5], 'dblink',
          'no dblink statement in its context');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no connection left after a failed call');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker left after a failed call');
CREATE TEMP TABLE t77_clock AS SELECT clock_timestamp() AS t0;
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1 FROM pg_sleep(30)', 'SELECT 1/0'], 2)$$))[1:2],
          ARRAY['22012', 'pdb_query task 2: division by zero'], 'a failing task stops the call ...');
SELECT ok(clock_timestamp() - (SELECT t0 FROM t77_clock) < interval '20 seconds', '... and cancels the others');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'the cancelled task''s worker is gone');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::t77.pair, ARRAY['SELECT 1, ''a'', 3'])$$))[1:2],
          ARRAY['42804', 'pdb_query task 1: task returns rows of another shape than row_type'],
          'rows of another number of columns: 42804');
SELECT matches((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::t77.pair, ARRAY['SELECT 1, ''a'', 3'])$$))[3],
               CASE WHEN current_setting('server_version_num')::integer >= 160000
                    THEN '^The task''s rows: \(integer, text, integer\); row_type: \(k integer, v text\)\.$'
                    ELSE '^The task''s rows: 3 columns; row_type: \(k integer, v text\)\.$' END,
               'its detail gives both shapes (types from PostgreSQL 16)');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT ''abc''::text'])$$))[1:2],
          ARRAY['22P02', 'pdb_query task 1: invalid input syntax for type integer: "abc"'],
          'a value that does not read as row_type''s type: the task''s error');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1', 'SELECT 1; SELECT 2'])$$))[1:2],
          ARRAY['0A000', 'pdb_query task 2 is more than one statement'], 'several statements: refused before anything runs');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['VACUUM t77.big'])$$))[1:2],
          ARRAY['0A000', 'pdb_query task 1 is not a query'], 'a statement without rows: refused');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['UPDATE t77.big SET grp = grp WHERE id = 1'])$$))[1],
          '0A000', 'an UPDATE without RETURNING: refused');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::text, ARRAY['SELECT '';'' AS x'])$$)), NULL,
          'a semicolon in a string is not a second statement');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1', NULL])$$))[1], '22004',
          'a NULL task: 22004, as pdb_run');
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::jsonb, ARRAY['SELECT 1', NULL])$$))[1], '22004',
          'with jsonb too (a NULL task is not wrapped)');

-- options
SELECT is((pg_temp.error_of(NULL, $$SELECT * FROM pdb_query(NULL::integer, ARRAY['SELECT 1 FROM pg_sleep(5)'],
                                                    task_timeout => '100 ms')$$))[1:2],
          ARRAY['57014', format('pdb_query task 1: task ran longer than task_timeout (%s)', interval '100 ms')],
          'task_timeout raises 57014');
SELECT is((SELECT x FROM pdb_query(NULL::integer, ARRAY['SELECT t77.flaky()'], retries => 1) AS x), 1,
          'retries: a query that failed with 40001 runs again');
SELECT is((SELECT x FROM pdb_query(NULL::text, ARRAY['SELECT current_setting(''work_mem'')'],
                                   setup => ARRAY['SET work_mem = ''7MB''']) AS x), '7MB', 'setup runs first on each connection');
SELECT is((SELECT array_agg(DISTINCT x) FROM pdb_query(NULL::text, ARRAY['SELECT pg_current_snapshot()::text',
                                                                       'SELECT pg_current_snapshot()::text'],
                                                     same_snapshot => true) AS x),
          ARRAY[pg_current_snapshot()::text], 'same_snapshot: every task reads the caller''s snapshot');
SELECT is((SELECT array_agg(x ORDER BY x) FROM pdb_query_at(NULL::text, ARRAY['SELECT current_database()::text',
                                                                            'SELECT current_database()::text'],
                                                          ARRAY[NULL, t77.other()]) AS x),
          ARRAY(SELECT unnest(ARRAY[current_database()::text, 'pdb_t77']) ORDER BY 1), 'pdb_query_at: tasks[i] on targets[i], rows of all');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'no connection left');

SELECT * FROM finish();
DROP SCHEMA t77 CASCADE;
SELECT dblink_exec(_pdb_default_connstr(), 'DROP DATABASE pdb_t77');
