/*
 * _pdb_kept_reset(keep interval) RETURNS text
 *
 * The statement that resets a kept connection (_pdb_keep), one DO block so
 * that it is one result to read: it fails with 25001 if a transaction is
 * open on the worker (a task left one); else undoes what a task may leave in
 * the session, as DISCARD ALL does (cursors, SET SESSION AUTHORIZATION and
 * SET ROLE, settings, prepared statements, LISTEN, sequence state, temp
 * tables, advisory locks; all but DISCARD PLANS: cached plans are no state a
 * task can see, and planning again costs), in one EXECUTE (each costs the
 * worker 10 to 20 us; the whole reset about 0.15 ms, a third of it the
 * block's compilation), and sets what a call of this session
 * needs of its workers and what keeping needs: application_name 'pdb_run:<caller
 * pid> kept' (pdb_activity shows it kept), and on servers of 14 and later a
 * check every second that the caller is still there and the end of the worker
 * once idle for keep (idle_session_timeout; on 13 it stays until the session
 * ends, a call with keep_conns 0 or pdb_close_conns()). DISCARD ALL itself
 * cannot be run in a block, nor sent with other statements. The worker needs
 * PL/pgSQL, which every database has unless dropped; without it the reset
 * fails and the connection is not kept.
 */
CREATE FUNCTION @extschema@._pdb_kept_reset(keep interval)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN format($f$DO $pdb_kept$
BEGIN
    IF pg_catalog.transaction_timestamp() <> pg_catalog.statement_timestamp() THEN
        RAISE EXCEPTION USING ERRCODE = 'active_sql_transaction', MESSAGE = 'a transaction is open on a kept connection';
    END IF;
    EXECUTE 'CLOSE ALL; RESET SESSION AUTHORIZATION; RESET ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD SEQUENCES; DISCARD TEMP';
    PERFORM pg_catalog.pg_advisory_unlock_all(), pg_catalog.set_config('application_name', %L, false);
    IF pg_catalog.current_setting('server_version_num')::integer >= 140000 THEN
        PERFORM pg_catalog.set_config('client_connection_check_interval', '1000', false),
                pg_catalog.set_config('idle_session_timeout', %L, false);
    END IF;
END
$pdb_kept$
$f$,
        format('pdb_run:%s kept', pg_backend_pid()),
        CAST(least(ceil(extract(epoch FROM keep) * 1000), 2147483647) AS bigint));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_kept_reset(interval) IS
'internal: the one statement that resets a kept connection and labels it kept';
