/*
 * _pdb_concurrently(tasks text[]) RETURNS integer
 *
 * The number of the first task that builds, drops or rebuilds an index
 * CONCURRENTLY (CREATE [UNIQUE] INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY,
 * REINDEX ... CONCURRENTLY), or NULL; NULL tasks are skipped. Such a
 * statement waits for every older transaction of its database: run by a
 * call of this database that holds its transaction open, it waits for its
 * own caller. String literals, dollar-quoted bodies and comments are skipped
 * (_pdb_code).
 */
CREATE FUNCTION @extschema@._pdb_concurrently(tasks text[])
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT min(u.o)::integer
      FROM unnest($1) WITH ORDINALITY AS u(t, o)
     WHERE strpos(lower(u.t), 'concurrently') > 0
       AND @extschema@._pdb_code(u.t) ~* (E'(^|;)\\s*((create(\\s+unique)?|drop)\\s+index\\s+concurrently' ||
                                          E'|reindex\\M[^;]*\\mconcurrently)(?![[:alnum:]_])')
$$;

COMMENT ON FUNCTION @extschema@._pdb_concurrently(text[]) IS
'internal: the first task that builds, drops or rebuilds an index CONCURRENTLY, or NULL';
