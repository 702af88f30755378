/*
 * _pdb_stream(dblink_schema name, conn text, pid integer, spin interval,
 *             streaming boolean) RETURNS text
 *
 * Reads what a worker of this server (backend pid) has sent on connection
 * conn, as fast as it can: a poll (dblink_is_busy) reads only what libpq's
 * buffer takes, about 16 kB, so a result of 100,000 rows needs hundreds of
 * polls, and polls paced by the engine's sleeps would leave the worker
 * waiting (ClientWrite) most of the time. Looks at the worker once
 * (pg_stat_get_activity: 5 to 10 us), then, if it waits for its client, is
 * done while its connection is still busy, or streaming says it sent lately,
 * polls without sleeping (an empty poll costs about half a microsecond) until
 * the result is complete or spin has passed. Returns:
 *   done       the result is complete: read it now
 *   behind     the worker was waiting for the coordinator: look again sooner
 *   ahead      it was not: the polls kept up, look again later
 *   computing  not streaming, and it sends nothing: nothing was polled
 * The engine keeps, per slot, how long to wait between two looks from these
 * answers (_pdb_step, "a large result").
 */
CREATE FUNCTION @extschema@._pdb_stream(dblink_schema name, conn text, pid integer, spin interval,
                                        streaming boolean)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound  CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    v_bound  boolean := dblink_schema = c_bound;
    v_waits  boolean;
    v_sent   boolean;
    v_busy   integer;
    v_until  timestamptz;
BEGIN
    PERFORM pg_stat_clear_snapshot();
    SELECT a.wait_event = 'ClientWrite', a.state <> 'active' INTO v_waits, v_sent
      FROM pg_stat_get_activity(pid) AS a;
    v_waits := coalesce(v_waits, false);
    IF NOT (v_waits OR coalesce(v_sent, false) OR streaming) THEN
        RETURN 'computing';
    END IF;
    v_until := clock_timestamp() + spin;
    LOOP
        IF v_bound THEN
            v_busy := "@dblink@".dblink_is_busy(conn);
        ELSE
            EXECUTE format('SELECT %I.dblink_is_busy($1)', dblink_schema) INTO v_busy USING conn;
        END IF;
        IF v_busy = 0 THEN
            RETURN 'done';
        END IF;
        EXIT WHEN clock_timestamp() >= v_until;
    END LOOP;
    RETURN CASE WHEN v_waits THEN 'behind' ELSE 'ahead' END;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_stream(name, text, integer, interval, boolean) IS
'internal: poll a worker of this server that sends a large result, without sleeping, for a while';
