/*
 * _pdb_held(thr _pdb_throttle, own integer[]) RETURNS text
 *
 * Why a call must not start a new task now, in a few words (its workers'
 * application_name and the progress NOTICE show them), or NULL. own: the
 * pids of the call's workers on this server (NULLs for other servers).
 *
 * Replica lag: as a size, the WAL this server has written that a standby
 * has not replayed: each standby connected (pg_stat_replication, from its
 * replay_lsn), and each physical replication slot that no standby uses (from
 * its restart_lsn: a standby that is away must still replay all of it); as a
 * time, the greatest replay_lag of a standby connected that has not replayed
 * all of it (PostgreSQL keeps a standby's last replay_lag until it has said
 * twice, wal_receiver_status_interval apart, that it caught up; a slot has
 * no time).
 * Logical slots do not count. On a standby, positions count from the WAL it
 * has received. Active sessions: client backends whose state is 'active',
 * the caller and its workers left out. throttle_query: its first column of
 * its first row is true.
 * Errors: the throttle_query's, its message naming the setting.
 */
CREATE FUNCTION @extschema@._pdb_held(thr @extschema@._pdb_throttle, own integer[])
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_here   pg_lsn;
    v_bytes  numeric;
    v_time   interval;
    v_active bigint;
    v_true   boolean;
    e_state  text;
    e_message text;
BEGIN
    IF thr.lag_bytes IS NOT NULL OR thr.lag_time IS NOT NULL THEN
        v_here := CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END;
        SELECT max(pg_wal_lsn_diff(v_here, r.replay_lsn)), max(r.replay_lag) FILTER (WHERE r.replay_lsn < v_here)
          INTO v_bytes, v_time
          FROM pg_stat_replication AS r
         WHERE r.replay_lsn IS NOT NULL;
        IF thr.lag_bytes IS NOT NULL THEN
            v_bytes := greatest(v_bytes, (SELECT max(pg_wal_lsn_diff(v_here, s.restart_lsn))
                                            FROM pg_replication_slots AS s
                                           WHERE s.slot_type = 'physical' AND NOT s.active));
            IF v_bytes > thr.lag_bytes THEN
                RETURN format('replica lag %s > %s', pg_size_pretty(v_bytes), pg_size_pretty(thr.lag_bytes));
            END IF;
        ELSIF v_time > thr.lag_time THEN
            RETURN format('replica lag %s > %s', date_trunc('second', v_time), thr.lag_time);
        END IF;
    END IF;
    IF thr.max_active IS NOT NULL THEN
        PERFORM pg_stat_clear_snapshot();  -- (else the sessions are read once per transaction)
        v_active := (SELECT count(*) FROM pg_stat_activity AS a
                      WHERE a.state = 'active' AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
                        AND NOT a.pid = ANY (array_remove(own, NULL)));
        IF v_active > thr.max_active THEN
            RETURN format('active sessions %s > %s', v_active, thr.max_active);
        END IF;
    END IF;
    IF thr.query IS NOT NULL THEN
        BEGIN
            EXECUTE thr.query INTO v_true;
        EXCEPTION WHEN others THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT;
            RAISE EXCEPTION USING ERRCODE = e_state,
                MESSAGE = format('parallel_dblink.throttle_query failed: %s', e_message),
                DETAIL  = format('The query is: %s', left(thr.query, 200)),
                HINT    = 'It must return one boolean, true while calls must wait; RESET it to turn it off.';
        END;
        IF v_true THEN
            RETURN 'throttle_query';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_held(@extschema@._pdb_throttle, integer[]) IS
'internal: why a call must not start a new task now (replica lag, active sessions, throttle_query), or NULL';
