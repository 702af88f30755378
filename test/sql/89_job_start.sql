\unset ECHO
\i test/setup.sql

-- pdb_job_start refuses what could only fail on every run of its schedule. Its runs under pg_cron
-- (a crash, a failed task, a cancel) are tested on a cluster that preloads pg_cron:
-- tools/tests/test_background.py.
CREATE SCHEMA t89;
CREATE TABLE t89.jobs AS
SELECT pdb_job_submit(ARRAY['SELECT 1'], 'to start') AS pending,
       pdb_job_submit(ARRAY['SELECT 2'], 'to cancel') AS cancelled,
       pdb_job_submit(ARRAY['SELECT 3'], 'to finish') AS done;
SELECT pdb_job_cancel((SELECT cancelled FROM t89.jobs)) AS c \gset
SELECT count(*) AS n FROM pdb_job_run((SELECT done FROM t89.jobs)) \gset
CREATE TABLE t89.hint (hint text);
DO $$
DECLARE
    v_hint text;
BEGIN
    PERFORM pdb_job_start((SELECT pending FROM t89.jobs));
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    INSERT INTO t89.hint VALUES (v_hint);
END
$$;

SELECT plan(9);

SELECT throws_ok($$SELECT pdb_job_start(NULL)$$, '22004', 'job_id must not be null', 'job_id NULL: 22004');
SELECT throws_ok($$SELECT pdb_job_start(-1)$$, '42704', 'job -1 does not exist', 'no such job: 42704');
SELECT throws_ok(format('SELECT pdb_job_start(%s, 0)', (SELECT pending FROM t89.jobs)), '22023',
                 'max_conns must be at least 1', 'max_conns 0: 22023');
SELECT throws_ok(format('SELECT pdb_job_start(%s, retries => -1)', (SELECT pending FROM t89.jobs)), '22023',
                 'retries must be at least 0', 'retries below 0: 22023');
SELECT throws_ok(format($$SELECT pdb_job_start(%s, 2, 'dbname=x password=s3cret')$$, (SELECT pending FROM t89.jobs)),
                 '28000', 'pdb_job_start does not take a connstr with a password',
                 'a password in connstr: 28000 (pg_cron would keep it in cron.job and log it)');
SELECT throws_ok(format('SELECT pdb_job_start(%s)', (SELECT cancelled FROM t89.jobs)), '55000',
                 format('job %s is cancelled', (SELECT cancelled FROM t89.jobs)), 'a cancelled job: 55000');
SELECT throws_ok(format('SELECT pdb_job_start(%s)', (SELECT done FROM t89.jobs)), '55000',
                 format('job %s is done', (SELECT done FROM t89.jobs)), 'a done job: 55000');
SELECT throws_ok(format('SELECT pdb_job_start(%s)', (SELECT pending FROM t89.jobs)), '55000',
                 'pg_cron is not installed in this database', 'no pg_cron here: 55000');
SELECT ok((SELECT hint LIKE 'Add pg_cron to shared_preload_libraries, set cron.database_name = %, restart, and '
                            'CREATE EXTENSION pg_cron here; or run the job yourself: CALL pdb_job_exec(%).'
             FROM t89.hint), 'with a HINT that says how to get it, or how to run the job without it');

SELECT * FROM finish();
