/*
 * _pdb_queries(tasks text[], row_type regtype, caller text) RETURNS text[]
 *
 * Checks the tasks of pdb_query and pdb_query_at before anything runs, and
 * returns them as they are sent. Each task must be one query, a statement
 * that returns rows: SELECT (not SELECT INTO), VALUES, TABLE, WITH, or
 * INSERT, UPDATE, DELETE or MERGE with RETURNING. Its words are read without
 * its strings and comments (_pdb_code); trailing semicolons are allowed.
 * A task that pdb_tasks made to read under its snapshot
 *     BEGIN ISOLATION LEVEL REPEATABLE READ;
 *     SET TRANSACTION SNAPSHOT '...';
 *     <query>
 *     ;
 *     COMMIT
 * is checked (and wrapped) by its query.
 * With row_type jsonb each task is sent as
 *     WITH q AS (<task>) SELECT pg_catalog.to_jsonb(q) FROM q
 * so that its rows come back as one jsonb object each, keyed by column name
 * (a WITH whose own WITH holds an INSERT, UPDATE or DELETE cannot be nested
 * so: the server refuses it with 0A000).
 * NULL tasks, or NULL and blank elements, are left to _pdb_check (22004 and
 * 22023).
 * Errors: 0A000 a task of several statements, or one that returns no rows.
 */
CREATE FUNCTION @extschema@._pdb_queries(tasks text[], row_type regtype, caller text)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_snap  CONSTANT text := E'^(BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET TRANSACTION SNAPSHOT ''[^'']*'';\n)(.*)(\n;\nCOMMIT)$';
    v_parts text[];           -- per task: what comes before its query, the query, what comes after
    v_code  text;
    v_word  text;
    v_out   text[] := ARRAY[]::text[];
    v_jsonb boolean := row_type = 'jsonb'::regtype;
BEGIN
    IF tasks IS NULL OR array_ndims(tasks) > 1 THEN
        RETURN tasks;
    END IF;
    FOR v_i IN 1..cardinality(tasks) LOOP
        IF tasks[v_i] IS NULL OR btrim(tasks[v_i], E' \t\r\n\f') = '' THEN
            v_out := v_out || tasks[v_i];  -- (for _pdb_check to report)
            CONTINUE;
        END IF;
        v_parts := coalesce(regexp_match(tasks[v_i], c_snap), ARRAY['', tasks[v_i], '']);
        v_code := rtrim(@extschema@._pdb_code(v_parts[2]), E' \t\r\n\f;');
        IF strpos(v_code, ';') > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                MESSAGE = format('%s task %s is more than one statement', caller, v_i),
                DETAIL  = 'Each task of a query is one statement that returns rows.',
                HINT    = 'Settings go in setup; statements that return no rows go to pdb_run.';
        END IF;
        v_word := lower(substring(v_code FROM E'^[\\s(]*(\\w+)'));
        IF NOT (v_word IN ('values', 'table', 'with')
                OR (v_word = 'select' AND v_code !~* E'\\minto\\M')
                OR (v_word IN ('insert', 'update', 'delete', 'merge') AND v_code ~* E'\\mreturning\\M')) THEN
            RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                MESSAGE = format('%s task %s is not a query', caller, v_i),
                DETAIL  = format('It starts with %s; a query is SELECT, VALUES, TABLE, WITH, or INSERT, UPDATE, '
                                 'DELETE or MERGE with RETURNING.', coalesce(upper(v_word), 'no keyword')),
                HINT    = 'Statements that return no rows go to pdb_run.';
        END IF;
        -- (the line breaks end a trailing -- comment)
        v_out := v_out || CASE WHEN v_jsonb
                               THEN format(E'%sWITH q AS (\n%s\n) SELECT pg_catalog.to_jsonb(q) FROM q%s',
                                           v_parts[1], rtrim(v_parts[2], E' \t\r\n\f;'), v_parts[3])
                               ELSE tasks[v_i] END;
    END LOOP;
    RETURN v_out;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_queries(text[], regtype, text) IS
'internal: check that every task of pdb_query is one query, and wrap it for jsonb rows';
