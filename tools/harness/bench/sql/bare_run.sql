-- The bare loop, a reference of the benchmark, not a way to run tasks: the least a PL/pgSQL
-- coordinator can do per task (send, poll without sleeping, read the first value and the end;
-- no error handling, no bookkeeping). How far pdb_run is from it is what its own work costs.
-- Loaded into the schema bench of the benchmark's cluster; test/sql/92_bench_lint.sql checks it.
CREATE FUNCTION bench.bare_run(tasks text[], max_conns int, connstr text)
RETURNS SETOF text
LANGUAGE plpgsql AS $f$
DECLARE
    v_n     int := cardinality(tasks);
    v_conns int := least(max_conns, v_n);
    v_task  int[] := array_fill(0, ARRAY[v_conns]);  -- what each connection runs, 0: nothing
    v_out   text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_next  int := 1;
    v_done  int := 0;
    v_value text;
BEGIN
    FOR i IN 1..v_conns LOOP
        PERFORM dblink_connect('bare_' || i, connstr);
    END LOOP;
    WHILE v_done < v_n LOOP
        FOR i IN 1..v_conns LOOP
            IF v_task[i] = 0 AND v_next <= v_n THEN
                PERFORM dblink_send_query('bare_' || i, tasks[v_next]);
                v_task[i] := v_next;
                v_next := v_next + 1;
            ELSIF v_task[i] > 0 AND dblink_is_busy('bare_' || i) = 0 THEN
                SELECT r.v INTO v_value FROM dblink_get_result('bare_' || i, true) AS r(v text) LIMIT 1;
                PERFORM FROM dblink_get_result('bare_' || i, true) AS r(v text);
                v_out[v_task[i]] := v_value;
                v_task[i] := 0;
                v_done := v_done + 1;
            END IF;
        END LOOP;
    END LOOP;
    FOR i IN 1..v_conns LOOP
        PERFORM dblink_disconnect('bare_' || i);
    END LOOP;
    RETURN QUERY SELECT u FROM unnest(v_out) AS u;
END
$f$;
