/*
 * _pdb_throttle_settings() RETURNS _pdb_throttle
 *
 * The throttles a call honours, from the settings (ALTER DATABASE or ROLE
 * ... SET, SET, SET LOCAL, a function's SET), checked when the call starts;
 * an unset or empty setting is off:
 *   parallel_dblink.max_replica_lag   a size ('64MB': WAL not yet replayed
 *       by a standby) or a time ('5s': the standby's replay_lag); see
 *       _pdb_held for what counts. The role must see pg_stat_replication's
 *       LSNs: a member of pg_read_all_stats (pg_monitor).
 *   parallel_dblink.max_active   the server's active sessions at most (the
 *       call's own workers and itself left out); needs pg_read_all_stats
 *       too, to see other roles' sessions.
 *   parallel_dblink.throttle_query   a query run at each check, in the
 *       caller's session and transaction, with its rights: throttled while
 *       its first column of its first row is true.
 *   parallel_dblink.nice   after each unit, its connection rests that
 *       multiple of the unit's run time (0: off).
 * The throttles are checked once here (a throttle_query that fails fails the
 * call before anything runs).
 * Errors: 22023 a value not of its form, naming the setting; 42501 a
 * lag or active-session limit for a role that cannot see them; the
 * throttle_query's own error.
 */
CREATE FUNCTION @extschema@._pdb_throttle_settings()
RETURNS @extschema@._pdb_throttle
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lag    text := nullif(btrim(current_setting('parallel_dblink.max_replica_lag', true)), '');
    v_active text := nullif(btrim(current_setting('parallel_dblink.max_active', true)), '');
    v_query  text := nullif(btrim(current_setting('parallel_dblink.throttle_query', true)), '');
    v_nice   text := nullif(btrim(current_setting('parallel_dblink.nice', true)), '');
    v_bytes  numeric;
    v_time   interval;
    v_thr    @extschema@._pdb_throttle;
BEGIN
    IF v_lag ~* '^[0-9]+(\.[0-9]+)?\s*(bytes|b|kb|mb|gb|tb)$' THEN
        v_bytes := CAST(pg_size_bytes(v_lag) AS numeric);
    ELSIF v_lag ~* '^[0-9]+(\.[0-9]+)?\s*(us|ms|s|min|h|d)$' THEN
        v_time := v_lag::interval;
    ELSIF v_lag IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.max_replica_lag must be a size or a time',
            DETAIL  = format('It is "%s".', v_lag),
            HINT    = 'For example ''64MB'' of WAL not yet replayed, or ''5s'' of replay lag.';
    END IF;
    IF v_active IS NOT NULL AND (v_active !~ '^[0-9]{1,6}$' OR v_active::integer < 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.max_active must be a number of sessions, at least 1',
            DETAIL  = format('It is "%s".', v_active);
    END IF;
    IF v_nice IS NOT NULL AND v_nice !~ '^[0-9]{1,6}(\.[0-9]*)?$' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'parallel_dblink.nice must be a number, zero or more',
            DETAIL  = format('It is "%s".', v_nice),
            HINT    = 'A connection rests that multiple of its last task''s time: 0.5, 1, 2.';
    END IF;
    IF (v_lag IS NOT NULL OR v_active IS NOT NULL) AND NOT pg_has_role('pg_read_all_stats', 'USAGE') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('parallel_dblink.%s needs a role that sees the whole server',
                             CASE WHEN v_lag IS NOT NULL THEN 'max_replica_lag' ELSE 'max_active' END),
            DETAIL  = format('Role %s cannot see %s: only members of pg_read_all_stats (or pg_monitor) can.',
                             current_user, CASE WHEN v_lag IS NOT NULL THEN 'the standbys'' LSNs in pg_stat_replication'
                                                ELSE 'the sessions of other roles in pg_stat_activity' END),
            HINT    = format('GRANT pg_monitor TO %I; or RESET the setting.', current_user);
    END IF;
    v_thr := ROW(v_bytes, v_time, v_active::integer, v_query, coalesce(v_nice::double precision, 0));
    PERFORM @extschema@._pdb_held(v_thr, ARRAY[]::integer[]);  -- (a throttle_query that fails: now)
    RETURN v_thr;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_throttle_settings() IS
'internal: parallel_dblink.max_replica_lag, max_active, throttle_query and nice, checked';
