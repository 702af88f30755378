/*
 * _pdb_no_transaction_block(tasks text[]) RETURNS integer
 *
 * The number of the first task that cannot run inside a transaction block
 * (VACUUM, CREATE/DROP DATABASE or TABLESPACE, ALTER SYSTEM, the CONCURRENTLY
 * forms of index commands, REINDEX SCHEMA/DATABASE/SYSTEM, CLUSTER of every
 * table, DETACH PARTITION ... CONCURRENTLY) or that ends or starts a
 * transaction itself (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION ...), or
 * NULL. String literals, dollar-quoted bodies and comments are skipped
 * (_pdb_code). It
 * reads statement starts only: the server still refuses what it misses, with
 * the same 25001.
 */
CREATE FUNCTION @extschema@._pdb_no_transaction_block(tasks text[])
RETURNS integer
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT min(u.o)::integer
      FROM unnest($1) WITH ORDINALITY AS u(t, o),
           LATERAL (SELECT @extschema@._pdb_code(u.t) AS s) AS c
     WHERE c.s ~* (E'(^|;)\\s*(' ||
                   E'vacuum|alter\\s+system|(create|drop)\\s+(database|tablespace)' ||
                   E'|(create(\\s+unique)?|drop)\\s+index\\s+concurrently' ||
                   E'|reindex\\M[^;]*\\mconcurrently|reindex\\s+(\\([^)]*\\)\\s*)?(schema|database|system)' ||
                   E'|cluster\\s*(\\([^)]*\\)\\s*)?(;|$)|alter\\s+table\\M[^;]*\\mdetach\\s+partition\\M[^;]*\\mconcurrently' ||
                   E'|begin|start\\s+transaction|commit|end|abort|rollback(?!\\s+to\\M)|prepare\\s+transaction' ||
                   E')(?![[:alnum:]_])')
$$;

COMMENT ON FUNCTION @extschema@._pdb_no_transaction_block(text[]) IS
'internal: the first task that cannot run inside a transaction block, or NULL';
