\unset ECHO
\i test/setup.sql

-- plpgsql_check finds nothing in any PL/pgSQL function of the extension, but
-- one thing it cannot know: the columns of a task that _pdb_batch runs into a
-- record (any task's, by design).
CREATE EXTENSION IF NOT EXISTS plpgsql_check;

SELECT plan(2);

-- one call first, so that the session's temp objects exist for the checker
SELECT is((SELECT status FROM pdb_run(ARRAY['SELECT 1'])), 'ok', 'pdb_run runs');

SELECT is_empty($$
    SELECT p.proname, c.lineno, c.message
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'parallel_dblink'
      JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
     CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid::regprocedure, extra_warnings => true,
                                                   other_warnings => true) AS c
     WHERE NOT (p.proname = '_pdb_batch' AND c.message = 'cannot determinate a result of dynamic SQL')
$$, 'plpgsql_check reports nothing');

SELECT * FROM finish();
