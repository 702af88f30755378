\unset ECHO
\i test/setup.sql

-- Throttles: parallel_dblink.max_replica_lag, max_active, throttle_query and nice (a real standby, an
-- unused slot and pgbench's load: tools/tests/test_throttle.py).
SELECT plan(20);

-- the settings, checked when a call starts, before anything runs
CREATE FUNCTION pg_temp.with_setting(name text, value text, sql text) RETURNS text[]
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('parallel_dblink.' || name, value, true);
    RETURN pg_temp.error_of(NULL, sql);
END
$$;
BEGIN;
SELECT is((pg_temp.with_setting('max_replica_lag', '64', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[1:2],
          ARRAY['22023', 'parallel_dblink.max_replica_lag must be a size or a time'],
          'max_replica_lag without a unit: 22023');
ROLLBACK;
BEGIN;
SELECT is((pg_temp.with_setting('max_active', '0', $$SELECT count(*) FROM pdb_query(NULL::int, ARRAY['SELECT 1'])$$))[1:2],
          ARRAY['22023', 'parallel_dblink.max_active must be a number of sessions, at least 1'],
          'max_active 0: 22023, in pdb_query too');
ROLLBACK;
BEGIN;
SELECT is((pg_temp.with_setting('nice', '-1', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[1:2],
          ARRAY['22023', 'parallel_dblink.nice must be a number, zero or more'], 'nice -1: 22023');
ROLLBACK;
BEGIN;
SELECT is((pg_temp.with_setting('throttle_query', 'SELECT 1/0', $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[1:2],
          ARRAY['22012', 'parallel_dblink.throttle_query failed: division by zero'],
          'a throttle_query that fails: its error, naming the setting, before any task');
ROLLBACK;
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'and nothing was opened');

-- a role that cannot see the standbys or the other sessions is told so, never silently unthrottled
CREATE ROLE pdb86_plain;
GRANT USAGE ON SCHEMA public TO pdb86_plain;
BEGIN;
SELECT is((pg_temp.with_setting('max_replica_lag', '64MB',
                                $$SET LOCAL ROLE pdb86_plain; SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[1:4],
          ARRAY['42501', 'parallel_dblink.max_replica_lag needs a role that sees the whole server',
                'Role pdb86_plain cannot see the standbys'' LSNs in pg_stat_replication: only members of '
                'pg_read_all_stats (or pg_monitor) can.', 'GRANT pg_monitor TO pdb86_plain; or RESET the setting.'],
          'max_replica_lag for a role without pg_read_all_stats: 42501 with a HINT');
ROLLBACK;
BEGIN;
SELECT is((pg_temp.with_setting('max_active', '10',
                                $$SET LOCAL ROLE pdb86_plain; SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])$$))[1],
          '42501', 'max_active too');
ROLLBACK;
GRANT pg_monitor TO pdb86_plain;
BEGIN;
SET LOCAL parallel_dblink.max_replica_lag = '64MB';
SET LOCAL ROLE pdb86_plain;
SELECT is((_pdb_throttle_settings()).lag_bytes, 67108864::numeric, 'a member of pg_monitor may: 64MB read as bytes');
ROLLBACK;
BEGIN;
SET LOCAL parallel_dblink.max_replica_lag = '5s';
SELECT is((_pdb_throttle_settings()).lag_time, interval '5 seconds', '5s read as a time');
ROLLBACK;

-- throttle_query: no task starts while it is true (here: for the first 0.4 s of the call); it runs in the
-- caller's transaction, so it reads the clock with clock_timestamp(), not now()
CREATE TEMP TABLE t86 AS SELECT clock_timestamp() + interval '0.4 s' AS until;
SELECT set_config('parallel_dblink.throttle_query',
                  format('SELECT clock_timestamp() < %L::timestamptz', (SELECT until FROM t86)), false) IS NOT NULL
       AS throttle_set \gset
CREATE TEMP TABLE r86 AS SELECT * FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3'], 2);
RESET parallel_dblink.throttle_query;
SELECT is((SELECT count(*) FROM r86 WHERE status = 'ok'), 3::bigint, 'every task ran once the query said false');
SELECT ok((SELECT min(started_at) FROM r86) >= (SELECT until FROM t86), 'and none started before');

-- the same throttle holds pdb_query and a durable job's runner
UPDATE t86 SET until = clock_timestamp() + interval '0.4 s';
SELECT set_config('parallel_dblink.throttle_query',
                  format('SELECT clock_timestamp() < %L::timestamptz', (SELECT until FROM t86)), false) IS NOT NULL
       AS throttle_set \gset
CREATE TEMP TABLE q86 AS SELECT ran FROM pdb_query(NULL::timestamptz, ARRAY['SELECT clock_timestamp()',
                                                                         'SELECT clock_timestamp()']) AS ran;
SELECT pdb_job_submit(ARRAY['SELECT 1', 'SELECT 2']) AS job86 \gset
CREATE TEMP TABLE j86 AS SELECT * FROM pdb_job_run(:job86);
RESET parallel_dblink.throttle_query;
SELECT is((SELECT count(*) FROM q86), 2::bigint, 'pdb_query: its rows, once the query said false');
SELECT ok((SELECT min(ran) FROM q86) >= (SELECT until FROM t86), 'no query of it ran before');
SELECT ok((SELECT bool_and(status = 'ok') AND min(started_at) >= (SELECT until FROM t86) FROM j86),
          'pdb_job_run: every task ran, none before');

-- nice: after each task its connection rests that multiple of the task's time
SET parallel_dblink.nice = 2;
CREATE TEMP TABLE n86 AS SELECT * FROM pdb_run(ARRAY['SELECT pg_sleep(0.1)', 'SELECT pg_sleep(0.1)'], 1);
RESET parallel_dblink.nice;
SELECT ok((SELECT max(started_at) - min(finished_at) FROM n86) >= interval '0.18 s',
          'nice 2: a connection rests twice the time of its task before the next');
SELECT is((SELECT count(*) FROM n86 WHERE status = 'ok'), 2::bigint, 'and both tasks ran');

-- while a call is throttled, pdb_activity says why, on the rows of its workers
SELECT dblink_connect('t86', _pdb_default_connstr()) AS t86_connected \gset
SELECT dblink_exec('t86', format('SET parallel_dblink.throttle_query = %L',
                                 format('SELECT clock_timestamp() < %L::timestamptz', clock_timestamp() + interval '2 s')))
       AS t86_set \gset
SELECT pid AS t86_pid FROM dblink('t86', 'SELECT pg_backend_pid()') AS x(pid integer) \gset
SELECT dblink_send_query('t86', 'SELECT count(*) FROM pdb_run(ARRAY[''SELECT 1'', ''SELECT 2''], 2)') AS t86_sent \gset
CREATE FUNCTION pg_temp.throttled_of(caller integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_why text;
BEGIN
    FOR i IN 1..150 LOOP
        PERFORM pg_stat_clear_snapshot();
        v_why := (SELECT max(throttled) FROM pdb_activity WHERE caller_pid = caller);
        EXIT WHEN v_why IS NOT NULL;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN v_why;
END
$$;
SELECT is(pg_temp.throttled_of(:t86_pid), 'throttle_query', 'pdb_activity: throttled by throttle_query');
SELECT is((SELECT count(*) FROM pdb_activity WHERE caller_pid = :t86_pid AND state = 'idle'), 2::bigint,
          'its two workers wait, idle');
SELECT is(r, '2', 'the call ends once the query says false') FROM dblink_get_result('t86') AS x(r text);
SELECT dblink_disconnect('t86') AS t86_closed \gset

SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

DROP OWNED BY pdb86_plain;
DROP ROLE pdb86_plain;
SELECT * FROM finish();
