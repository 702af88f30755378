/*
 * pdb_atomic_run: the atomic calls (atomic => true) whose prepared
 * transactions may not all be settled yet.
 *
 * A call records itself here, through a connection of its own, before any
 * task runs; it records decision = 'commit' the same way before it commits
 * anything (a call that rolls back records nothing: no decision means roll
 * back), and deletes its row once nothing of it is left prepared. A row that
 * stays says that the caller, a worker or a server failed in between:
 * pdb_recover() settles it. targets are the call's targets with passwords
 * masked (NULL: the database of the call). Row level security as for jobs:
 * each role sees its own calls.
 */
CREATE TABLE @extschema@.pdb_atomic_run (
    run_id          uuid        PRIMARY KEY,
    owner           name        NOT NULL DEFAULT current_user,
    coordinator_pid integer     NOT NULL,
    targets         text[]      NOT NULL,
    tasks           integer     NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    decision        text        CHECK (decision OPERATOR(pg_catalog.=) ANY (ARRAY['commit', 'rollback'])),
    decided_at      timestamptz
);

ALTER TABLE @extschema@.pdb_atomic_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY pdb_atomic_run_owner ON @extschema@.pdb_atomic_run
    USING (owner OPERATOR(pg_catalog.=) current_user) WITH CHECK (owner OPERATOR(pg_catalog.=) current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.pdb_atomic_run TO PUBLIC;

-- a decision must survive a dump and restore of this database
SELECT pg_catalog.pg_extension_config_dump('@extschema@.pdb_atomic_run', '');

COMMENT ON TABLE @extschema@.pdb_atomic_run IS
'Atomic pdb_run calls whose prepared transactions may be unsettled; pdb_recover() settles them';
