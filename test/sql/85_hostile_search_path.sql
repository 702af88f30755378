\unset ECHO
\i test/setup.sql

-- A hostile search_path puts look-alike functions and operators before
-- pg_catalog. pdb_run pins its own search_path, so none of them runs.
CREATE SCHEMA evil;
CREATE TABLE evil.calls (fn text);
CREATE FUNCTION evil.trap(fn text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evil.calls VALUES (fn);
END
$$;
CREATE FUNCTION evil.cardinality(anyarray) RETURNS int LANGUAGE sql AS $$ SELECT evil.trap('cardinality'); SELECT 0 $$;
CREATE FUNCTION evil.array_position(anyarray, anyelement) RETURNS int LANGUAGE sql AS $$ SELECT evil.trap('array_position'); SELECT 1 $$;
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS $$ SELECT evil.trap('unnest'); SELECT NULL::anyelement WHERE false $$;
CREATE FUNCTION evil.least(double precision, double precision) RETURNS double precision LANGUAGE sql AS $$ SELECT evil.trap('least'); SELECT 10.0::double precision $$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$ SELECT evil.trap('clock_timestamp'); SELECT now() $$;
CREATE FUNCTION evil.length(text) RETURNS int LANGUAGE sql AS $$ SELECT evil.trap('length'); SELECT 0 $$;
CREATE FUNCTION evil.current_setting(text) RETURNS text LANGUAGE sql AS $$ SELECT evil.trap('current_setting'); SELECT 'x' $$;
CREATE FUNCTION evil.dblink_send_query(text, text) RETURNS int LANGUAGE sql AS $$ SELECT evil.trap('dblink_send_query'); SELECT 0 $$;
CREATE FUNCTION evil.dblink_is_busy(text) RETURNS int LANGUAGE sql AS $$ SELECT evil.trap('dblink_is_busy'); SELECT 1 $$;
CREATE FUNCTION evil.text_eq(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.trap('='); SELECT false $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE TABLE evil._pdb_conns (call_id bigint, slot int, conn_name text, worker_pid int, opened_at timestamptz);

SELECT plan(6);

-- (pgTAP itself does not pin its search_path: no assertion runs while hostile)
SET search_path = evil, pg_catalog, public;
CREATE TEMP TABLE sanity AS SELECT cardinality(ARRAY[1, 2]) AS n;
DELETE FROM evil.calls;
CREATE TEMP TABLE r AS SELECT * FROM public.pdb_run(ARRAY['SELECT 1', 'SELECT 2', 'SELECT 3/0'], 2);
RESET search_path;
-- workers in that search_path: a batch runs through _pdb_batch, whose tasks use the path of the connection
CREATE TEMP TABLE rb AS
SELECT * FROM pdb_run(ARRAY['SELECT 1', 'SELECT ''a''', 'UPDATE evil.calls SET fn = fn WHERE false'], 1, batch_size => 3,
                      setup => ARRAY['SET search_path = evil, pg_catalog, public']);

SELECT is((SELECT n FROM sanity), 0, 'the hostile search_path was in effect for the caller');

SELECT is(ARRAY(SELECT status || ':' || coalesce(result, sqlstate) FROM r ORDER BY task_id),
          ARRAY['ok:1', 'ok:2', 'error:22012'], 'pdb_run gives the right results under a hostile search_path');
SELECT is(ARRAY(SELECT status || ':' || coalesce(result, sqlstate) FROM rb ORDER BY task_id),
          ARRAY['ok:1', 'ok:a', 'ok:UPDATE 0'], 'a batch through _pdb_batch in a hostile search_path gives the right results');
SELECT is((SELECT count(DISTINCT started_at) FROM rb), 1::bigint, 'sent as one batch');
SELECT is_empty('SELECT fn FROM evil.calls', 'and called none of the look-alikes');
SELECT is(pg_temp.pdb_conns_left(), 0::bigint, 'and left nothing open');

SELECT * FROM finish();
DROP SCHEMA evil CASCADE;
