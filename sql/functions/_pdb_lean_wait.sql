/*
 * _pdb_lean_wait(conns text[], done boolean[], OUT ready integer, OUT blocked integer[], OUT pids integer[])
 *
 * Waits until one of conns not done (task i runs on conns[i], see
 * _pdb_lean_send) has its task's result ready (not busy): ready is its
 * index, NULL when none is left. Polls without sleeping for the first
 * millisecond (a small task ends in less), then sleeps 1 ms, growing to
 * 64 ms: a poll, not dblink_get_result's wait, so that a cancel of the
 * caller is seen at once on every version (dblink waits without looking for
 * one before 17). At each wake it looks at the call's workers of this server
 * in pg_stat_activity (those labelled 'pdb_run:<caller pid> kept' that run a
 * task of this call), as the engine does (_pdb_step):
 *   - a worker that waits for a lock the caller holds can never get it (the
 *     caller waits for it): its task is cancelled, and returned in blocked,
 *     with the worker's pid in pids (its outcome: _pdb_blocked);
 *   - a worker that sends its result (it waits for its client, or is done
 *     while its connection is still busy) is read without sleeping
 *     (_pdb_stream): a poll reads about 16 kB, so a large result read at the
 *     pace of the sleeps would take seconds.
 * Workers of other servers cannot be seen: their results come at the pace
 * of the polls.
 */
CREATE FUNCTION @extschema@._pdb_lean_wait(conns text[], done boolean[], OUT ready integer, OUT blocked integer[],
                                           OUT pids integer[])
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    c_min   CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max   CONSTANT double precision := CAST(0.0635 AS double precision);  -- 64 ms
    c_burst CONSTANT interval := interval '16 milliseconds';                -- how long a sending worker is polled
    v_label text := format(E'^/\\* pdb_run:%s:([0-9]+)/', pg_backend_pid());
    v_spin  timestamptz := clock_timestamp() + interval '1 millisecond';
    v_sleep double precision := c_min;
    v_look  record;
BEGIN
    blocked := ARRAY[]::integer[];
    pids    := ARRAY[]::integer[];
    WHILE ready IS NULL AND false = ANY (done) LOOP
        FOR v_i IN 1..cardinality(conns) LOOP
            IF NOT done[v_i] AND "@dblink@".dblink_is_busy(conns[v_i]) = 0 THEN
                ready := v_i;
                EXIT;
            END IF;
        END LOOP;
        IF ready IS NULL AND clock_timestamp() > v_spin THEN
            PERFORM pg_stat_clear_snapshot();
            FOR v_look IN
                SELECT x.task, a.pid, a.wait_event = 'ClientWrite' OR a.state <> 'active' AS sends,
                       a.wait_event_type = 'Lock' AND pg_backend_pid() = ANY (pg_blocking_pids(a.pid)) AS waits
                  FROM pg_stat_activity AS a
                 CROSS JOIN LATERAL (SELECT (regexp_match(a.query, v_label))[1]::integer AS task) AS x
                 WHERE a.application_name = format('pdb_run:%s kept', pg_backend_pid())
                   AND x.task <= cardinality(conns)
            LOOP
                CONTINUE WHEN done[v_look.task] OR v_look.task = ANY (blocked);
                IF v_look.waits THEN
                    PERFORM "@dblink@".dblink_cancel_query(conns[v_look.task]);
                    blocked := blocked || v_look.task;
                    pids    := pids || v_look.pid;
                ELSIF v_look.sends
                      AND @extschema@._pdb_stream(c_bound, conns[v_look.task], v_look.pid, c_burst, true) = 'done' THEN
                    ready := v_look.task;
                    EXIT;
                END IF;
            END LOOP;
            IF ready IS NULL THEN
                PERFORM pg_sleep(v_sleep);
                v_sleep := least(v_sleep * 2, c_max);
            END IF;
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_wait(text[], boolean[]) IS
'internal: the next kept connection of a small call whose result is ready; cancels tasks the caller blocks';
