/*
 * pdb_tasks(template text, tbl regclass, chunks integer DEFAULT NULL, key name DEFAULT NULL,
 *           chunk_rows bigint DEFAULT NULL)
 *     RETURNS text[]
 *
 * One task per chunk of pdb_chunks(tbl, chunks, key, chunk_rows) (chunks of
 * a number, or of about chunk_rows rows each): template with every
 * {chunk} replaced by the chunk's predicate, in parentheses. So
 *   pdb_run(pdb_tasks('UPDATE big SET v = v + 1 WHERE {chunk}', 'big', 16), 4)
 * updates big in 16 pieces, 4 at a time, each row exactly once.
 *
 * key NULL means the table's primary key, else a unique NOT NULL column, of
 * a type pdb_chunks splits in ranges (the first such, by column number);
 * with none, or key 'ctid', the chunks are ranges of heap blocks.
 *
 * Key chunks of an UPDATE or DELETE that leaves the key alone are plain
 * tasks, each in its own READ COMMITTED transaction: a row belongs to one
 * chunk by its key for good, and a row that another session changes meanwhile is re-checked
 * and changed once, so they work on a table that others write to, in a
 * durable job too, and a chunk that fails with 40001 or 40P01 can be retried.
 *
 * Everything else needs one snapshot for exactly once: an UPDATE writes new
 * row versions into other chunks' blocks, or key ranges when it sets the key
 * (read from the template: SET ... key = before WHERE, FROM or RETURNING),
 * and a chunk that started later would see them and change them again; an
 * INSERT or MERGE may add rows to later chunks; and reads (no UPDATE or
 * DELETE in the template) add up to one consistent picture. So each such task runs in a REPEATABLE READ
 * transaction that imports a snapshot this function exports from the
 * caller's transaction:
 *   BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '...';
 *   <template with the chunk>; COMMIT
 * Those tasks must run while the caller's transaction lasts (call pdb_run in
 * the same statement or transaction), a row changed by another session
 * after the snapshot makes a writing task fail with 40001, and a durable job
 * refuses them (pdb_job_submit).
 * Volatile: it may sample the table and export a snapshot.
 * Errors: 22004 template NULL; 22023 template without {chunk}; 25001 a
 * snapshot is needed and this is a subtransaction (pg_export_snapshot cannot
 * export from one); those of pdb_chunks.
 */
CREATE FUNCTION @extschema@.pdb_tasks(template text, tbl regclass, chunks integer DEFAULT NULL, key name DEFAULT NULL,
                                      chunk_rows bigint DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key      name := key;
    v_snapshot text;
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    IF template IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'template must not be null';
    END IF;
    IF strpos(template, '{chunk}') = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'template must contain {chunk}',
            HINT    = 'Write {chunk} where the chunk''s condition goes: UPDATE t SET v = 0 WHERE {chunk}';
    END IF;
    v_key := coalesce(v_key, @extschema@._pdb_chunk_key(tbl));
    -- (here: the exception block below is a subtransaction, where no snapshot can be exported)
    IF NOT @extschema@._pdb_chunk_plain(template, v_key) THEN
        v_snapshot := pg_export_snapshot();
    END IF;
    BEGIN
        RETURN ARRAY(SELECT CASE WHEN v_snapshot IS NULL THEN replace(template, '{chunk}', '(' || c.predicate || ')')
                                 ELSE format(E'BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET TRANSACTION SNAPSHOT %L;\n%s\n;\nCOMMIT',
                                             v_snapshot, replace(template, '{chunk}', '(' || c.predicate || ')')) END
                       FROM @extschema@.pdb_chunks(tbl, chunks, v_key, chunk_rows) AS c
                      ORDER BY c.chunk_id);
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        -- raised again from here: its context shows the caller's call, not pdb_chunks
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
    END;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_tasks(text, regclass, integer, name, bigint) IS
'One task per chunk of a table: a template with {chunk} replaced by each chunk''s predicate';
