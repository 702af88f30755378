\unset ECHO
\i test/setup.sql

-- A role without superuser: pdb_run works with a password in connstr or with a
-- dblink_fdw server and user mapping, and gives it no right it does not have.
-- Needs the harness's cluster: TCP on 127.0.0.1, scram-sha-256 for these roles.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pdb_alice') THEN
        EXECUTE 'DROP OWNED BY pdb_alice CASCADE';
        DROP ROLE pdb_alice;
    END IF;
END
$$;
DROP ROLE IF EXISTS pdb_bob;
CREATE ROLE pdb_alice LOGIN PASSWORD 'alice-pw';
CREATE ROLE pdb_bob LOGIN PASSWORD 'bob-pw';
CREATE SCHEMA t88;
GRANT USAGE ON SCHEMA t88 TO pdb_alice, pdb_bob;
CREATE TABLE t88.secret (x int);
INSERT INTO t88.secret VALUES (42);
CREATE TABLE t88.mine (x int);
GRANT SELECT, INSERT ON t88.mine TO pdb_alice;
CREATE SERVER t88_srv FOREIGN DATA WRAPPER dblink_fdw
    OPTIONS (host '127.0.0.1', port :'PORT', dbname :'DBNAME');
CREATE USER MAPPING FOR pdb_alice SERVER t88_srv OPTIONS (user 'pdb_alice', password 'alice-pw');
GRANT USAGE ON FOREIGN SERVER t88_srv TO pdb_alice;
-- the same over the socket, where this cluster trusts every role: the password is never asked for
DO $$
BEGIN
    EXECUTE format('CREATE SERVER t88_sock FOREIGN DATA WRAPPER dblink_fdw OPTIONS (host %L, port %L, dbname %L)',
                   btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port'),
                   current_database());
END
$$;
CREATE USER MAPPING FOR pdb_alice SERVER t88_sock OPTIONS (user 'pdb_alice', password 'alice-pw');
GRANT USAGE ON FOREIGN SERVER t88_sock TO pdb_alice;
CREATE FUNCTION t88.connstr(role text, password text) RETURNS text LANGUAGE sql AS $$
    SELECT format('host=127.0.0.1 port=%s dbname=%s user=%s password=%s',
                  current_setting('port'), current_database(), role, password)
$$;

-- PostgreSQL 18: no password stored anywhere, dblink passes the caller's own SCRAM login on
-- (use_scram_passthrough; before 18, dblink_fdw refuses the option)
CREATE TABLE t88.pass (made boolean, sqlstate text);
DO $$
BEGIN
    EXECUTE format('CREATE SERVER t88_pass FOREIGN DATA WRAPPER dblink_fdw '
                   'OPTIONS (host %L, port %L, dbname %L, use_scram_passthrough %L)',
                   '127.0.0.1', current_setting('port'), current_database(), 'true');
    CREATE USER MAPPING FOR pdb_alice SERVER t88_pass OPTIONS (user 'pdb_alice');
    GRANT USAGE ON FOREIGN SERVER t88_pass TO pdb_alice;
    INSERT INTO t88.pass VALUES (true, NULL);
EXCEPTION WHEN others THEN
    INSERT INTO t88.pass VALUES (false, SQLSTATE);
END
$$;
-- pdb_run through it as pdb_alice logged in without SCRAM (over the socket: trust), then with it (TCP)
CREATE TABLE t88.pass_runs AS
SELECT 'trust' AS login, pg_temp.error_of(NULL, format($q$SELECT * FROM dblink(%L, %L) AS r(v text)$q$,
           format('host=%s port=%s dbname=%s user=pdb_alice', btrim(split_part(current_setting('unix_socket_directories'), ',', 1)),
                  current_setting('port'), current_database()),
           'SELECT count(*)::text FROM pdb_run(ARRAY[''SELECT 1''], 1, ''t88_pass'')')) AS e,
       (SELECT made FROM t88.pass) AND current_setting('server_version_num')::int >= 180000 AS applies;
CREATE TABLE t88.pass_ok AS
SELECT v FROM dblink(t88.connstr('pdb_alice', 'alice-pw'),
                     CASE WHEN (SELECT made FROM t88.pass)
                          THEN 'SELECT string_agg(status || '':'' || coalesce(result, sqlstate), '','') FROM pdb_run(ARRAY[''SELECT current_user::text'', ''SELECT 2''], 2, ''t88_pass'')'
                          ELSE 'SELECT NULL::text' END) AS r(v text);

SELECT plan(40);

-- the session's temp state is created by the superuser: the role must be able to use it
CREATE TEMP TABLE warm AS SELECT * FROM pdb_run(ARRAY['SELECT 1']);

SELECT is(pg_temp.as_role('pdb_alice', $$SELECT status FROM pdb_run(ARRAY['SELECT 1'])$$), 'error:2F003',
          'the default loopback needs a password for a non-superuser (password is required)');
SELECT matches((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[4],
               'password=.*dblink_fdw foreign server with a user mapping.*parallel_dblink\.loopback',
               'its HINT says how: a password in connstr, a dblink_fdw server, parallel_dblink.loopback');
SELECT unalike((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[4], '%****%',
               'and none of its words is masked as a password');
SELECT is((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, 't88_sock')$$))[1],
          '2F003', 'a server that lets the role in without its password: 2F003, though the mapping has one');
SELECT matches((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, 't88_sock')$$))[4],
               'without asking for its password.*scram-sha-256.*pg_hba\.conf|pg_hba\.conf.*scram-sha-256',
               'its HINT names the pg_hba.conf line to add, not the advice already followed');
SELECT is((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, 't88_srvv')$$))[1:2],
          ARRAY['42704', 'foreign server "t88_srvv" does not exist'], 'a misspelt server name: 42704, naming it');
SET parallel_dblink.loopback = 't88_srvv';
SELECT matches((pg_temp.error_of('pdb_alice', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[4],
               '^It is the value of parallel_dblink\.loopback', 'in parallel_dblink.loopback, the HINT says so');
RESET parallel_dblink.loopback;
SELECT is(pg_temp.as_role('pdb_alice', format($$SELECT string_agg(status || ':' || coalesce(sqlstate, ''), ',' ORDER BY task_id)
                                             FROM pdb_run_at(ARRAY['SELECT 1', 'SELECT 2'], ARRAY['t88_srvv', %L])$$,
                                           t88.connstr('pdb_alice', 'alice-pw'))),
          'ok:error:42704,ok:', 'pdb_run_at: a misspelt server fails its own tasks only');
SELECT is(pg_temp.as_role('pdb_alice', format($$SELECT status FROM pdb_run(ARRAY['SELECT 1'], 1, %L)$$,
                                           replace(t88.connstr(current_user, 'x'), ' password=x', ''))),
          'error:2F003', 'a superuser''s connection string without a password is refused');
SELECT is(pg_temp.as_role('pdb_alice', format($$SELECT string_agg(status || ':' || coalesce(result, sqlstate), ',' ORDER BY task_id)
                                             FROM pdb_run(ARRAY['SELECT current_user::text', 'SELECT count(*) FROM t88.mine'],
                                                          2, %L)$$, t88.connstr('pdb_alice', 'alice-pw'))),
          'ok:ok:pdb_alice,ok:0', 'with its password in connstr, tasks run as the role and do what it may');
SELECT is(pg_temp.as_role('pdb_alice', format($$SELECT string_agg(status || ':' || coalesce(result, sqlstate), ',' ORDER BY task_id)
                                             FROM pdb_run(ARRAY['SELECT x FROM t88.secret', 'INSERT INTO t88.secret VALUES (1)',
                                                                'SET ROLE postgres', 'SET ROLE pdb_bob',
                                                                'SET SESSION AUTHORIZATION postgres'], 2, %L)$$,
                                           t88.connstr('pdb_alice', 'alice-pw'))),
          'ok:error:42501,error:42501,error:42501,error:42501,error:42501',
          'but cannot read or change what it may not, nor become another role');
SELECT is(pg_temp.as_role('pdb_alice', format($$SELECT count(*) FROM pdb_run(ARRAY['SHOW application_name', 'SELECT 1/0'], 2, %L)
                                            WHERE concat(result, error, detail, hint, conn_name) LIKE '%%alice-pw%%'$$,
                                           t88.connstr('pdb_alice', 'alice-pw'))),
          'ok:0', 'the password shows nowhere in the results');
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT string_agg(status || ':' || result, ',' ORDER BY task_id)
                                       FROM pdb_run(ARRAY['SELECT current_user::text', 'SELECT 2'], 2, 't88_srv')$$),
          'ok:ok:pdb_alice,ok:2', 'a dblink_fdw server with a user mapping works for the role');
-- kept connections, and a small call on them (the short way), for the role
CREATE FUNCTION t88.keep_twice(target text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_label text;
BEGIN
    PERFORM set_config('parallel_dblink.keep_conns', '1min', true);
    PERFORM count(*) FROM pdb_run(ARRAY['SELECT 1'], 1, target);
    SELECT result INTO v_label FROM pdb_run(ARRAY['SHOW application_name'], 1, target);
    RETURN concat_ws(' ', v_label = format('pdb_run:%s kept', pg_backend_pid()), pdb_close_conns());
END
$$;
SELECT is(pg_temp.as_role('pdb_alice', format('SELECT t88.keep_twice(%L)', t88.connstr('pdb_alice', 'alice-pw'))),
          'ok:t 1', 'with keep_conns, a second call runs on the role''s kept connection the short way');
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT t88.keep_twice('t88_srv')$$), 'ok:t 1',
          'through a dblink_fdw server too');
SELECT is(pg_temp.as_role('pdb_bob', $$SELECT status FROM pdb_run(ARRAY['SELECT 1'], 1, 't88_srv')$$), 'error:42704',
          'another role cannot use that server (no user mapping)');
SELECT is(pg_temp.as_role('pdb_bob', format($$SELECT status FROM pdb_run(ARRAY['SELECT 1'], 1, %L)$$,
                                         t88.connstr('pdb_alice', 'wrong'))),
          'error:08001', 'nor log in as the role without its password');
-- parallel_dblink.loopback: the role's way back to this database, for connstr NULL and atomic bookkeeping
SET parallel_dblink.loopback = 't88_srv';
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT string_agg(status || ':' || result, ',' ORDER BY task_id)
                                       FROM pdb_run(ARRAY['SELECT current_user::text', 'SELECT 2'], 2)$$),
          'ok:ok:pdb_alice,ok:2', 'with parallel_dblink.loopback set, connstr NULL works for the role');
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT string_agg(status, ',' ORDER BY task_id)
                                       FROM pdb_run(ARRAY['INSERT INTO t88.mine VALUES (1)', 'INSERT INTO t88.mine VALUES (2)'],
                                                    2, atomic => true)$$),
          'ok:ok,ok', 'and atomic runs for it: prepared, recorded and committed as the role');
SELECT is((SELECT count(*) FROM t88.mine), 2::bigint, 'both rows are there');
-- a worker that may not call _pdb_batch: that batch runs again task by task, later ones as query strings
REVOKE EXECUTE ON FUNCTION _pdb_batch(text[], text[], text) FROM PUBLIC;
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT string_agg(status || ':' || (strpos(result, '_pdb_batch') > 0) || ':'
                                                          || (strpos(result, E'\n;\n') > 0), ',' ORDER BY task_id)
                                       FROM pdb_run(array_fill('SELECT current_query()'::text, ARRAY[4]), 1, batch_size => 2)$$),
          'ok:ok:false:false,ok:false:false,ok:false:true,ok:false:true',
          'a worker that may not call _pdb_batch gets its batches as query strings');
GRANT EXECUTE ON FUNCTION _pdb_batch(text[], text[], text) TO PUBLIC;
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT string_agg(status || ':' || coalesce(sqlstate, ''), ',' ORDER BY task_id)
                                       FROM pdb_run(ARRAY['INSERT INTO t88.mine VALUES (3)',
                                                          'SELECT pg_sleep(0.3); INSERT INTO t88.secret VALUES (3)'],
                                                    2, atomic => true)$$),
          'ok:rolled back:40000,error:42501', 'a task the role may not run rolls back the others');
SELECT is((SELECT count(*) FROM t88.mine), 2::bigint, 'so nothing was added');
INSERT INTO pdb_atomic_run (run_id, owner, coordinator_pid, targets, tasks)
VALUES ('00000000-0000-0000-0000-000000000088', 'pdb_bob', 0, ARRAY[NULL], 1);
SELECT is(pg_temp.as_role('pdb_alice', $$SELECT count(*) FROM pdb_recover()$$), 'ok:0',
          'pdb_recover leaves the calls of other roles alone (row level security)');
SELECT is((SELECT count(*) FROM pdb_atomic_run), 1::bigint, 'the other role''s record is still there');
DELETE FROM pdb_atomic_run;
RESET parallel_dblink.loopback;
-- the default loopback's host: the socket directory only for roles that may read it
SELECT is(pg_temp.as_role('pdb_bob', $$SELECT split_part(_pdb_default_connstr(), ' ', 1)$$), 'ok:host=''localhost''',
          'a role that may not read unix_socket_directories gets localhost in the default loopback');
GRANT pg_read_all_settings TO pdb_bob;
SELECT is(pg_temp.as_role('pdb_bob', $$SELECT split_part(_pdb_default_connstr(), ' ', 1)$$),
          'ok:' || split_part(_pdb_default_connstr(), ' ', 1),
          'a member of pg_read_all_settings gets the socket directory, as a superuser does');
REVOKE pg_read_all_settings FROM pdb_bob;
SELECT is((SELECT made OR sqlstate = 'HV00J' FROM t88.pass) AND (SELECT made FROM t88.pass) = (current_setting('server_version_num')::int >= 180000),
          true, 'a dblink_fdw server with use_scram_passthrough: made on PostgreSQL 18 and later, refused before (HV00J)');
SELECT is((SELECT CASE WHEN made THEN (SELECT v FROM t88.pass_ok) ELSE 'ok:pdb_alice,ok:2' END FROM t88.pass),
          'ok:pdb_alice,ok:2', 'PostgreSQL 18: a role logged in with SCRAM runs tasks through it with no password stored');
SELECT matches((SELECT CASE WHEN applies THEN e[4] ELSE 'did not log in with a SCRAM password' END
                  FROM t88.pass_runs WHERE login = 'trust'),
               'did not log in with a SCRAM password',
               'PostgreSQL 18: a session that did not log in with SCRAM gets a HINT that says so');
-- live control without superuser: alice's call, run in the background, is paused and resumed by alice
-- from another session (row level security on pdb_run_control lets her); bob may not touch it (42501)
SELECT dblink_connect('t88_bg', t88.connstr('pdb_alice', 'alice-pw')) AS bg_connected \gset
SELECT pid AS bg_pid FROM dblink('t88_bg', 'SELECT pg_backend_pid()') AS x(pid integer) \gset
SELECT dblink_send_query('t88_bg', format('SELECT string_agg(status, %L) FROM pdb_run(%L::text[], 1, connstr => %L)',
                                          ',', array_fill('SELECT pg_sleep(0.3)'::text, ARRAY[12]), 't88_srv'))
       AS bg_sent \gset
SELECT ok(pg_temp.until(format('SELECT count(*) = 1 FROM pdb_activity WHERE caller_pid = %s AND state = %L',
                               :bg_pid, 'active')), 'alice''s call runs');
SELECT is(pg_temp.as_role('pdb_bob', format('SELECT pdb_pause(%s)', :bg_pid)), 'error:42501',
          'bob may not pause alice''s call');
SELECT is(pg_temp.as_role('pdb_alice', format('SELECT pdb_pause(%s)', :bg_pid)), 'ok:true', 'alice may');
SELECT ok(pg_temp.until(format('SELECT max(throttled) = %L FROM pdb_activity WHERE caller_pid = %s', 'paused',
                               :bg_pid)), 'and her call holds');
SELECT is(pg_temp.as_role('pdb_bob', $$SELECT count(*)::text FROM pdb_run_control$$), 'ok:0',
          'bob sees nothing of what alice asked');
SELECT is(pg_temp.as_role('pdb_alice', format('SELECT pdb_resume(%s)', :bg_pid)), 'ok:true', 'alice resumes it');
SELECT is(r, array_to_string(array_fill('ok'::text, ARRAY[12]), ','), 'and every task of it ran once')
  FROM dblink_get_result('t88_bg') AS x(r text);
SELECT dblink_disconnect('t88_bg') AS bg_closed \gset

SELECT is((SELECT count(*) FROM t88.secret), 1::bigint, 'the table the role may not change is unchanged');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'nothing is left open');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
DROP USER MAPPING FOR pdb_alice SERVER t88_srv;
DROP SERVER t88_srv;
DROP USER MAPPING FOR pdb_alice SERVER t88_sock;
DROP SERVER t88_sock;
DROP SERVER IF EXISTS t88_pass CASCADE;
DROP SCHEMA t88 CASCADE;
DROP ROLE pdb_alice;
DROP ROLE pdb_bob;
