\unset ECHO
\i test/setup.sql

SELECT plan(41);

SELECT has_function('pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean', 'boolean'], 'pdb_run(text[], integer, text, integer, boolean, interval, integer, text[], boolean, boolean, boolean, boolean) exists');
SELECT function_returns('pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean', 'boolean'], 'setof pdb_result', 'pdb_run returns a set of pdb_result');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'pdb_run(text[], integer, text, integer, boolean, interval, integer, text[], boolean, boolean, boolean, boolean)'::regprocedure),
          ARRAY['tasks', 'max_conns', 'connstr', 'batch_size', 'fail_fast', 'task_timeout', 'retries', 'setup', 'progress', 'same_snapshot', 'atomic', 'strict'],
          'pdb_run has the documented parameter names');
SELECT is(ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = 'pdb_result'::regclass AND attnum > 0 ORDER BY attnum),
          ARRAY['task_id', 'status', 'result', 'sqlstate', 'error', 'started_at', 'finished_at', 'detail', 'hint', 'conn_name', 'attempts', 'task'],
          'pdb_result has the documented columns');
SELECT is(ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = 'pdb_target_result'::regclass AND attnum > 0 ORDER BY attnum),
          ARRAY['task_id', 'status', 'result', 'sqlstate', 'error', 'started_at', 'finished_at', 'detail', 'hint', 'conn_name', 'attempts', 'task', 'target'],
          'pdb_target_result has them, then target');
SELECT volatility_is('pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean', 'boolean'], 'volatile', 'pdb_run is volatile');

-- every member function of the extension
CREATE TEMP VIEW ext_functions AS
SELECT p.oid::regprocedure AS fn, p.prosecdef, p.proconfig, l.lanname, p.prokind
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'parallel_dblink'
  JOIN pg_language l ON l.oid = p.prolang;

SELECT is((SELECT count(*) FROM ext_functions), 116::bigint, 'the extension has 116 functions and procedures');
SELECT is_empty($$SELECT fn FROM ext_functions WHERE prosecdef$$, 'no function is SECURITY DEFINER');
SELECT is_empty($$SELECT fn FROM ext_functions
                   WHERE NOT coalesce(proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false) AND prokind <> 'p'$$,
                'every function pins search_path = pg_catalog, pg_temp');
-- PostgreSQL refuses COMMIT in a procedure with a SET clause (and in a procedure it calls): the two
-- procedures pin nothing, and their bodies call only the extension's own functions and pg_catalog's,
-- schema-qualified (the extension's pin search_path themselves; texteq rather than an operator, which
-- search_path would resolve)
SELECT is(ARRAY(SELECT fn::text FROM ext_functions WHERE prokind = 'p' ORDER BY 1),
          ARRAY['_pdb_job_background(bigint,integer,text,boolean,interval,integer,text[])',
                'pdb_job_exec(bigint,integer,text,boolean,interval,integer,text[],boolean,boolean)'],
          'pdb_job_exec and _pdb_job_background are the procedures');
SELECT is(ARRAY(SELECT DISTINCT proconfig::text FROM pg_proc WHERE proname IN ('pdb_job_exec', '_pdb_job_background')),
          ARRAY[NULL], 'they have no SET clause (they commit)');
SELECT is(ARRAY(SELECT DISTINCT m[1] FROM pg_proc AS p,
                       regexp_matches(p.prosrc, '(\m[[:alnum:]_."]+)\s*\(', 'g') AS m
                 WHERE p.proname = '_pdb_job_background' ORDER BY 1),
          ARRAY['public._pdb_job_cron_end', 'public.pdb_job_exec'],
          'the background one calls the extension''s functions by their schema, and nothing else');
SELECT is(ARRAY(SELECT DISTINCT m[1] FROM pg_proc AS p,
                       regexp_matches(p.prosrc, '(\m[[:alnum:]_."]+)\s*\(', 'g') AS m
                 WHERE p.proname = 'pdb_job_exec' ORDER BY 1),
          ARRAY['pg_catalog.texteq', 'public._pdb_failed', 'public._pdb_job_again', 'public._pdb_job_begin', 'public._pdb_job_lock', 'public._pdb_job_step'],
          'pdb_job_exec''s body calls the extension''s functions and pg_catalog''s by their schema, and nothing else');
SELECT is((SELECT proargnames FROM pg_proc WHERE proname = 'pdb_job_exec'),
          ARRAY['job_id', 'max_conns', 'connstr', 'fail_fast', 'task_timeout', 'retries', 'setup', 'progress', 'strict'],
          'pdb_job_exec has the documented parameter names');
SELECT is_empty($$SELECT fn FROM ext_functions WHERE lanname NOT IN ('plpgsql', 'sql')$$,
                'every function is SQL or PL/pgSQL');
SELECT is_empty($$SELECT fn FROM ext_functions WHERE obj_description(fn, 'pg_proc') IS NULL$$,
                'every function has a comment');

SELECT function_returns('pdb_query', ARRAY['anyelement', 'text[]', 'integer', 'text', 'interval', 'integer', 'text[]', 'boolean'],
                        'setof anyelement', 'pdb_query(anyelement, text[], ...) returns a set of row_type');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'pdb_query(anyelement, text[], integer, text, interval, integer, text[], boolean)'::regprocedure),
          ARRAY['row_type', 'tasks', 'max_conns', 'connstr', 'task_timeout', 'retries', 'setup', 'same_snapshot'],
          'pdb_query has the documented parameter names');
SELECT function_returns('pdb_query_at', ARRAY['anyelement', 'text[]', 'text[]', 'integer', 'interval', 'integer', 'text[]'],
                        'setof anyelement', 'pdb_query_at(anyelement, text[], text[], ...) returns a set of row_type');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'pdb_query_at(anyelement, text[], text[], integer, interval, integer, text[])'::regprocedure),
          ARRAY['row_type', 'tasks', 'targets', 'max_conns', 'task_timeout', 'retries', 'setup'],
          'pdb_query_at has the documented parameter names');

SELECT has_view('pdb_activity', 'the view pdb_activity exists');
SELECT has_view('pdb_jobs', 'the view pdb_jobs exists');
SELECT has_view('pdb_job_tasks', 'the view pdb_job_tasks exists');
SELECT has_function('pdb_job_submit', ARRAY['text[]', 'text', 'text'], 'pdb_job_submit(text[], text, text) exists');
SELECT has_function('pdb_job_run', ARRAY['bigint', 'integer', 'text', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean'],
                    'pdb_job_run(bigint, ...) exists');
SELECT has_function('pdb_job_cancel', ARRAY['bigint', 'text'], 'pdb_job_cancel(bigint, text) exists');
SELECT has_function('pdb_chunks', ARRAY['regclass', 'integer', 'name', 'bigint'],
                    'pdb_chunks(regclass, integer, name, bigint) exists');
SELECT has_function('pdb_tasks', ARRAY['text', 'regclass', 'integer', 'name', 'bigint'],
                    'pdb_tasks(text, regclass, integer, name, bigint) exists');
SELECT has_function('pdb_run_at', ARRAY['text[]', 'text[]', 'integer', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean'],
                    'pdb_run_at(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, boolean) exists');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'pdb_run_at(text[], text[], integer, integer, boolean, interval, integer, text[], boolean, boolean, boolean)'::regprocedure),
          ARRAY['tasks', 'targets', 'max_conns', 'batch_size', 'fail_fast', 'task_timeout', 'retries', 'setup', 'progress', 'atomic', 'strict'],
          'pdb_run_at has the documented parameter names');
SELECT function_returns('pdb_run_at', ARRAY['text[]', 'text[]', 'integer', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean'],
                        'setof pdb_target_result', 'pdb_run_at returns a set of pdb_target_result');
SELECT has_function('pdb_broadcast', ARRAY['text', 'text[]', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean'],
                    'pdb_broadcast(text, text[], boolean, interval, integer, text[], boolean, boolean, boolean) exists');
SELECT is((SELECT proargnames FROM pg_proc
            WHERE oid = 'pdb_broadcast(text, text[], boolean, interval, integer, text[], boolean, boolean, boolean)'::regprocedure),
          ARRAY['task', 'targets', 'fail_fast', 'task_timeout', 'retries', 'setup', 'progress', 'atomic', 'strict'],
          'pdb_broadcast has the documented parameter names');
SELECT function_returns('pdb_job_run', ARRAY['bigint', 'integer', 'text', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean'],
                        'setof pdb_result', 'pdb_job_run returns a set of pdb_result');
SELECT has_function('pdb_recover', ARRAY['text[]'], 'pdb_recover(text[]) exists');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'pdb_recover(text[])'::regprocedure),
          ARRAY['targets', 'run_id', 'target', 'task_id', 'action', 'sqlstate', 'error'],
          'pdb_recover has the documented parameter and column names');
SELECT has_table('pdb_atomic_run', 'the table pdb_atomic_run exists');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'pdb_atomic_run'::regclass),
          'pdb_atomic_run has row level security');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'parallel_dblink'), false,
          'the extension is not relocatable');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'parallel_dblink'), '0.1.1',
          'the installed version is 0.1.1');
SELECT ok(EXISTS (SELECT 1 FROM pg_depend d
                    JOIN pg_extension a ON a.oid = d.objid AND a.extname = 'parallel_dblink'
                    JOIN pg_extension b ON b.oid = d.refobjid AND b.extname = 'dblink'),
          'the extension depends on dblink');

SELECT * FROM finish();
