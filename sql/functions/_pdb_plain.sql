/*
 * _pdb_plain(tasks text[]) RETURNS boolean[]
 *
 * For each task, whether it starts with SELECT, INSERT, UPDATE, DELETE, MERGE,
 * WITH, VALUES or TABLE: statements that may run inside a transaction block,
 * so pdb_run may send another statement in the same query string before it
 * (its application_name label) and, under more conditions, batch it.
 */
CREATE FUNCTION @extschema@._pdb_plain(tasks text[])
RETURNS boolean[]
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- E'' strings: the same backslashes whatever standard_conforming_strings says
    SELECT ARRAY(
        SELECT u.t ~* E'^\\s*(select|insert|update|delete|merge|with|values|table)\\M'
          FROM unnest($1) WITH ORDINALITY AS u(t, o)
         ORDER BY u.o)
$$;

COMMENT ON FUNCTION @extschema@._pdb_plain(text[]) IS
'internal: which tasks may run inside a transaction block (they start with a DML or query keyword)';
