\unset ECHO
\i test/setup.sql

-- the transaction rules: tasks commit on their own, do not see the caller's
-- uncommitted changes, and survive the caller's rollback
CREATE SCHEMA t40;
CREATE TABLE t40.t (id int);

CREATE FUNCTION t40.insert_then_count() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO t40.t VALUES (99);  -- not committed while pdb_run runs
    RETURN (SELECT result FROM pdb_run(ARRAY['SELECT count(*) FROM t40.t WHERE id = 99']));
END
$$;

CREATE FUNCTION t40.run_then_roll_back() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM pdb_run(ARRAY['INSERT INTO t40.t VALUES (7)', 'INSERT INTO t40.t VALUES (7)']);
        RAISE EXCEPTION 'roll back the caller';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END
$$;

CREATE PROCEDURE t40.proc() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pdb_run(ARRAY['INSERT INTO t40.t VALUES (8)', 'SELECT 1'], 2);
END
$$;

CREATE FUNCTION t40.sql_wrapper(text[]) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pdb_run($1, 2) WHERE status = 'ok'
$$;

CREATE FUNCTION t40.loop_calls(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_total bigint := 0;
BEGIN
    FOR i IN 1..n LOOP
        v_total := v_total + (SELECT count(*) FROM pdb_run(ARRAY['SELECT ' || i, 'SELECT 2'], 2) WHERE status = 'ok');
    END LOOP;
    RETURN v_total;
END
$$;

SELECT plan(9);

SELECT is(t40.insert_then_count(), '0', 'tasks do not see the caller''s uncommitted changes');
SELECT is((SELECT count(*) FROM t40.t WHERE id = 99), 1::bigint, 'the caller''s change committed afterwards');

SELECT lives_ok('SELECT t40.run_then_roll_back()', 'the caller rolls back after pdb_run');
SELECT is((SELECT count(*) FROM t40.t WHERE id = 7), 2::bigint, 'the tasks'' commits survive the caller''s rollback');

CALL t40.proc();
SELECT is((SELECT count(*) FROM t40.t WHERE id = 8), 1::bigint, 'pdb_run works from a procedure');

SELECT is(t40.sql_wrapper(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3']), 3::bigint, 'pdb_run works from an SQL function');
SELECT is(t40.loop_calls(5), 10::bigint, 'pdb_run works called in a loop');

BEGIN;
SELECT is((SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2) WHERE status = 'ok'), 2::bigint,
          'pdb_run works inside an explicit transaction block');
COMMIT;

SELECT is(pg_temp.pdb_workers_left(), 0::bigint, 'no worker backend is left running');

SELECT * FROM finish();
DROP SCHEMA t40 CASCADE;
