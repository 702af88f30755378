/*
 * pdb_job_backfill, pdb_job_range: backfills (pdb_backfill), durable jobs
 * whose tasks are key ranges of one table, cut while the job runs.
 *
 * pdb_job_backfill: one row per backfill. template has {chunk} where each
 * range's condition goes; keys from key_min to key_max (both as they were
 * when it was submitted: rows added later above key_max are left alone) are
 * cut into ranges from next_key upwards (all cut once next_key > key_max).
 * chunk_time: the time a range should take (NULL: every range has
 * chunk_rows rows); chunk_rows: else the first ranges' rows.
 *
 * pdb_job_range: one row per range cut, the task that runs it in
 * pdb_job_task: key >= lo AND key < hi (hi NULL: key <= key_max), and how
 * many rows it held when it was cut (what sizes the next ones, with the
 * time the range took).
 *
 * Both belong to the job's owner (row level security as for pdb_job), and
 * are configuration tables: pg_dump dumps their rows.
 */
CREATE TABLE @extschema@.pdb_job_backfill (
    job_id     bigint   PRIMARY KEY REFERENCES @extschema@.pdb_job ON DELETE CASCADE,
    owner      name     NOT NULL DEFAULT current_user,
    tbl        regclass NOT NULL,
    key        name     NOT NULL,
    template   text     NOT NULL,
    chunk_time interval CHECK (chunk_time OPERATOR(pg_catalog.>) interval '0'),
    chunk_rows bigint   CHECK (chunk_rows OPERATOR(pg_catalog.>=) 1),
    key_min    numeric  NOT NULL,
    key_max    numeric  NOT NULL,
    next_key   numeric  NOT NULL,
    CHECK (chunk_time IS NOT NULL OR chunk_rows IS NOT NULL)
);

CREATE TABLE @extschema@.pdb_job_range (
    job_id  bigint  NOT NULL,
    task_id integer NOT NULL,
    owner   name    NOT NULL DEFAULT current_user,
    lo      numeric NOT NULL,
    hi      numeric,
    rows    bigint  NOT NULL,
    PRIMARY KEY (job_id, task_id),
    FOREIGN KEY (job_id, task_id) REFERENCES @extschema@.pdb_job_task ON DELETE CASCADE
);

ALTER TABLE @extschema@.pdb_job_backfill ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.pdb_job_range ENABLE ROW LEVEL SECURITY;
CREATE POLICY pdb_job_backfill_owner ON @extschema@.pdb_job_backfill
    USING (owner OPERATOR(pg_catalog.=) current_user) WITH CHECK (owner OPERATOR(pg_catalog.=) current_user);
CREATE POLICY pdb_job_range_owner ON @extschema@.pdb_job_range
    USING (owner OPERATOR(pg_catalog.=) current_user) WITH CHECK (owner OPERATOR(pg_catalog.=) current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.pdb_job_backfill, @extschema@.pdb_job_range TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.pdb_job_backfill', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pdb_job_range', '');

COMMENT ON TABLE @extschema@.pdb_job_backfill IS 'Backfills: durable jobs of key ranges of a table, cut while they run (pdb_backfill)';
COMMENT ON TABLE @extschema@.pdb_job_range IS 'The key ranges cut so far of each backfill, and their rows';
