/*
 * _pdb_shape_error(dblink_schema name, conn text, task text, row_type regtype, caller text)
 *     RETURNS _pdb_outcome
 *
 * The failure of a query task whose rows do not fit row_type (dblink's
 * 42804 reading them), for pdb_query and pdb_query_at: its message, and a
 * detail that shows the task's columns (_pdb_shape, on conn; task NULL when
 * it cannot be asked again: 'another number of columns') beside row_type's.
 */
CREATE FUNCTION @extschema@._pdb_shape_error(dblink_schema name, conn text, task text, row_type regtype, caller text)
RETURNS @extschema@._pdb_outcome
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ROW('error', '42804', 'task returns rows of another shape than row_type',
               format('The task''s rows: %s; row_type: (%s).',
                      coalesce(CASE WHEN task IS NOT NULL THEN @extschema@._pdb_shape(dblink_schema, conn, task) END,
                               'another number of columns'),
                      @extschema@._pdb_columns(row_type, caller)),
               'Make the task''s select list match row_type, or use NULL::jsonb.')::@extschema@._pdb_outcome;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_shape_error(name, text, text, regtype, text) IS
'internal: the failure of a query task whose rows do not fit row_type';
