/*
 * _pdb_nap(quiet timestamptz, typical double precision, spread double precision,
 *          wake timestamptz, states text[], started timestamptz[]) RETURNS void
 *
 * The engine's back off, when a pass over the pool found nothing to do:
 * sleeps 1/12 of the time since anything last happened (quiet), but not less
 * than 1/32 of a unit's typical run time in seconds (typical, once one is
 * known; 1/64 when units run alike, see below), at least 1 ms, at most 64 ms,
 * and not past wake (the next task_timeout deadline or retry; NULL: none). A
 * connection that finishes a short task waits about a millisecond for the
 * next; one that ran long waits at most 1/12 of its run time, and 64 ms. A
 * wake-up costs 0.03 to 0.11 ms of CPU (more after longer sleeps): the floor
 * bounds the wake-ups while units run long (each end would start the ramp
 * again from 1 ms), and delays a unit's end by at most 1/32 of the typical
 * one, so the coordinator uses about 1% of a core. (Over 30 sleeps of 29 ms
 * to 2 s on two connections, 1/32 rather than 1/64: 17% less CPU, then 1/12
 * rather than 1/16: 12% less, the same wall time.)
 *
 * Units that run alike (spread, how far their run times are from the typical
 * one on average, under 1/8 of it) end when expected: it also wakes up at
 * each running unit's expected end (states and started are the pool's slot
 * states and the start of their units), and from then on backs off as after
 * an event. A unit of such a call that ends near its expected end is noticed
 * within 1/64 of the typical time instead of 1/12 of the time since the last
 * event, for a wake-up or two more per unit.
 *
 * (The engine does not call it while units typically run under 1 ms: it polls
 * again at once then; see _pdb_run.)
 */
CREATE FUNCTION @extschema@._pdb_nap(quiet timestamptz, typical double precision, spread double precision,
                                     wake timestamptz, states text[], started timestamptz[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_min_sleep CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max_sleep CONSTANT double precision := CAST(0.0635 AS double precision);  -- 64 ms
    v_since     timestamptz := quiet;  -- the back off counts from this
    v_alike     boolean := spread < typical / 8;
    v_wake      timestamptz := wake;
    v_due       timestamptz;           -- when a running unit would end if it ran the typical time
BEGIN
    IF v_alike THEN
        FOR v_slot IN 1..coalesce(cardinality(states), 0) LOOP
            CONTINUE WHEN states[v_slot] <> 'run';
            v_due := started[v_slot] + make_interval(secs => typical);
            IF v_due > clock_timestamp() THEN
                v_wake := least(v_wake, v_due);
            ELSE
                v_since := greatest(v_since, v_due);
            END IF;
        END LOOP;
    END IF;
    PERFORM pg_sleep(least(c_max_sleep,
                           greatest(c_min_sleep,
                                    CAST(extract(epoch FROM clock_timestamp() - v_since) AS double precision) / 12,
                                    typical / CASE WHEN v_alike THEN 64 ELSE 32 END),
                           CAST(extract(epoch FROM v_wake - clock_timestamp()) AS double precision)));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_nap(timestamptz, double precision, double precision, timestamptz, text[], timestamptz[]) IS
'internal: the back off of the engine''s event loop: one sleep';
