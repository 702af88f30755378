/*
 * _pdb_batch(tasks text[], tags text[], path text) RETURNS text[]
 *
 * Runs a batch of tasks on a worker connection to this database, one after
 * the other in the transaction of the statement that calls it, and returns
 * each task's result as pdb_run reports it. pdb_run sends
 * 'SELECT _pdb_batch(...)' instead of the tasks joined by ';': the batch then
 * has one result instead of one per task, which the coordinator reads for a
 * fraction of the cost. _pdb_classify says which tasks may come here (tag).
 *
 *   tags[i] ''     task i returns rows (SELECT, VALUES, TABLE): its result is
 *                  the first column of its first row, as text, if it has one
 *                  column (NULL for no rows or several columns), as dblink
 *                  would show it
 *   tags[i] other  a command without RETURNING ('INSERT 0 ', 'UPDATE ',
 *                  'DELETE ', 'MERGE '): its result is its command tag, this
 *                  prefix and its row count
 *   path           the search_path of the connection that calls it (an
 *                  argument, so evaluated before this function's SET clause
 *                  applies)
 *
 * The tasks run in path, as they would sent alone. The rest of the function
 * runs in its pinned search_path, except the loop that runs the tasks, where
 * every name is schema-qualified, so that the path is switched once per
 * batch, not twice per task. Any error ends the statement, so nothing of the
 * batch takes effect; pdb_run then runs each task alone.
 */
CREATE FUNCTION @extschema@._pdb_batch(tasks text[], tags text[], path text)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n    integer := coalesce(cardinality(tasks), 0);
    v_out  text[]  := array_fill(NULL::text, ARRAY[v_n]);
    v_row  record;
    v_rows bigint;
BEGIN
    IF cardinality(tags) IS DISTINCT FROM v_n OR array_lower(tasks, 1) <> 1 OR array_lower(tags, 1) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks and tags must be arrays of the same length, from 1';
    END IF;
    PERFORM set_config('search_path', path, true);
    FOR v_i IN 1..v_n LOOP
        IF tags[v_i] OPERATOR(pg_catalog.=) '' THEN
            EXECUTE tasks[v_i] INTO v_row;  -- (every row is computed; the first is kept)
            v_out[v_i] := v_row::pg_catalog.text;
        ELSE
            EXECUTE tasks[v_i];
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_out[v_i] := v_rows::pg_catalog.text;
        END IF;
    END LOOP;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    -- a row's text is (a,b,...); a field is quoted, with "" and \\ inside,
    -- when it needs it (empty, or with a quote, backslash, parenthesis, comma
    -- or white space), and empty when NULL. One field: its value; more: NULL.
    -- Without a quote no field is quoted, so a comma separates fields: most
    -- rows are read so, the regular expression (2 us a task) is for the rest.
    RETURN ARRAY(
        SELECT CASE WHEN t.tag <> '' THEN t.tag || t.out
                    WHEN strpos(t.out, '"') = 0 THEN
                         CASE WHEN strpos(t.out, ',') = 0 THEN nullif(substr(t.out, 2, length(t.out) - 2), '') END
                    ELSE (SELECT CASE WHEN m.f[1] IS NOT NULL THEN regexp_replace(m.f[1], E'(["\\\\])\\1', E'\\1', 'g')
                                      ELSE nullif(m.f[2], '') END
                            FROM regexp_match(t.out, E'^\\((?:"((?:[^"]|"")*)"|([^,"]*))\\)$') AS m(f)) END
          FROM unnest(tags, v_out) WITH ORDINALITY AS t(tag, out, o)
         ORDER BY t.o);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_batch(text[], text[], text) IS
'internal: run a batch of tasks in one statement on a worker connection, and return their results';
