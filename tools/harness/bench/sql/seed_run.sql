-- The seed recipe as a contender of the benchmark: the manual dblink loop of the seed
-- document, one new named connection per task (dblink_connect, dblink_send_query, a
-- dblink_is_busy loop that sleeps 10 ms when nothing ended, dblink_get_result,
-- dblink_error_message, dblink_disconnect), at most max_conns at a time.
-- Loaded into the schema bench of the benchmark's cluster; test/sql/92_bench_lint.sql checks it.
CREATE FUNCTION bench.seed_run(tasks text[], max_conns int, connstr text)
RETURNS TABLE (task_id int, ok boolean, result text, error text)
LANGUAGE plpgsql AS $f$
DECLARE
    v_names text[] := ARRAY[]::text[];   -- open connections, one per running task
    v_ids   int[]  := ARRAY[]::int[];
    v_keep_names text[];
    v_keep_ids   int[];
    v_next  int := 1;
    v_name  text;
    v_err   text;
BEGIN
    LOOP
        -- a new connection for every task, while fewer than max_conns run
        WHILE v_next <= cardinality(tasks) AND cardinality(v_names) < max_conns LOOP
            v_name := 'seed_' || v_next;
            PERFORM dblink_connect(v_name, connstr);
            PERFORM dblink_send_query(v_name, tasks[v_next]);
            v_names := v_names || v_name;
            v_ids := v_ids || v_next;
            v_next := v_next + 1;
        END LOOP;
        EXIT WHEN cardinality(v_names) = 0;
        -- collect the tasks that ended and close their connections
        v_keep_names := ARRAY[]::text[];
        v_keep_ids := ARRAY[]::int[];
        FOR i IN 1..cardinality(v_names) LOOP
            IF dblink_is_busy(v_names[i]) = 0 THEN
                result := NULL;
                SELECT r INTO result FROM dblink_get_result(v_names[i], false) AS t(r text) LIMIT 1;
                v_err := dblink_error_message(v_names[i]);
                PERFORM dblink_disconnect(v_names[i]);
                task_id := v_ids[i];
                ok := v_err = 'OK';
                error := nullif(v_err, 'OK');
                RETURN NEXT;
            ELSE
                v_keep_names := v_keep_names || v_names[i];
                v_keep_ids := v_keep_ids || v_ids[i];
            END IF;
        END LOOP;
        IF cardinality(v_keep_names) = cardinality(v_names) THEN
            PERFORM pg_sleep(0.01);
        END IF;
        v_names := v_keep_names;
        v_ids := v_keep_ids;
    END LOOP;
END
$f$;
