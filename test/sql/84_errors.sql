\unset ECHO
\i test/setup.sql

-- What the caller sees when pdb_run itself fails: the error, its SQLSTATE,
-- detail and hint, and no statement of the engine in its context (the only
-- SQL statement there is the caller's own: the EXECUTE of pg_temp.error_of).
CREATE FUNCTION pg_temp.statements_in(context text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM regexp_matches(context, 'SQL statement "', 'g')
$$;
-- the functions its context names, but the caller's own (pg_temp.error_of)
CREATE FUNCTION pg_temp.functions_in(context text) RETURNS text
LANGUAGE sql AS $$
    SELECT string_agg(m[2], ', ' ORDER BY o)
      FROM regexp_matches(context, '(?:PL/pgSQL function|SQL function) "?([^ ."(]+\.)?([^ ."(]+)', 'g')
           WITH ORDINALITY AS x(m, o)
     WHERE m[1] IS DISTINCT FROM (SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()) || '.'
$$;

SELECT plan(17);

CREATE TEMP TABLE e84 AS
SELECT 'connect' AS what,
       pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, 'host=/nonexistent port=1')$$) AS e
UNION ALL
SELECT 'check', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 0)$$)
UNION ALL
SELECT 'cancel', pg_temp.error_of(NULL, format($$SELECT count(*) FROM pdb_run(ARRAY['SELECT pg_sleep(0.2), pg_cancel_backend(%s)',
                                                                                'SELECT pg_sleep(5)'], 2)$$, pg_backend_pid()))
UNION ALL
SELECT 'targets', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 2'], ARRAY[NULL])$$)
UNION ALL
SELECT 'broadcast', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_broadcast(NULL, ARRAY[NULL])$$);

-- every public function that runs tasks or checks them in depth, each failing in a way of its own
CREATE TEMP TABLE e84c AS
SELECT 'pdb_run' AS fn, pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['COPY pg_class TO STDOUT'], 1)$$) AS e
UNION ALL
SELECT 'pdb_run', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1/0'], 1, strict => true)$$)
UNION ALL
SELECT 'pdb_run', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, connstr => 'hree')$$)
UNION ALL
SELECT 'pdb_run_at', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run_at(ARRAY['SELECT 1/0'], ARRAY[NULL], strict => true)$$)
UNION ALL
SELECT 'pdb_broadcast', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_broadcast('SELECT 1', ARRAY[NULL], retries => -1)$$)
UNION ALL
SELECT 'pdb_query', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_query(NULL::int, ARRAY['SELECT 1/0'])$$)
UNION ALL
SELECT 'pdb_query', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_query(NULL::int, ARRAY['VACUUM'])$$)
UNION ALL
SELECT 'pdb_query_at', pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_query_at(NULL::int, ARRAY['SELECT 1'], ARRAY['hree'])$$)
UNION ALL
SELECT 'pdb_job_run', pg_temp.error_of(NULL, format($$SELECT count(*) FROM pdb_job_run(%s, strict => true)$$,
                                                    pdb_job_submit(ARRAY['SELECT 1/0', 'SELECT 1'])))
UNION ALL
SELECT 'pdb_job_run', pg_temp.error_of(NULL, format($$SELECT count(*) FROM pdb_job_run(%s, 2)$$,
                                                    pdb_job_submit(ARRAY[format('SELECT pg_sleep(0.2), pg_cancel_backend(%s)',
                                                                                pg_backend_pid()),
                                                                         'SELECT pg_sleep(5)'])))
UNION ALL
SELECT 'pdb_tasks', pg_temp.error_of(NULL, $$SELECT pdb_tasks('SELECT {chunk}', 'pg_class', 0)$$)
UNION ALL
SELECT 'pdb_job_submit', pg_temp.error_of(NULL, $$SELECT pdb_job_submit(ARRAY['SELECT 1', ' '])$$)
UNION ALL
SELECT 'pdb_job_submit', pg_temp.error_of(NULL, $$SELECT pdb_job_submit(ARRAY['SELECT 1'], connstr => 'hree')$$)
UNION ALL
SELECT 'pdb_job_cancel', pg_temp.error_of(NULL, $$SELECT pdb_job_cancel(1, connstr => 'hree')$$)
UNION ALL
SELECT 'pdb_job_uncancel', pg_temp.error_of(NULL, $$SELECT pdb_job_uncancel(1, connstr => 'hree')$$)
UNION ALL
SELECT 'pdb_backfill', pg_temp.error_of(NULL, $$SELECT pdb_backfill('UPDATE pg_class SET relpages = 0', 'pg_class')$$)
UNION ALL
SELECT 'pdb_backfill', pg_temp.error_of(NULL, $$SELECT pdb_backfill('UPDATE pg_class SET relpages = 0 WHERE {chunk}',
                                                                    'pg_class', 'relname')$$)
UNION ALL
SELECT 'pdb_job_start', pg_temp.error_of(NULL, $$SELECT pdb_job_start(-1)$$);

SELECT is((SELECT e[1] || ': ' || e[2] FROM e84 WHERE what = 'connect'), '08001: could not establish connection',
          'a connection that fails: 08001');
SELECT is((SELECT e[1] || ': ' || e[2] || ' (' || e[3] || ')' FROM e84 WHERE what = 'check'),
          '22023: max_conns must be at least 1 (max_conns is 0.)', 'a bad argument: 22023, with its detail');
SELECT is((SELECT e[1] || ': ' || e[2] FROM e84 WHERE what = 'cancel'), '57014: canceling statement due to user request',
          'a cancel of the caller: 57014');
SELECT is((SELECT e[1] FROM e84 WHERE what = 'targets'), '22023', 'pdb_run_at with targets of another length: 22023');
SELECT is((SELECT e[1] FROM e84 WHERE what = 'broadcast'), '22004', 'pdb_broadcast without a task: 22004');
SELECT is(ARRAY(SELECT what || ':' || pg_temp.statements_in(e[5]) FROM e84 ORDER BY what),
          ARRAY['broadcast:1', 'cancel:1', 'check:1', 'connect:1', 'targets:1'],
          'no internal statement in the context of any of them');
SELECT unalike((SELECT string_agg(e[5], ' ') FROM e84), '%pg_sleep(least%', 'not the engine''s sleep either');
SELECT is((SELECT count(*) FROM e84c WHERE e IS NOT NULL), 18::bigint, 'each of these calls fails');
SELECT is(ARRAY(SELECT DISTINCT pg_temp.functions_in(e[5]) = fn FROM e84c), ARRAY[true],
          'the context of each names the function called, and no other');
SELECT is(ARRAY(SELECT DISTINCT pg_temp.statements_in(e[5]) FROM e84c), ARRAY[1::bigint],
          'and no statement but the caller''s');

-- the caller's statement_timeout
BEGIN;
SET LOCAL statement_timeout = '300ms';
CREATE TEMP TABLE e84t AS
SELECT pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT pg_sleep(5)', 'SELECT pg_sleep(5)'], 2)$$) AS e;
COMMIT;
SELECT is((SELECT e[1] || ': ' || e[2] FROM e84t), '57014: canceling statement due to statement timeout',
          'the caller''s statement_timeout: 57014');
SELECT is((SELECT pg_temp.statements_in(e[5]) FROM e84t), 1::bigint, 'with no internal statement in its context');
SELECT is((SELECT e[4] FROM e84t), '', 'and no hint of the engine''s');

-- the engine called directly with targets that fit neither one connection string nor one per task
-- (no public function passes such, and the engine used to wait for ever for a target of no slot)
SELECT throws_ok($$SELECT count(*) FROM _pdb_rows(_pdb_run(ARRAY['SELECT 1', 'SELECT 2'], NULL, 2, 1, false, NULL, 0,
                                                          NULL, false, false, NULL, false, false, 'pdb_run', false))$$,
                 '22023', 'the engine needs one target, or one per task: 0 targets for 2 tasks',
                 'the engine without targets: 22023 at once');
SELECT throws_ok($$SELECT count(*) FROM _pdb_rows(_pdb_run(ARRAY['SELECT 1', 'SELECT 2'], ARRAY[NULL, NULL, NULL], 2,
                                                          1, false, NULL, 0, NULL, false, false, NULL, false, false,
                                                          'pdb_run', false))$$,
                 '22023', 'the engine needs one target, or one per task: 3 targets for 2 tasks',
                 'the engine with more targets than tasks: 22023');

SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'nothing is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
