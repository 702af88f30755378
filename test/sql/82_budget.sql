\unset ECHO
\i test/setup.sql

-- the connection budget: parallel_dblink.max_total_conns and free slots
SELECT plan(15);

SELECT cmp_ok(_pdb_free_slots(NULL, NULL, '0'), '>', 0, 'free slots on this server are counted');
SELECT is(_pdb_free_slots(_pdb_dblink_schema(), NULL, '0'),
          current_setting('max_connections')::integer
          - (SELECT count(*)::integer FROM pg_stat_activity WHERE backend_type = 'client backend'),
          'a superuser may use every slot but those in use');
SELECT is(_pdb_free_slots(_pdb_dblink_schema(), NULL, '10%'),
          _pdb_free_slots(_pdb_dblink_schema(), NULL, '0') - ceil(current_setting('max_connections')::integer / 10.0)::integer,
          'parallel_dblink.leave_conns ''10%'' leaves a tenth of max_connections to other sessions');
SELECT is(_pdb_free_slots(_pdb_dblink_schema(), NULL, '7'), _pdb_free_slots(_pdb_dblink_schema(), NULL, '0') - 7,
          'or a number of them');
SELECT is((SELECT row(leave_conns, conns_wait)::text FROM _pdb_conns_settings()), row('10%', interval '30 seconds')::text,
          'the defaults: 10% of max_connections left, a wait of 30 s');
SET parallel_dblink.leave_conns = 'lots';
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'])$$, '22023',
                 'parallel_dblink.leave_conns must be a number of connections or a percentage', 'a bad leave_conns: 22023');
RESET parallel_dblink.leave_conns;
SET parallel_dblink.conns_wait = 'soon';
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'])$$, '22023',
                 'parallel_dblink.conns_wait must be a time, zero or more', 'a bad conns_wait: 22023');
RESET parallel_dblink.conns_wait;
SET parallel_dblink.leave_conns = '100%';
SET parallel_dblink.conns_wait = '300ms';
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'])$$, '53300', 'no connection slot is free on the target server',
                 'nothing left to take: 53300 once conns_wait is over');
RESET parallel_dblink.leave_conns;
RESET parallel_dblink.conns_wait;

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
