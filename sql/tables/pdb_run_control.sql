/*
 * pdb_run_control: what pdb_pause, pdb_resume and pdb_set_conns (a running call,
 * by its caller's pid) and pdb_job_pause, pdb_job_resume and
 * pdb_job_set_conns (a durable job, for as long as it lasts) ask of a call.
 *
 * A call's engine reads it once a second, outside its caller's snapshot when
 * it must (_pdb_control): a row of a call counts only for the session of that
 * pid and role, and each of its settings only if it was set after the call
 * began (paused_at, conns_at: a pid used again by another session, or a
 * later call, inherits nothing). epoch is drawn
 * anew at each change: the engine reads the sequence's last value, which no
 * snapshot hides, and the table only when it moved.
 *
 * Row level security, as pg_cancel_backend decides who may signal whom: a
 * call's row is for roles with the privileges of the caller's role, and for
 * members of pg_signal_backend when that role is not a superuser; a job's row
 * for the job's owner (pdb_job's own rule, through the reference).
 */
CREATE TABLE @extschema@.pdb_run_control (
    epoch       bigint      GENERATED ALWAYS AS IDENTITY,
    caller_pid  integer,
    caller_role oid,
    job_id      bigint      REFERENCES @extschema@.pdb_job ON DELETE CASCADE,
    paused_at   timestamptz,  -- paused since (NULL: not paused)
    max_conns   integer       CHECK (max_conns OPERATOR(pg_catalog.>=) 1),
    conns_at    timestamptz,  -- when max_conns was set
    set_by      name          NOT NULL DEFAULT current_user,
    CONSTRAINT pdb_run_control_call UNIQUE (caller_pid, caller_role),
    CONSTRAINT pdb_run_control_job UNIQUE (job_id),
    CHECK ((caller_pid IS NULL) OPERATOR(pg_catalog.<>) (job_id IS NULL)),
    CHECK ((caller_pid IS NULL) OPERATOR(pg_catalog.=) (caller_role IS NULL))
);

ALTER TABLE @extschema@.pdb_run_control ENABLE ROW LEVEL SECURITY;
CREATE POLICY pdb_run_control_signal ON @extschema@.pdb_run_control
    USING (CASE WHEN job_id IS NOT NULL
                THEN EXISTS (SELECT FROM @extschema@.pdb_job AS j WHERE j.job_id OPERATOR(pg_catalog.=) pdb_run_control.job_id)
                ELSE pg_catalog.pg_has_role(caller_role, 'USAGE')
                     OR (pg_catalog.pg_has_role('pg_signal_backend', 'USAGE')
                         AND NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
                                            WHERE r.oid OPERATOR(pg_catalog.=) pdb_run_control.caller_role), true))
           END);
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.pdb_run_control TO PUBLIC;
GRANT SELECT, USAGE ON SEQUENCE @extschema@.pdb_run_control_epoch_seq TO PUBLIC;

COMMENT ON TABLE @extschema@.pdb_run_control IS
'What pdb_pause, pdb_resume, pdb_set_conns and their pdb_job_ kin ask of running calls and jobs';
