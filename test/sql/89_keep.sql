\unset ECHO
\i test/setup.sql

-- parallel_dblink.keep_conns: a call's connections stay open for the session's next calls, reset
-- before each, for the same target and role only, ending once idle that long.
SELECT plan(50);

CREATE SCHEMA t89k;
-- the connections this session keeps, and their workers
CREATE FUNCTION pg_temp.kept() RETURNS text[]
LANGUAGE sql AS $$ SELECT _pdb_kept_conns(_pdb_dblink_schema()) $$;
-- a kept connection's reset runs on its worker after the call has returned: this waits for it (5 s at most)
CREATE FUNCTION pg_temp.kept_workers() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_n bigint;
BEGIN
    FOR i IN 1..500 LOOP
        PERFORM pg_stat_clear_snapshot();
        SELECT count(*) INTO v_n
          FROM pdb_activity WHERE caller_pid = pg_backend_pid() AND kept AND state = 'idle' AND query IS NULL;
        EXIT WHEN v_n >= cardinality(pg_temp.kept());
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN v_n;
END
$$;
CREATE FUNCTION pg_temp.budget_locks() RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM pg_locks
     WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 1885627490::bigint::oid AND objsubid = 2
$$;

SET parallel_dblink.keep_conns = 'soon';
SELECT throws_ok($$SELECT * FROM pdb_run(ARRAY['SELECT 1'])$$, '22023',
                 'parallel_dblink.keep_conns must be a time, zero or more', 'a bad keep_conns: 22023');
RESET parallel_dblink.keep_conns;
SELECT is((SELECT keep_conns FROM _pdb_conns_settings()), interval '0', 'keep_conns is 0 by default');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)), 2::bigint, 'a call with the default');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'keeps nothing');

-- reuse
SET parallel_dblink.keep_conns = '1min';
CREATE TABLE t89k.first AS
SELECT task_id, conn_name, result::integer AS pid FROM pdb_run(ARRAY['SELECT pg_backend_pid()', 'SELECT pg_backend_pid()'], 2);
SELECT is(cardinality(pg_temp.kept()), 2, 'with keep_conns, the call''s 2 connections stay open');
SELECT is(pg_temp.kept_workers(), 2::bigint, 'pdb_activity shows their workers as kept and idle, with no query');
CREATE TABLE t89k.second AS
SELECT task_id, conn_name, result::integer AS pid FROM pdb_run(ARRAY['SELECT pg_backend_pid()', 'SELECT pg_backend_pid()'], 2);
SELECT is(ARRAY(SELECT conn_name || pid FROM t89k.second ORDER BY 1), ARRAY(SELECT conn_name || pid FROM t89k.first ORDER BY 1),
          'the next call runs on the same connections and workers');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 3)), 3::bigint,
          'a call that wants more takes the kept ones and opens the rest');
SELECT is(cardinality(pg_temp.kept()), 3, 'and keeps all three');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'], 1)), 1::bigint, 'a call that wants fewer takes what it needs');
SELECT is(cardinality(pg_temp.kept()), 3, 'the others stay kept');

-- nothing crosses from one call to the next
SELECT is(pdb_close_conns(), 3, 'pdb_close_conns closes the kept connections');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'all of them');
CREATE TABLE t89k.dirty AS
SELECT task_id, status, conn_name FROM pdb_run(ARRAY['SET work_mem = ''77MB''', 'CREATE TEMP TABLE t89k_tmp (i int)',
                                                     'SELECT pg_advisory_lock(89089)', 'PREPARE t89k_p AS SELECT 1',
                                                     'LISTEN t89k_channel'], 1);
SELECT is(ARRAY(SELECT DISTINCT status FROM t89k.dirty), ARRAY['ok'], 'a call leaves a setting, a temp table, '
          'an advisory lock, a prepared statement and a LISTEN on its connection');
SELECT is(pg_temp.kept_workers(), 1::bigint, 'its connection is kept, once reset');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 89089), 0::bigint,
          'the kept connection holds no advisory lock of a task');
CREATE TABLE t89k.clean AS
SELECT task_id, result, conn_name FROM pdb_run(ARRAY['SHOW work_mem', 'SELECT to_regclass(''pg_temp.t89k_tmp'') IS NULL',
                                                     'SELECT count(*) FROM pg_prepared_statements',
                                                     'SELECT count(*) FROM pg_listening_channels()',
                                                     'SELECT pg_try_advisory_lock(89089) AND pg_advisory_unlock(89089)'], 1);
SELECT is((SELECT DISTINCT conn_name FROM t89k.clean), (SELECT DISTINCT conn_name FROM t89k.dirty),
          'the next call runs on that connection');
SELECT is(ARRAY(SELECT result FROM t89k.clean ORDER BY task_id),
          ARRAY[current_setting('work_mem'), 't', '0', '0', 't'],
          'and finds none of it');
SELECT is((SELECT result FROM pdb_run(ARRAY['SHOW work_mem'], 1, setup => ARRAY['SET work_mem = ''5MB'''])), '5MB',
          'setup runs on a kept connection');
SELECT isnt((SELECT result FROM pdb_run(ARRAY['SHOW work_mem'], 1)), '5MB', 'and is gone for the next call');

-- a connection of a kept connection's name that was not reset (a call cut short leaves such) is closed,
-- not taken
SELECT is(pdb_close_conns(), 1, 'one connection was kept');
SELECT dblink_connect(format('pdb_%s_999_1', pg_backend_pid()) || _pdb_kept_key(_pdb_default_connstr()),
                      _pdb_default_connstr());
SELECT dblink_exec(format('pdb_%s_999_1', pg_backend_pid()) || _pdb_kept_key(_pdb_default_connstr()),
                   'SET work_mem = ''77MB''');
SELECT is((SELECT conn_name || ' ' || result FROM pdb_run(ARRAY['SHOW work_mem'], 1)),
          format('pdb_%s_%s_1', pg_backend_pid(), currval('pg_temp._pdb_calls')) || _pdb_kept_key(_pdb_default_connstr())
          || ' ' || current_setting('work_mem'),
          'a call does not take a connection of that name that was not reset, and opens its own');
SELECT is(pg_temp.kept(), ARRAY[format('pdb_%s_%s_1', pg_backend_pid(), currval('pg_temp._pdb_calls'))
                                || _pdb_kept_key(_pdb_default_connstr())],
          'and closes the other');

-- a kept connection whose reset failed (a transaction was open on its worker) is closed, not taken
SELECT is(pdb_close_conns(), 1, 'one connection was kept');
SELECT dblink_connect(format('pdb_%s_998_1', pg_backend_pid()) || _pdb_kept_key(_pdb_default_connstr()),
                      _pdb_default_connstr());
SELECT dblink_exec(format('pdb_%s_998_1', pg_backend_pid()) || _pdb_kept_key(_pdb_default_connstr()), 'BEGIN');
SELECT dblink_send_query(format('pdb_%s_998_1', pg_backend_pid()) || _pdb_kept_key(_pdb_default_connstr()),
                         _pdb_kept_reset('1min'));
SELECT is((SELECT conn_name FROM pdb_run(ARRAY['SELECT 1'], 1)),
          format('pdb_%s_%s_1', pg_backend_pid(), currval('pg_temp._pdb_calls')) || _pdb_kept_key(_pdb_default_connstr()),
          'a call does not take a connection whose reset failed, and opens its own');
SELECT is(pg_temp.kept(), ARRAY[format('pdb_%s_%s_1', pg_backend_pid(), currval('pg_temp._pdb_calls'))
                                || _pdb_kept_key(_pdb_default_connstr())],
          'and closes the other');

-- roles
CREATE ROLE t89k_other SUPERUSER LOGIN;
CREATE TABLE t89k.before AS SELECT pg_temp.kept() AS k;
SET ROLE t89k_other;
CREATE TABLE t89k.other AS SELECT conn_name, result FROM pdb_run(ARRAY['SELECT current_user'], 1);
RESET ROLE;
SELECT is((SELECT result FROM t89k.other), 't89k_other', 'after SET ROLE, the call runs as that role');
SELECT ok((SELECT NOT conn_name = ANY (k) FROM t89k.other, t89k.before), 'on a connection of its own, not the one kept');
SELECT is((SELECT conn_name || ' ' || result FROM pdb_run(ARRAY['SELECT current_user'], 1)),
          (SELECT k[1] FROM t89k.before) || ' ' || current_user,
          'back to the first role, the call takes its own kept connection again');
SELECT is(cardinality(pg_temp.kept()), 2, 'each role''s connection is kept');

-- failures and cancels
SELECT is(pdb_close_conns(), 2, 'pdb_close_conns closes both roles'' connections');
SELECT is((SELECT status FROM pdb_run(ARRAY['SELECT 1/0'], 1)), 'error', 'a task fails');
SELECT is(cardinality(pg_temp.kept()), 1, 'its connection is kept (a task''s error is an outcome)');
SELECT is((SELECT e[1] FROM pg_temp.error_of(NULL, $$SELECT * FROM pdb_run(ARRAY['SELECT 1/0'], 1, strict => true)$$) AS e),
          '22012', 'a strict call raises its task''s error');
SELECT is(cardinality(pg_temp.kept()), 1, 'and keeps its clean connection');
SELECT is((SELECT e[1] FROM pg_temp.error_of(NULL, format($$SELECT * FROM pdb_run(ARRAY['SELECT pg_sleep(0.2), pg_cancel_backend(%s)',
                                                                                        'SELECT pg_sleep(5)'], 2)$$,
                                                                  pg_backend_pid())) AS e),
          '57014', 'a call is cancelled');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'it keeps nothing: its connections are closed');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)), 2::bigint, 'the next call opens new ones');

-- the budget: a kept connection keeps one of its locks
SET parallel_dblink.max_total_conns = 3;
SELECT is(pdb_close_conns(), 2, 'the 2 connections kept are closed');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)), 2::bigint, 'a call under max_total_conns');
SELECT is(pg_temp.budget_locks(), 2::bigint, 'its 2 kept connections hold 2 of the budget''s locks');
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4'], 4)), 4::bigint,
          'a call that wants 4 gets the 2 kept and 1 more');
SELECT is(pg_temp.budget_locks(), 3::bigint, 'and keeps 3, holding the whole budget');
SELECT is(pdb_close_conns(), 3, 'pdb_close_conns closes the 3 kept connections');
SELECT is(pg_temp.budget_locks(), 0::bigint, 'and gives back their locks');
RESET parallel_dblink.max_total_conns;

-- idle expiry, and keep_conns 0
SET parallel_dblink.keep_conns = '1s';
CREATE TABLE t89k.short AS SELECT result::integer AS pid FROM pdb_run(ARRAY['SELECT pg_backend_pid()'], 1);
SELECT pg_sleep(1.5);
SELECT is(pg_temp.until(format('SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s)', (SELECT pid FROM t89k.short))),
          current_setting('server_version_num')::integer >= 140000,
          'a kept connection idle longer than keep_conns ends (its worker''s idle_session_timeout, 14 and later)');
SELECT is((SELECT status FROM pdb_run(ARRAY['SELECT 1'], 1)), 'ok', 'the next call replaces it silently');
SET parallel_dblink.keep_conns = 0;
SELECT is((SELECT status FROM pdb_run(ARRAY['SELECT 1'], 1)), 'ok', 'a call with keep_conns 0');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'closes what was kept');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left');

RESET parallel_dblink.keep_conns;
DROP SCHEMA t89k CASCADE;
DROP ROLE t89k_other;
SELECT * FROM finish();
