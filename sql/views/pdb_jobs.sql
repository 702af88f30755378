/*
 * pdb_jobs: one row per durable job of the current role, with its status
 * (pending, partly done, failed, done, cancelled), task counts, whether a
 * runner holds it now, its progress, the rows it changed and, while it
 * runs, an estimate of its end (see _pdb_jobs).
 */
CREATE VIEW @extschema@.pdb_jobs AS SELECT * FROM @extschema@._pdb_jobs();
GRANT SELECT ON @extschema@.pdb_jobs TO PUBLIC;

COMMENT ON VIEW @extschema@.pdb_jobs IS 'The durable jobs of the current role: status, task counts, progress and an estimate of the end';
