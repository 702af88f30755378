/*
 * pdb_tasks(template text, tbl regclass, chunks integer, key name DEFAULT NULL)
 *     RETURNS text[]
 *
 * One task per chunk of pdb_chunks(tbl, chunks, key): template with every
 * {chunk} replaced by the chunk's predicate, in parentheses. So
 *   pdb_run(pdb_tasks('UPDATE big SET v = v + 1 WHERE {chunk}', 'big', 16), 4)
 * updates big in 16 pieces, 4 at a time, each row exactly once.
 *
 * Exactly once needs one snapshot: an UPDATE writes new row versions, often
 * into blocks (or key ranges, if it changes the key) of other chunks, and a
 * chunk that started later would see them and update them again. So each
 * task runs in a REPEATABLE READ transaction that imports a snapshot this
 * function exports from the caller's transaction:
 *   BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '...';
 *   <template with the chunk>; COMMIT
 * The tasks must run while the caller's transaction lasts (call pdb_run in
 * the same statement or transaction), and a row changed by another session
 * after the snapshot makes its task fail with 40001.
 * Volatile: it exports a snapshot.
 * Errors: 22004 template NULL; 22023 template without {chunk}; 25001 called
 * in a subtransaction (pg_export_snapshot cannot export from one); those of
 * pdb_chunks.
 */
CREATE FUNCTION @extschema@.pdb_tasks(template text, tbl regclass, chunks integer, key name DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_snapshot text;
BEGIN
    IF template IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'template must not be null';
    END IF;
    IF strpos(template, '{chunk}') = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'template must contain {chunk}',
            HINT    = 'Write {chunk} where the chunk''s condition goes: UPDATE t SET v = 0 WHERE {chunk}';
    END IF;
    v_snapshot := pg_export_snapshot();
    RETURN ARRAY(SELECT format(E'BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET TRANSACTION SNAPSHOT %L;\n%s\n;\nCOMMIT',
                               v_snapshot, replace(template, '{chunk}', '(' || c.predicate || ')'))
                   FROM @extschema@.pdb_chunks(tbl, chunks, key) AS c
                  ORDER BY c.chunk_id);
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_tasks(text, regclass, integer, name) IS
'One task per chunk of a table: a template with {chunk} replaced by each chunk''s predicate';
