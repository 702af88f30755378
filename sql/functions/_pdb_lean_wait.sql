/*
 * _pdb_lean_wait(conns text[], done boolean[]) RETURNS integer
 *
 * Waits until one of conns not done has its task's result ready (not busy),
 * and returns its index. Polls without sleeping for the first millisecond
 * (a small task ends in less), then sleeps 1 ms, growing to 64 ms: a poll,
 * not dblink_get_result's wait, so that a cancel of the caller is seen at
 * once on every version (dblink waits without looking for one before 17).
 * No connection left to wait for: NULL.
 */
CREATE FUNCTION @extschema@._pdb_lean_wait(conns text[], done boolean[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_min   CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max   CONSTANT double precision := CAST(0.0635 AS double precision);  -- 64 ms
    v_spin  timestamptz := clock_timestamp() + interval '1 millisecond';
    v_sleep double precision := c_min;
    v_ready integer;
BEGIN
    WHILE v_ready IS NULL AND false = ANY (done) LOOP
        FOR v_i IN 1..cardinality(conns) LOOP
            IF NOT done[v_i] AND "@dblink@".dblink_is_busy(conns[v_i]) = 0 THEN
                v_ready := v_i;
                EXIT;
            END IF;
        END LOOP;
        IF v_ready IS NULL AND clock_timestamp() > v_spin THEN
            PERFORM pg_sleep(v_sleep);
            v_sleep := least(v_sleep * 2, c_max);
        END IF;
    END LOOP;
    RETURN v_ready;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_wait(text[], boolean[]) IS
'internal: the next kept connection of a small call whose task''s result is ready';
