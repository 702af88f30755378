\unset ECHO
\i test/setup.sql

-- the connection budget: parallel_dblink.max_total_conns and free slots
SELECT plan(9);

SELECT cmp_ok(_pdb_free_slots(NULL, NULL), '>', 0, 'free slots on this server are counted');
SELECT is(_pdb_free_slots(_pdb_dblink_schema(), NULL),
          current_setting('max_connections')::integer
          - (SELECT count(*)::integer FROM pg_stat_activity WHERE backend_type = 'client backend'),
          'a superuser may use every slot but those in use');

SET parallel_dblink.max_total_conns = 2;
SET client_min_messages = error;  -- the WARNING is checked in the Python tests
SELECT is((SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 3)), 2::bigint,
          'parallel_dblink.max_total_conns caps the pool');
SET client_min_messages = warning;
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), 0::bigint,
          'and its locks are released after the call');
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 1, 'host=/nonexistent port=1')$$, '08001', NULL,
                 'a failing call under the cap');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), 0::bigint,
          'releases its locks too');
SET parallel_dblink.max_total_conns = 'many';
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'])$$, '22023',
                 'parallel_dblink.max_total_conns must be a positive integer', 'a bad max_total_conns: 22023');
RESET parallel_dblink.max_total_conns;

-- passwords never show in connection errors
SELECT throws_matching($$SELECT * FROM pdb_run(ARRAY['SELECT 1'], 1, 'host=/nonexistent password:s3cr3t')$$,
                       '^could not establish connection$', 'a misspelt password option is an error');
SELECT is(_pdb_mask('missing "=" after "password:s3cr3t"; password=''a b'' postgresql://u:pw@h', 'password:s3cr3t'),
          'missing "=" after "password:********"; password=******** postgresql://u:********@h',
          'passwords are masked in connection errors');

SELECT * FROM finish();
