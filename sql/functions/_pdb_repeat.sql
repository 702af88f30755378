/*
 * _pdb_repeat(task text, targets text[]) RETURNS text[]
 *
 * pdb_broadcast's tasks: task once per element of targets (none when targets
 * is NULL: pdb_run_at refuses that). Errors: 22004 task is NULL.
 */
CREATE FUNCTION @extschema@._pdb_repeat(task text, targets text[])
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'task must not be null';
    END IF;
    RETURN array_fill(task, ARRAY[coalesce(cardinality(targets), 0)]);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_repeat(text, text[]) IS
'internal: the tasks of pdb_broadcast, one per target';
