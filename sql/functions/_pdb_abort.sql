/*
 * _pdb_abort(dblink_schema name, prefix text, phase text, run_id uuid,
 *            sent text[], locks integer[], conns text[] DEFAULT NULL) RETURNS void
 *
 * The cleanup of a call of the engine that fails, is cancelled or times out,
 * before the error is raised again: cancels, drains and closes every
 * connection whose name starts with prefix, and those of conns (the call's
 * pool: kept connections it took keep the names of the call that opened
 * them); for an atomic call (run_id) in
 * phase 'run', 'commit' or 'rollback', settles its prepared transactions as
 * far as it can (commit only in phase 'commit'; while 'deciding', whether the
 * decision was recorded is unknown, so pdb_recover settles them) and deletes
 * its record once nothing is left prepared; then releases the call's session
 * advisory locks (they outlive the rollback). Best effort: never raises.
 */
CREATE FUNCTION @extschema@._pdb_abort(dblink_schema name, prefix text, phase text, run_id uuid,
                                       sent text[], locks integer[], conns text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_lock_space CONSTANT integer := 1885627490;  -- of parallel_dblink.max_total_conns (_pdb_budget)
    c_run_space  CONSTANT integer := 1885627491;  -- of a running atomic call (_pdb_atomic_begin)
BEGIN
    IF prefix IS NOT NULL OR conns IS NOT NULL THEN
        PERFORM @extschema@._pdb_close(
            dblink_schema,
            ARRAY(SELECT c FROM unnest(@extschema@._pdb_dblink_connections(dblink_schema)) AS c
                   WHERE left(c, length(prefix)) = prefix OR c = ANY (conns)),
            true);
    END IF;
    IF phase IN ('run', 'commit', 'rollback') THEN
        BEGIN
            IF NOT EXISTS (SELECT FROM @extschema@._pdb_atomic_end(dblink_schema, run_id, sent, phase = 'commit') AS e
                            WHERE e.task_id IS NULL OR e.err_sqlstate IS NOT NULL) THEN
                PERFORM @extschema@._pdb_autonomous(format(
                    'DELETE FROM @extschema@.pdb_atomic_run WHERE run_id = %L RETURNING 1', run_id), NULL);
            END IF;
        EXCEPTION WHEN query_canceled OR others THEN
            NULL;  -- pdb_recover() settles what is left
        END;
    END IF;
    IF run_id IS NOT NULL THEN
        PERFORM pg_advisory_unlock(c_run_space, hashtext(run_id::text));
    END IF;
    PERFORM pg_advisory_unlock(c_lock_space, l) FROM unnest(locks) AS l;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_abort(name, text, text, uuid, text[], integer[], text[]) IS
'internal: clean up after a call of the engine failed: connections, prepared transactions, locks';
