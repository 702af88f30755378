\unset ECHO
\i test/setup.sql

-- CREATE EXTENSION ... SCHEMA x, and dblink in a schema of its own: callers find
-- pdb_run by search_path, pdb_run finds dblink wherever it is: through static
-- calls bound at install (sql/bind_dblink.sql), or dynamic ones once dblink
-- has moved. All rolled back.
BEGIN;
SELECT plan(13);

DROP EXTENSION parallel_dblink;
CREATE SCHEMA pdbx;
CREATE EXTENSION parallel_dblink SCHEMA pdbx;
SELECT has_function('pdbx', 'pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean', 'boolean'], 'pdb_run is installed in schema pdbx');
SELECT hasnt_function('public', 'pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean', 'boolean'], 'and not in public');

SET LOCAL search_path = pdbx, public;
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 1 + 1'])), 'ok:2',
          'callers find pdb_run through search_path');
SELECT is((SELECT count(*)::integer FROM pg_proc WHERE pronamespace = 'pdbx'::regnamespace
                                                   AND prosrc LIKE '%@dblink@%'), 0,
          'the install binds every dblink call of the sources');
SELECT ok((SELECT prosrc LIKE '%public.dblink_is_busy(%' AND prosrc LIKE '%public.dblink_send_query(%'
                   AND prosrc LIKE '%public.dblink_get_result(%'
             FROM pg_proc WHERE oid = 'pdbx._pdb_step'::regproc),
          'to the schema dblink is in');

CREATE SCHEMA dbl;
ALTER EXTENSION dblink SET SCHEMA dbl;
SET LOCAL search_path = pdbx, public;
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 2 + 2'], 2)), 'ok:4',
          'pdb_run finds dblink in another schema, off the caller''s search_path');
SELECT is((SELECT dbl.dblink_get_connections()), NULL, 'and closes its connections');
-- the dynamic calls read errors and batches as the static ones do
SELECT results_eq($$SELECT status, sqlstate, result FROM pdb_run(ARRAY['SELECT 1', 'SELECT 1/0', 'SELECT 3', 'SELECT 4'],
                                                                  2, batch_size => 2) ORDER BY task_id$$,
                  $$VALUES ('ok', NULL, '1'), ('error', '22012', NULL), ('ok', NULL, '3'), ('ok', NULL, '4')$$,
                  'a moved dblink: errors, batches and results as before');

-- installed after dblink moved (to a schema whose name needs quotes): bound there
DROP EXTENSION parallel_dblink;
CREATE SCHEMA "dbl x";
ALTER EXTENSION dblink SET SCHEMA "dbl x";
CREATE EXTENSION parallel_dblink SCHEMA pdbx;
SET LOCAL search_path = pdbx, public;
SELECT ok((SELECT prosrc LIKE '%"dbl x".dblink_is_busy(%' FROM pg_proc WHERE oid = 'pdbx._pdb_step'::regproc),
          'a new install binds to where dblink is now');
SELECT results_eq($$SELECT status, sqlstate, result FROM pdb_run(ARRAY['SELECT 1', 'SELECT 1/0', 'SELECT 3', 'SELECT 4'],
                                                                  2, batch_size => 2) ORDER BY task_id$$,
                  $$VALUES ('ok', NULL, '1'), ('error', '22012', NULL), ('ok', NULL, '3'), ('ok', NULL, '4')$$,
                  'and runs through it');
SELECT is((SELECT "dbl x".dblink_get_connections()), NULL, 'closing its connections');

SET LOCAL search_path = '';
CREATE TEMP TABLE r AS SELECT * FROM pdbx.pdb_run(ARRAY['SELECT 1']);
SET LOCAL search_path = public;
SELECT is((SELECT status FROM r), 'ok', 'an empty search_path works with a qualified call');
SELECT is((SELECT count(*)::integer FROM pg_proc
            WHERE pronamespace = 'pdbx'::regnamespace AND prosrc LIKE '%public.dblink%'), 0,
          'and no function names the schema dblink left');

SELECT * FROM finish();
ROLLBACK;
