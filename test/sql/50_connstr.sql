\unset ECHO
\i test/setup.sql

-- where tasks run: the default loopback, a connection string, a foreign server
CREATE SCHEMA t50;
CREATE SERVER t50_loopback FOREIGN DATA WRAPPER dblink_fdw
    OPTIONS (host :'HOST', port :'PORT', dbname :'DBNAME');
CREATE USER MAPPING FOR CURRENT_USER SERVER t50_loopback OPTIONS (user :'USER');

SELECT plan(12);

SELECT is(_pdb_conninfo_quote('a b''c\d'), $$'a b\'c\\d'$$, 'connection string values are quoted for libpq');
SELECT matches(_pdb_default_connstr(),
               '^host=''[^'']+'' port=' || current_setting('port') || ' dbname=''' || current_database()
               || ''' user=''' || current_user || '''$',
               'the default connection string names this server, database and user');
SELECT is((SELECT result FROM pdb_run(ARRAY['SELECT current_database()::text'])), current_database()::text,
          'by default tasks run in the caller''s database');
SELECT is((SELECT result FROM pdb_run(ARRAY['SELECT current_setting(''port'')'], 1,
                                      format('port=%s host=%s dbname=%s', current_setting('port'),
                                             :'HOST', current_database()))),
          current_setting('port'), 'an explicit libpq connection string');
-- a connection string without a host means this server
SELECT is(_pdb_connstr('dbname=x user=y'),
          format('host=%s port=%s dbname=x user=y', _pdb_conninfo_quote(_pdb_this_host()), current_setting('port')),
          'a connection string without host gets this server''s host and port first');
SELECT is(_pdb_connstr('port=1 dbname=x'), format('host=%s port=%s port=1 dbname=x', _pdb_conninfo_quote(_pdb_this_host()),
                                                  current_setting('port')),
          'a port of its own comes after this server''s, so it wins');
SELECT is(ARRAY[_pdb_connstr('host=h dbname=x'), _pdb_connstr('hostaddr=10.0.0.1 dbname=x'), _pdb_connstr('service=s'),
                _pdb_connstr('postgresql://h/x'), _pdb_connstr('t50_loopback')],
          ARRAY['host=h dbname=x', 'hostaddr=10.0.0.1 dbname=x', 'service=s', 'postgresql://h/x', 't50_loopback'],
          'one that names a host or service, a URI, a foreign server name: unchanged');
SELECT is((SELECT status || ':' || result || ':' || coalesce(target, 'NULL')
             FROM pdb_run_at(ARRAY['SELECT current_setting(''port'')'], ARRAY[format('dbname=%s', current_database())])),
          'ok:' || current_setting('port') || ':dbname=' || current_database(),
          'so dbname=<this database> reaches this server, wherever its socket and port are (target as given)');
SELECT is((SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 6 * 7'], 1, 't50_loopback')), 'ok:42',
          'a dblink_fdw foreign server name');
SELECT is((SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2, 't50_loopback')),
          2::bigint, 'a pool over a foreign server');
SET search_path = t50, public;
SELECT is((SELECT result FROM pdb_run(ARRAY['SHOW search_path'])), (SELECT reset_val FROM pg_settings WHERE name = 'search_path'),
          'tasks start from the server''s settings, not the caller''s session');
RESET search_path;
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'nothing is left open');

SELECT * FROM finish();
DROP USER MAPPING FOR CURRENT_USER SERVER t50_loopback;
DROP SERVER t50_loopback;
DROP SCHEMA t50 CASCADE;
