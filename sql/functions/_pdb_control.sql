/*
 * _pdb_control(started timestamptz, job_id bigint, dblink_schema name, via text,
 *              OUT paused boolean, OUT max_conns integer)
 *
 * What pdb_run_control asks of the call of this session that started at
 * started (pdb_pause, pdb_set_conns: rows of this pid and session role set
 * since then) and of durable job job_id (pdb_job_pause, pdb_job_set_conns):
 * paused if either is; max_conns the latest set, or NULL. via: NULL reads
 * the table here; a connection string reads it through a dblink connection
 * of its own (a caller in REPEATABLE READ or SERIALIZABLE would not see a
 * change committed after its snapshot). When that connection fails: a
 * WARNING, and paused NULL (the call keeps what it read before).
 */
CREATE FUNCTION @extschema@._pdb_control(started timestamptz, job_id bigint, dblink_schema name, via text,
                                         OUT paused boolean, OUT max_conns integer)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sql     text;
    e_message text;
BEGIN
    v_sql := format(
        'SELECT coalesce(bool_or(CASE WHEN c.job_id IS NULL THEN c.paused_at >= %1$L::timestamptz '
        '                             ELSE c.paused_at IS NOT NULL END), false), '
        '       (array_agg(c.max_conns ORDER BY c.conns_at DESC) '
        '          FILTER (WHERE c.max_conns IS NOT NULL '
        '                    AND (c.job_id IS NOT NULL OR c.conns_at >= %1$L::timestamptz)))[1] '
        '  FROM %2$I.pdb_run_control AS c '
        ' WHERE (c.caller_pid = %3$L::integer AND c.caller_role = %4$L::oid) OR c.job_id = %5$L::bigint',
        started, '@extschema@', pg_backend_pid(), (SELECT r.oid FROM pg_roles AS r WHERE r.rolname = session_user),
        job_id);
    IF via IS NULL THEN
        EXECUTE v_sql INTO paused, max_conns;
    ELSE
        BEGIN
            EXECUTE format('SELECT x.p, x.m FROM %I.dblink($1, $2) AS x(p boolean, m integer)', dblink_schema)
                INTO paused, max_conns USING via, v_sql;
        EXCEPTION WHEN others THEN  -- (not a cancel: that ends the call)
            GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT;
            RAISE WARNING USING MESSAGE = format('could not read pdb_run_control: %s', e_message),
                DETAIL = 'A pause or a change of connections asked meanwhile is not seen yet.';
            paused    := NULL;
            max_conns := NULL;
        END;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_control(timestamptz, bigint, name, text) IS
'internal: whether pdb_pause or pdb_job_pause holds a call, and the connections pdb_set_conns asks of it';
