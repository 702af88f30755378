\unset ECHO
\i test/setup.sql

-- Tasks that wait for the caller: a lock it holds, or its snapshot (CREATE
-- INDEX CONCURRENTLY). They could never finish: pdb_run fails the first with
-- 40P01, and refuses the second before anything runs (0A000). From another
-- database, CREATE INDEX CONCURRENTLY works (and by CALL pdb_job_exec:
-- 79_job_exec).
CREATE SCHEMA t15;
CREATE TABLE t15.locked (id int);
CREATE TABLE t15.cic (id int);
INSERT INTO t15.cic SELECT generate_series(1, 100);

CREATE FUNCTION t15.lock_then_run() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE t15.locked IN ACCESS EXCLUSIVE MODE;
    RETURN QUERY SELECT r.status || ':' || coalesce(r.sqlstate, '')
                   FROM pdb_run(ARRAY['SELECT count(*) FROM t15.locked', 'SELECT 1']) AS r
                  ORDER BY r.task_id;
END
$$;

DROP DATABASE IF EXISTS pdb_t15_other;
CREATE DATABASE pdb_t15_other;
CREATE TABLE t15.other_conn AS
SELECT format('host=%s port=%s dbname=pdb_t15_other',
              btrim(split_part(current_setting('unix_socket_directories'), ',', 1)),
              current_setting('port')) AS connstr;

SELECT plan(11);

SELECT is(ARRAY(SELECT t15.lock_then_run()), ARRAY['error:40P01', 'ok:'],
          'a task waiting for a lock of the caller fails with 40P01, the others finish');

CREATE TABLE t15.r AS
SELECT pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run(ARRAY['SELECT 1',
                                                                 'CREATE INDEX CONCURRENTLY cic_id ON t15.cic (id)'])$$) AS e;
SELECT is((SELECT e[1] || ': ' || e[2] FROM t15.r),
          '0A000: pdb_run cannot run CONCURRENTLY index commands on the caller''s own database',
          'CREATE INDEX CONCURRENTLY in the caller''s database is refused before anything runs');
SELECT matches((SELECT e[3] FROM t15.r), '^Task 2 builds, drops or rebuilds an index CONCURRENTLY', 'naming the task');
SELECT matches((SELECT e[4] FROM t15.r), 'CALL pdb_job_exec.*another database',
               'and a hint that says what works: a job run by CALL, or another database');
SELECT is((SELECT count(*) FROM pg_class WHERE relname = 'cic_id'), 0::bigint, 'no index, not even an invalid one');
SELECT is((pg_temp.error_of(NULL, $$SELECT count(*) FROM pdb_run_at(ARRAY['REINDEX TABLE CONCURRENTLY t15.cic'],
                                                                     ARRAY[NULL])$$))[1],
          '0A000', 'so is REINDEX CONCURRENTLY by pdb_run_at, with this database as its target');
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker is left');

SELECT is(ARRAY(SELECT status || ':' || result
                  FROM pdb_run(ARRAY['CREATE TABLE cic (id int)',
                                     'CREATE TABLE other (id int)'], 2, (SELECT connstr FROM t15.other_conn))
                 ORDER BY task_id),
          ARRAY['ok:CREATE TABLE', 'ok:CREATE TABLE'], 'connstr reaches another database');
SELECT is(ARRAY(SELECT status || ':' || result
                  FROM pdb_run(ARRAY['INSERT INTO cic SELECT generate_series(1, 1000)'], 1,
                               (SELECT connstr FROM t15.other_conn))),
          ARRAY['ok:INSERT 0 1000'], 'fill the table there');
SELECT is(ARRAY(SELECT status || ':' || result
                  FROM pdb_run(ARRAY['CREATE INDEX CONCURRENTLY cic_id ON cic (id)',
                                     'CREATE INDEX CONCURRENTLY other_id ON other (id)'], 2,
                               (SELECT connstr FROM t15.other_conn))
                 ORDER BY task_id),
          ARRAY['ok:CREATE INDEX', 'ok:CREATE INDEX'],
          'CREATE INDEX CONCURRENTLY works on a database other than the caller''s');
-- (two at once on the same table would deadlock each other, as in any session)
SELECT is(ARRAY(SELECT result
                  FROM pdb_run(ARRAY['SELECT count(*) FILTER (WHERE indisvalid) FROM pg_index WHERE indrelid IN (''cic''::regclass, ''other''::regclass)'],
                               1, (SELECT connstr FROM t15.other_conn))),
          ARRAY['2'], 'and both indexes are valid');

SELECT * FROM finish();
DROP SCHEMA t15 CASCADE;
DROP DATABASE pdb_t15_other WITH (FORCE);
