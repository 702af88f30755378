\unset ECHO
\i test/setup.sql

-- plpgsql_check, with every class of warning it has (all_warnings: extra,
-- other, performance, security, and compatibility where the installed version
-- knows it), finds nothing in any PL/pgSQL function of the extension, but
-- what it cannot know:
-- - the columns of a task that _pdb_batch runs into a record (any task's, by
--   design);
-- - the volatility of dblink calls made through EXECUTE (it says so in its
--   detail and guesses STABLE): these six call dblink functions, which are
--   VOLATILE (they talk to another backend: _pdb_prepare runs the setup
--   statements there; the others read connection state, or _pdb_control
--   pdb_run_control, which changes between two calls of one statement);
-- - that pdb_query's rows are read (by _pdb_step and _pdb_lean_query) by a
--   query built with the column list of _pdb_columns (names through %I,
--   types through format_type): the list is not one identifier or literal,
--   so it cannot be quoted as the checker asks;
-- - the RETURN NEXT of _pdb_step's state: with a polymorphic result type
--   plpgsql_check fails on it ("invalid memory alloc request size", or
--   "cache lookup failed for type", a bug of its own: a three-line function
--   that does the same gets the same, whatever type it is told row_type is),
--   while it works, as every pgTAP file that calls pdb_run shows; it is the
--   function's last statement;
-- - that _pdb_free_slots EXECUTEs a constant query (plpgsql_check 2.8 calls it
--   an immutable expression), with parallel_dblink.leave_conns formatted in by
--   %L (it calls the constant used as format() string not sanitized): that
--   text is also sent to remote targets through dblink, so it is written once
--   and run the same way here and there;
-- - that _pdb_held EXECUTEs parallel_dblink.throttle_query as it is: the
--   user's own query, run as the caller, by design;
-- - pg_cron's schema and table, which pdb_job_start and _pdb_job_cron_end
--   reach through EXECUTE so that the extension installs and compiles without
--   pg_cron (an optional partner): where it is absent, as here, the checker
--   reads their statements and finds neither (test_background.py runs them
--   where pg_cron is).
CREATE EXTENSION IF NOT EXISTS plpgsql_check;

-- plpgsql_check_function_tb with all warnings, and a polymorphic row_type
-- checked as the type it has when the engine hands back its state
-- (_pdb_step's row is the state then; pdb_query's rows are read by dynamic
-- SQL), pdb_target_result elsewhere. The parameter that says so is spelled
-- anyelememttype in the versions at hand, so it is named as the installed
-- version names it.
CREATE FUNCTION pg_temp.lint(fn regprocedure)
RETURNS TABLE (lineno integer, statement text, message text, level text, detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_param text := (SELECT a FROM pg_proc AS p, unnest(p.proargnames) AS a
                      WHERE p.proname = 'plpgsql_check_function_tb' AND a ~ '^anyelem' LIMIT 1);
    v_type  regtype := CASE WHEN fn = '_pdb_step'::regproc THEN '_pdb_state' ELSE 'pdb_target_result' END;
BEGIN
    RETURN QUERY EXECUTE format('SELECT c.lineno, c.statement, c.message, c.level, c.detail FROM plpgsql_check_function_tb($1, '
                                'all_warnings => true, %I => $2) AS c', v_param)
                 USING fn, v_type;
END
$$;

SELECT plan(2);

-- one call first, so that the session's temp objects exist for the checker
SELECT is((SELECT status FROM pdb_run(ARRAY['SELECT 1'])), 'ok', 'pdb_run runs');

SELECT is_empty($$
    SELECT p.proname, c.lineno, c.message
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'parallel_dblink'
      JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
     CROSS JOIN LATERAL pg_temp.lint(p.oid::regprocedure) AS c
     WHERE NOT (p.proname = '_pdb_batch' AND c.message = 'cannot determinate a result of dynamic SQL')
       AND NOT (p.proname IN ('_pdb_control', '_pdb_dblink_connections', '_pdb_free_slots', '_pdb_prepare',
                              '_pdb_result_error', '_pdb_shape')
                AND c.level = 'performance' AND c.message = 'routine is marked as VOLATILE, should be STABLE'
                AND c.detail LIKE '%cannot to determine volatility of used dynamic SQL%')
       AND NOT (p.proname = '_pdb_free_slots' AND c.level = 'performance'
                AND c.message = 'immutable expression without parameters found')
       AND NOT (p.proname = '_pdb_free_slots' AND c.level = 'security'
                AND c.message = 'text type variable is not sanitized')
       AND NOT (p.proname = '_pdb_held' AND c.statement = 'EXECUTE' AND c.level = 'security'
                AND c.message = 'text type variable is not sanitized')
       AND NOT (p.proname IN ('_pdb_step', '_pdb_lean_query') AND c.statement = 'RETURN QUERY' AND c.level = 'security'
                AND c.message = 'text type variable is not sanitized')
       AND NOT (p.proname = '_pdb_step' AND c.statement = 'RETURN NEXT' AND c.level = 'error')
       AND NOT (p.proname IN ('_pdb_job_cron_end', 'pdb_job_start') AND c.statement = 'EXECUTE'
                AND c.message IN ('relation "cron.job" does not exist', 'schema "cron" does not exist'))
$$, 'plpgsql_check reports nothing');

SELECT * FROM finish();
