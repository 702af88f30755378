/*
 * _pdb_targets(tasks text[], targets text[]) RETURNS text[]
 *
 * Checks the targets of pdb_run_at (one per task) and returns them.
 * Errors: 22004 targets is NULL; 22023 targets not one-dimensional or not as
 * long as tasks. Called in the argument list of the SQL function pdb_run_at,
 * so that its errors show no internal statement in their context.
 */
CREATE FUNCTION @extschema@._pdb_targets(tasks text[], targets text[])
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF targets IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'targets must not be null',
            HINT    = 'A NULL element of targets means this database; the array itself is required.';
    END IF;
    IF array_ndims(targets) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'targets must be a one-dimensional array',
            DETAIL  = format('The array has %s dimensions.', array_ndims(targets));
    END IF;
    IF cardinality(tasks) IS DISTINCT FROM cardinality(targets) AND tasks IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'tasks and targets must have the same length',
            DETAIL  = format('There are %s tasks and %s targets.', cardinality(tasks), cardinality(targets)),
            HINT    = 'targets[i] is where tasks[i] runs; pdb_broadcast runs one task on every target.';
    END IF;
    RETURN targets;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_targets(text[], text[]) IS
'internal: check the targets of pdb_run_at';
