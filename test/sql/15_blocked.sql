\unset ECHO
\i test/setup.sql

-- Tasks that wait for the caller: a lock it holds, or its snapshot (CREATE
-- INDEX CONCURRENTLY). They could never finish; pdb_run fails them with 40P01.
-- From another database, CREATE INDEX CONCURRENTLY works.
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

SELECT plan(9);

SELECT is(ARRAY(SELECT t15.lock_then_run()), ARRAY['error:40P01', 'ok:'],
          'a task waiting for a lock of the caller fails with 40P01, the others finish');

CREATE TABLE t15.r AS
SELECT * FROM pdb_run(ARRAY['CREATE INDEX CONCURRENTLY cic_id ON t15.cic (id)']);
SELECT is((SELECT status || ':' || sqlstate FROM t15.r), 'error:40P01',
          'CREATE INDEX CONCURRENTLY in the caller''s database fails with 40P01 instead of hanging');
SELECT is((SELECT error FROM t15.r), 'task waits for a lock held by the transaction that called pdb_run',
          'with a message that says why');
SELECT matches((SELECT hint FROM t15.r), 'call pdb_run from another database', 'and a hint that says what to do');
DROP INDEX IF EXISTS t15.cic_id;
SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'the cancelled worker is gone');

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
