/*
 * _pdb_control_set(caller_pid integer, job_id bigint, paused boolean, max_conns integer, what text)
 *     RETURNS text[]
 *
 * Records in pdb_run_control what the public functions ask (what names the
 * one called): of the running call of session caller_pid, or of durable job
 * job_id; paused or max_conns NULL leave that setting as it is. A call's
 * engine reads it within about a second; it takes effect once this
 * transaction commits. Allowed as pg_cancel_backend is: to roles with the
 * privileges of the caller's role, and to members of pg_signal_backend when
 * that role is not a superuser; a job, to its owner. Rows of sessions that
 * ended are removed on the way. Returns NULL; or, when it is refused, the
 * error that the public function raises (so that its context shows the
 * caller's call alone): {sqlstate, message, detail, hint}, none of them
 * empty: 22004 caller_pid or job_id NULL; 22023 max_conns < 1; 42704 no
 * pdb_run call runs in that session (none of its workers is seen), or no
 * such job; 42501 not allowed.
 */
CREATE FUNCTION @extschema@._pdb_control_set(caller_pid integer, job_id bigint, paused boolean, max_conns integer,
                                             what text)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role  oid;
    v_super boolean;
BEGIN
    IF coalesce(caller_pid::bigint, job_id) IS NULL THEN
        RETURN ARRAY['22004', format('%s needs %s', what, CASE WHEN what LIKE 'pdb_job%' THEN 'a job_id' ELSE 'a caller_pid' END),
                     'It is null.', CASE WHEN what LIKE 'pdb_job%' THEN 'pdb_jobs lists your jobs.'
                                         ELSE 'pdb_activity lists the sessions whose calls run (caller_pid).' END];
    END IF;
    IF max_conns < 1 THEN
        RETURN ARRAY['22023', 'max_conns must be at least 1', format('max_conns is %s.', max_conns),
                     'To stop starting tasks without closing connections, pause: pdb_pause, pdb_job_pause.'];
    END IF;
    IF job_id IS NOT NULL THEN
        IF NOT EXISTS (SELECT FROM @extschema@.pdb_job AS j WHERE j.job_id = _pdb_control_set.job_id) THEN
            RETURN ARRAY['42704', format('job %s does not exist', job_id),
                         format('No job %s is visible to role %s.', job_id, current_user), 'pdb_jobs lists your jobs.'];
        END IF;
        INSERT INTO @extschema@.pdb_run_control AS c (job_id, paused_at, max_conns, conns_at)
        VALUES (job_id, CASE WHEN paused THEN clock_timestamp() END, max_conns,
                CASE WHEN max_conns IS NOT NULL THEN clock_timestamp() END)
        ON CONFLICT ON CONSTRAINT pdb_run_control_job DO UPDATE
           SET paused_at = CASE WHEN paused IS NULL THEN c.paused_at WHEN paused THEN clock_timestamp() END,
               max_conns = coalesce(_pdb_control_set.max_conns, c.max_conns),
               conns_at  = CASE WHEN _pdb_control_set.max_conns IS NULL THEN c.conns_at ELSE clock_timestamp() END,
               set_by    = current_user, epoch = DEFAULT;
        RETURN NULL;
    END IF;
    v_role := (SELECT a.usesysid FROM pg_stat_activity AS a WHERE a.pid = caller_pid);
    IF v_role IS NULL OR NOT EXISTS (SELECT FROM pg_stat_activity AS w
                                      WHERE w.application_name ~ ('^pdb_run:' || caller_pid || '( |$)')) THEN
        RETURN ARRAY['42704', format('no pdb_run call runs in session %s', caller_pid),
                     format('No worker is labelled pdb_run:%s.', caller_pid),
                     'pdb_activity lists the sessions whose calls run (caller_pid); a durable job is paused by its '
                     'id with pdb_job_pause.'];
    END IF;
    v_super := (SELECT r.rolsuper FROM pg_roles AS r WHERE r.oid = v_role);
    IF NOT (pg_has_role(v_role, 'USAGE') OR (pg_has_role('pg_signal_backend', 'USAGE') AND NOT v_super)) THEN
        RETURN ARRAY['42501', format('permission denied for %s of the call of session %s', what, caller_pid),
                     format('Only roles with the privileges of role %s may, and members of pg_signal_backend when it '
                            'is not a superuser, as for pg_cancel_backend.', v_role::regrole),
                     format('Ask role %s, or a member of it.', v_role::regrole)];
    END IF;
    DELETE FROM @extschema@.pdb_run_control AS c
     WHERE c.caller_pid IS NOT NULL AND NOT EXISTS (SELECT FROM pg_stat_activity AS a WHERE a.pid = c.caller_pid);
    INSERT INTO @extschema@.pdb_run_control AS c (caller_pid, caller_role, paused_at, max_conns, conns_at)
    VALUES (caller_pid, v_role, CASE WHEN paused THEN clock_timestamp() END, max_conns,
            CASE WHEN max_conns IS NOT NULL THEN clock_timestamp() END)
    ON CONFLICT ON CONSTRAINT pdb_run_control_call DO UPDATE
       SET paused_at = CASE WHEN paused IS NULL THEN c.paused_at WHEN paused THEN clock_timestamp() END,
           max_conns = coalesce(_pdb_control_set.max_conns, c.max_conns),
           conns_at  = CASE WHEN _pdb_control_set.max_conns IS NULL THEN c.conns_at ELSE clock_timestamp() END,
           set_by    = current_user, epoch = DEFAULT;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_control_set(integer, bigint, boolean, integer, text) IS
'internal: record a pause, a resume or a number of connections for a running call or a durable job';
