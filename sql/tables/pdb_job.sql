/*
 * pdb_job, pdb_job_task: durable jobs (pdb_job_submit, pdb_job_run).
 *
 * A job and its tasks belong to the role that submitted them (owner): row
 * level security lets every other role neither see nor change them (superusers
 * and the table owner excepted, as always in PostgreSQL). Both tables are
 * configuration tables of the extension, so pg_dump dumps their rows.
 *
 * pdb_job_task.status: pending (never ran, or failed: see sqlstate), done,
 * error, timeout, cancelled, skipped (as in pdb_run, from its last run).
 */
CREATE TABLE @extschema@.pdb_job (
    job_id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text,
    owner        name        NOT NULL DEFAULT current_user,
    submitted_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    cancelled_at timestamptz
);

CREATE TABLE @extschema@.pdb_job_task (
    job_id      bigint      NOT NULL REFERENCES @extschema@.pdb_job ON DELETE CASCADE,
    task_id     integer     NOT NULL,
    task        text        NOT NULL,
    owner       name        NOT NULL DEFAULT current_user,
    status      text        NOT NULL DEFAULT 'pending',
    attempts    integer     NOT NULL DEFAULT 0,
    result      text,
    sqlstate    text,
    error       text,
    detail      text,
    hint        text,
    started_at  timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (job_id, task_id)
);

ALTER TABLE @extschema@.pdb_job ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.pdb_job_task ENABLE ROW LEVEL SECURITY;
CREATE POLICY pdb_job_owner ON @extschema@.pdb_job
    USING (owner OPERATOR(pg_catalog.=) current_user) WITH CHECK (owner OPERATOR(pg_catalog.=) current_user);
CREATE POLICY pdb_job_task_owner ON @extschema@.pdb_job_task
    USING (owner OPERATOR(pg_catalog.=) current_user) WITH CHECK (owner OPERATOR(pg_catalog.=) current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.pdb_job, @extschema@.pdb_job_task TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.pdb_job', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pdb_job_task', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.pdb_job', 'job_id'), '');

COMMENT ON TABLE @extschema@.pdb_job IS 'Durable pdb_run jobs, one row per job, visible to the role that submitted it';
COMMENT ON TABLE @extschema@.pdb_job_task IS 'The tasks of durable jobs and their last outcome';
