\unset ECHO
\i test/setup.sql

-- Live control of a running call: pdb_pause, pdb_resume, pdb_set_conns (a call run in the background
-- through dblink); the job's kin and REPEATABLE READ callers: tools/tests/test_control.py.
SELECT plan(20);

-- mistakes, each with its SQLSTATE, and a context that names only the function called
SELECT is((pg_temp.error_of(NULL, 'SELECT pdb_pause(NULL)'))[1:2], ARRAY['22004', 'pdb_pause needs a caller_pid'],
          'pdb_pause(NULL): 22004');
SELECT is((pg_temp.error_of(NULL, 'SELECT pdb_set_conns(pg_backend_pid(), 0)'))[1:3],
          ARRAY['22023', 'max_conns must be at least 1', 'max_conns is 0.'], 'pdb_set_conns to 0: 22023');
SELECT is((pg_temp.error_of(NULL, 'SELECT pdb_resume(pg_backend_pid())'))[1],
          '42704', 'no call runs in that session: 42704');
SELECT is((pg_temp.error_of(NULL, 'SELECT pdb_job_pause(-1)'))[1:2], ARRAY['42704', 'job -1 does not exist'],
          'no such job: 42704');
SELECT doesnt_match((pg_temp.error_of(NULL, 'SELECT pdb_job_set_conns(-1, 2)'))[5], '\m_pdb_',
                    'no internal function in the context');

-- a call in the background: 24 tasks of 0.4 s on 2 connections
SELECT dblink_connect('t87', _pdb_default_connstr()) AS t87_connected \gset
SELECT pid AS t87_pid FROM dblink('t87', 'SELECT pg_backend_pid()') AS x(pid integer) \gset
-- (under a budget of 3: growing to 3 connections takes a third lock, not one of its own again)
SELECT dblink_exec('t87', 'SET parallel_dblink.max_total_conns = 3') AS t87_budget \gset
SELECT dblink_send_query('t87', format('SELECT string_agg(status, %L) FROM pdb_run(%L::text[], 2)', ',',
                                       array_fill('SELECT pg_sleep(0.4)'::text, ARRAY[24]))) AS t87_sent \gset
SELECT ok(pg_temp.until(format('SELECT count(*) = 2 FROM pdb_activity WHERE caller_pid = %s AND state = %L',
                               :t87_pid, 'active')), 'the call runs on 2 connections');

-- who may: as pg_cancel_backend (the call is a superuser's: a plain role, even in pg_signal_backend, may not)
CREATE ROLE pdb87_plain;
GRANT pg_signal_backend TO pdb87_plain;
SELECT is((pg_temp.error_of('pdb87_plain', format('SELECT pdb_pause(%s)', :t87_pid)))[1:2],
          ARRAY['42501', format('permission denied for pdb_pause of the call of session %s', :t87_pid)],
          'a role without the privileges of the caller''s: 42501');

SELECT ok(pdb_pause(:t87_pid), 'pdb_pause');
SELECT ok(pg_temp.until(format('SELECT count(*) = 0 FROM pdb_activity WHERE caller_pid = %s AND state = %L',
                               :t87_pid, 'active')), 'within a second or so no task runs');
SELECT ok(pg_temp.until(format('SELECT max(throttled) = %L FROM pdb_activity WHERE caller_pid = %s', 'paused', :t87_pid)),
          'and pdb_activity says it is paused');
-- samples of an active worker of the call over a second
CREATE FUNCTION pg_temp.active_samples(caller integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_seen integer := 0;
BEGIN
    FOR i IN 1..50 LOOP
        PERFORM pg_stat_clear_snapshot();
        v_seen := v_seen + (SELECT count(*) FROM pdb_activity WHERE caller_pid = caller AND state = 'active')::integer;
        PERFORM pg_sleep(0.02);
    END LOOP;
    RETURN v_seen;
END
$$;
SELECT is(pg_temp.active_samples(:t87_pid), 0, 'and no task starts while it is');

SELECT ok(pdb_set_conns(:t87_pid, 3), 'pdb_set_conns to 3');
SELECT ok(pdb_resume(:t87_pid), 'pdb_resume');
SELECT ok(pg_temp.until(format('SELECT count(*) = 3 FROM pdb_activity WHERE caller_pid = %s AND state = %L',
                               :t87_pid, 'active')), 'it goes on, on 3 connections');
SELECT is((SELECT count(*) FROM pg_locks WHERE pid = :t87_pid AND locktype = 'advisory'
                   AND classid = 1885627490::bigint::oid AND objsubid = 2), 3::bigint,
          'holding 3 locks of parallel_dblink.max_total_conns');
SELECT ok(pdb_set_conns(:t87_pid, 1), 'pdb_set_conns to 1');
SELECT ok(pg_temp.until(format('SELECT count(*) = 1 FROM pdb_activity WHERE caller_pid = %s', :t87_pid)),
          'the connections over 1 close as their tasks end');
SELECT is(r, array_to_string(array_fill('ok'::text, ARRAY[24]), ','), 'every task ran once')
  FROM dblink_get_result('t87') AS x(r text);
SELECT dblink_disconnect('t87') AS t87_closed \gset

SELECT is((SELECT count(*) FROM pdb_run_control WHERE caller_pid = :t87_pid), 1::bigint,
          'pdb_run_control holds what was asked of that session''s calls');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

DROP ROLE pdb87_plain;
SELECT * FROM finish();
