/*
 * pdb_jobs: one row per durable job of the current role, with its status
 * (pending, partly done, failed, done, cancelled), task counts, whether a
 * runner holds it now, its progress, the rows it changed and, while it
 * runs, an estimate of its end (see _pdb_jobs).
 * pdb_job_tasks: every task of those jobs with its last outcome.
 */
CREATE VIEW @extschema@.pdb_jobs AS SELECT * FROM @extschema@._pdb_jobs();
CREATE VIEW @extschema@.pdb_job_tasks AS SELECT * FROM @extschema@._pdb_job_tasks();
GRANT SELECT ON @extschema@.pdb_jobs, @extschema@.pdb_job_tasks TO PUBLIC;

COMMENT ON VIEW @extschema@.pdb_jobs IS 'The durable jobs of the current role: status, task counts, progress and an estimate of the end';
COMMENT ON VIEW @extschema@.pdb_job_tasks IS 'The tasks of the current role''s durable jobs, with their last outcome';
