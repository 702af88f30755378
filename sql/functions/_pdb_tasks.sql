/*
 * _pdb_tasks(tasks text[]) RETURNS text[]
 *
 * Checks pdb_run's tasks before anything runs and returns them renumbered
 * from 1, whatever the array's lower bound.
 * Errors: 22004 tasks is NULL or holds a NULL (DETAIL names the first);
 * 22023 tasks has more than one dimension, or a task is empty or only white
 * space (DETAIL names the first).
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
    SELECT min(u.o)::integer INTO v_bad
      FROM unnest(v_tasks) WITH ORDINALITY AS u(t, o)
     WHERE btrim(u.t, E' \t\r\n\f') = '';
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks must not be blank',
            DETAIL  = format('Task %s is an empty statement.', v_bad);
    END IF;
    RETURN v_tasks;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_tasks(text[]) IS
'internal: check pdb_run''s tasks and renumber them from 1';
