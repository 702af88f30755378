\unset ECHO
\i test/setup.sql

-- The benchmark's PL/pgSQL contenders (tools/harness/bench/sql/*.sql: the seed
-- recipe and the bare loop) pass plpgsql_check with every class of warning, as
-- the extension's own functions do (90_lint), and run.
CREATE EXTENSION IF NOT EXISTS plpgsql_check;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
\i tools/harness/bench/sql/bare_run.sql
\i tools/harness/bench/sql/seed_run.sql

SELECT plan(3);

SELECT is_empty($$
    SELECT p.proname, c.lineno, c.level, c.message
      FROM pg_proc p
     CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid::regprocedure, all_warnings => true) AS c
     WHERE p.pronamespace = 'bench'::regnamespace
$$, 'plpgsql_check reports nothing in the benchmark''s contenders');
SELECT is(ARRAY(SELECT r FROM bench.bare_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 2, _pdb_default_connstr()) AS r),
          ARRAY['1', '2', '3'], 'the bare loop runs');
SELECT is(ARRAY(SELECT task_id || ':' || ok || ':' || coalesce(result, error)
                  FROM bench.seed_run(ARRAY['SELECT 1', 'SELECT 2'], 2, _pdb_default_connstr()) ORDER BY task_id),
          ARRAY['1:true:1', '2:true:2'], 'the seed recipe runs');

SELECT * FROM finish();
DROP SCHEMA bench CASCADE;
