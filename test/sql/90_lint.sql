\unset ECHO
\i test/setup.sql

-- plpgsql_check, with every class of warning it has (all_warnings: extra,
-- other, performance, security, and compatibility where the installed version
-- knows it), finds nothing in any PL/pgSQL function of the extension, but
-- what it cannot know:
-- - the columns of a task that _pdb_batch runs into a record (any task's, by
--   design);
-- - the volatility of dblink calls made through EXECUTE (it says so in its
--   detail and guesses STABLE): these four call dblink functions, which are
--   VOLATILE (they talk to another backend: _pdb_prepare runs the setup
--   statements there; the others read connection state that changes between
--   two calls of one statement);
-- - that _pdb_free_slots EXECUTEs a constant query (plpgsql_check 2.8 calls it
--   an immutable expression): that text is also sent to remote targets through
--   dblink, so it is written once and run the same way here and there.
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
     CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid::regprocedure, all_warnings => true) AS c
     WHERE NOT (p.proname = '_pdb_batch' AND c.message = 'cannot determinate a result of dynamic SQL')
       AND NOT (p.proname IN ('_pdb_dblink_connections', '_pdb_free_slots', '_pdb_prepare', '_pdb_result_error')
                AND c.level = 'performance' AND c.message = 'routine is marked as VOLATILE, should be STABLE'
                AND c.detail LIKE '%cannot to determine volatility of used dynamic SQL%')
       AND NOT (p.proname = '_pdb_free_slots' AND c.level = 'performance'
                AND c.message = 'immutable expression without parameters found')
$$, 'plpgsql_check reports nothing');

SELECT * FROM finish();
