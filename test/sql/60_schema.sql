\unset ECHO
\i test/setup.sql

-- CREATE EXTENSION ... SCHEMA x, and dblink in a schema of its own: callers find
-- pdb_run by search_path, pdb_run finds dblink wherever it is. All rolled back.
BEGIN;
SELECT plan(6);

DROP EXTENSION parallel_dblink;
CREATE SCHEMA pdbx;
CREATE EXTENSION parallel_dblink SCHEMA pdbx;
SELECT has_function('pdbx', 'pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean'], 'pdb_run is installed in schema pdbx');
SELECT hasnt_function('public', 'pdb_run', ARRAY['text[]', 'integer', 'text', 'integer', 'boolean', 'interval', 'integer', 'text[]', 'boolean', 'boolean', 'boolean'], 'and not in public');

SET LOCAL search_path = pdbx, public;
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 1 + 1'])), 'ok:2',
          'callers find pdb_run through search_path');

CREATE SCHEMA dbl;
ALTER EXTENSION dblink SET SCHEMA dbl;
SET LOCAL search_path = pdbx, public;
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 2 + 2'], 2)), 'ok:4',
          'pdb_run finds dblink in another schema, off the caller''s search_path');
SELECT is((SELECT dbl.dblink_get_connections()), NULL, 'and closes its connections');

SET LOCAL search_path = '';
CREATE TEMP TABLE r AS SELECT * FROM pdbx.pdb_run(ARRAY['SELECT 1']);
SET LOCAL search_path = public;
SELECT is((SELECT status FROM r), 'ok', 'an empty search_path works with a qualified call');

SELECT * FROM finish();
ROLLBACK;
