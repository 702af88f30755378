/*
 * _pdb_columns(row_type regtype, caller text) RETURNS text
 *
 * The column definition list that pdb_query reads each task's rows with
 * (dblink_get_result(conn) AS r(<list>)): the attributes of a composite
 * row_type, in order ('id integer, name text'); 'v <type>' for any other
 * type, jsonb among them.
 * Errors: 42804 row_type is a pseudo-type (record, anyelement ...): its
 * columns are unknown.
 */
CREATE FUNCTION @extschema@._pdb_columns(row_type regtype, caller text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type pg_type;
BEGIN
    SELECT * INTO STRICT v_type FROM pg_type WHERE oid = row_type;
    IF v_type.typtype = 'p' THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('%s cannot return rows of type %s', caller, row_type),
            DETAIL  = 'row_type gives the columns of the rows: a pseudo-type has none.',
            HINT    = 'Pass NULL::a_table, NULL::a_composite_type, NULL::a_scalar_type or NULL::jsonb.';
    END IF;
    IF v_type.typtype <> 'c' THEN
        RETURN 'v ' || format_type(row_type, NULL);
    END IF;
    RETURN (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
              FROM pg_attribute AS a
             WHERE a.attrelid = v_type.typrelid AND a.attnum > 0 AND NOT a.attisdropped);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_columns(regtype, text) IS
'internal: the column definition list pdb_query reads rows of row_type with';
