/*
 * _pdb_shape(dblink_schema name, conn text, task text) RETURNS text
 *
 * What the rows of task look like on conn, '(integer, text, date)' or
 * '3 columns', for the error of a pdb_query task whose rows do not fit
 * row_type, found without running the task: conn prepares it and reads the result types of the
 * prepared statement (pg_prepared_statements.result_types, PostgreSQL 16 and
 * later), and deallocates it; before 16, the output list of its plan
 * (EXPLAIN VERBOSE) gives the number of its columns, '3 columns'. NULL when
 * neither works. conn's result was read already; its end is drained first.
 */
CREATE FUNCTION @extschema@._pdb_shape(dblink_schema name, conn text, task text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_exec  text := format('SELECT %I.dblink_exec($1, $2)', dblink_schema);
    v_read  text := format('SELECT s FROM %I.dblink($1, $2) AS r(s text)', dblink_schema);
    v_shape text;
BEGIN
    EXECUTE format('SELECT FROM %I.dblink_get_result($1, false) AS r(v text)', dblink_schema) USING conn;
    BEGIN
        EXECUTE v_exec USING conn, 'PREPARE _pdb_shape AS ' || task;
        EXECUTE v_read INTO v_shape
          USING conn, 'SELECT ''('' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(result_types, '', '') '
                      'OPERATOR(pg_catalog.||) '')'' FROM pg_catalog.pg_prepared_statements '
                      'WHERE name OPERATOR(pg_catalog.=) ''_pdb_shape''';
    EXCEPTION WHEN others THEN
        v_shape := NULL;  -- (no result_types before PostgreSQL 16)
    END;
    EXECUTE v_exec USING conn, 'DEALLOCATE ALL';
    IF v_shape IS NULL THEN
        -- the plan's output list, without types
        EXECUTE format('SELECT pg_catalog.json_array_length(j -> 0 -> ''Plan'' -> ''Output'') '
                       'FROM %I.dblink($1, $2) AS r(j json)', dblink_schema) INTO v_shape
          USING conn, 'EXPLAIN (VERBOSE, FORMAT JSON) ' || task;
        v_shape := v_shape || ' columns';
    END IF;
    RETURN v_shape;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_shape(name, text, text) IS
'internal: the column types of a task''s rows, for an error message';
