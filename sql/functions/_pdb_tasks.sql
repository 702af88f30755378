/*
 * _pdb_tasks(tasks text[]) RETURNS text[]
 *
 * Checks pdb_run's tasks before anything runs and returns them renumbered
 * from 1, whatever the array's lower bound.
 * Errors: 22004 tasks is NULL or holds a NULL (DETAIL names the first);
 * 22023 tasks has more than one dimension, or a task is empty or only white
 * space (DETAIL names the first); 0A000 a statement of a task is COPY FROM
 * STDIN or COPY TO STDOUT (DETAIL names the first).
 */
CREATE FUNCTION @extschema@._pdb_tasks(tasks text[])
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tasks text[];
    v_bad   integer;
    v_copy  integer;
BEGIN
    IF tasks IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tasks must not be null';
    END IF;
    IF array_ndims(tasks) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks must be a one-dimensional array',
            DETAIL  = format('The array has %s dimensions.', array_ndims(tasks));
    END IF;
    IF array_lower(tasks, 1) = 1 OR cardinality(tasks) = 0 THEN
        v_tasks := tasks;  -- numbered from 1 already (most calls: no copy)
    ELSE
        v_tasks := ARRAY(SELECT u.t FROM unnest(tasks) WITH ORDINALITY AS u(t, o) ORDER BY u.o);
    END IF;
    v_bad := array_position(v_tasks, NULL);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tasks must not contain null',
            DETAIL  = format('Task %s is null.', v_bad);
    END IF;
    -- one pass for both: blank tasks, and COPY FROM STDIN (it waits for data
    -- no dblink connection can send) or TO STDOUT (it sends data dblink
    -- cannot read), refused before anything runs (strpos first: reading the
    -- text without its strings and comments costs microseconds a task)
    SELECT min(u.o) FILTER (WHERE btrim(u.t, E' \t\r\n\f') = '')::integer,
           min(u.o) FILTER (WHERE strpos(lower(u.t), 'copy') > 0
                              AND @extschema@._pdb_code(u.t) ~* E'(^|;)\\s*copy\\M[^;]*\\m(stdin|stdout)\\M')::integer
      INTO v_bad, v_copy
      FROM unnest(v_tasks) WITH ORDINALITY AS u(t, o);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks must not be blank',
            DETAIL  = format('Task %s is an empty statement.', v_bad);
    END IF;
    IF v_copy IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
            MESSAGE = 'COPY from or to the client cannot run as a task',
            DETAIL  = format('Task %s copies FROM STDIN or TO STDOUT; a dblink connection can neither send '
                             'nor read COPY data.', v_copy),
            HINT    = 'Copy from or to a file on the server (COPY ... FROM/TO ''file'', as a role in '
                      'pg_read_server_files or pg_write_server_files), use INSERT ... SELECT, or read the '
                      'rows with a query.';
    END IF;
    RETURN v_tasks;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_tasks(text[]) IS
'internal: check pdb_run''s tasks and renumber them from 1';
