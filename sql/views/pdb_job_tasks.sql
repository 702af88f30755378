/*
 * pdb_job_tasks: every task of the current role's durable jobs with its last
 * outcome (see _pdb_job_tasks).
 */
CREATE VIEW @extschema@.pdb_job_tasks AS SELECT * FROM @extschema@._pdb_job_tasks();
GRANT SELECT ON @extschema@.pdb_job_tasks TO PUBLIC;

COMMENT ON VIEW @extschema@.pdb_job_tasks IS 'The tasks of the current role''s durable jobs, with their last outcome';
