/*
 * _pdb_session_init() RETURNS bigint
 *
 * Makes sure this backend has the temp objects pdb_run keeps its state in:
 * pg_temp._pdb_conns (one row per open worker connection of a running call)
 * and the sequence pg_temp._pdb_calls; returns a new call number, unique in
 * this backend even across rolled-back transactions (sequences ignore rollback).
 * Side effects: creates the two temp objects on first use in a session, usable
 * by every role (only this session can see them), so that pdb_run works after
 * SET ROLE to another role in the same session.
 */
CREATE FUNCTION @extschema@._pdb_session_init()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass('pg_temp._pdb_conns') IS NULL THEN
        CREATE TEMP TABLE _pdb_conns (
            call_id   bigint      NOT NULL,
            slot      integer     NOT NULL,
            conn_name text        PRIMARY KEY,
            worker_pid integer    NOT NULL,
            opened_at timestamptz NOT NULL
        );
        GRANT SELECT, INSERT, UPDATE, DELETE ON pg_temp._pdb_conns TO PUBLIC;
    END IF;
    IF to_regclass('pg_temp._pdb_calls') IS NULL THEN
        CREATE TEMP SEQUENCE _pdb_calls;
        GRANT USAGE, SELECT, UPDATE ON SEQUENCE pg_temp._pdb_calls TO PUBLIC;
    END IF;
    RETURN nextval(to_regclass('pg_temp._pdb_calls'));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_session_init() IS
'internal: create the session''s temp state on first use and return a new call number';
