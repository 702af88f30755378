/*
 * _pdb_lean_close(dblink_schema name, conns text[]) RETURNS void
 *
 * Closes kept connections that a small call cannot keep (their worker went
 * away, or the call failed: a busy one is cancelled first), and gives back
 * the budget's locks beyond those of the connections still kept
 * (_pdb_budget_trim).
 */
CREATE FUNCTION @extschema@._pdb_lean_close(dblink_schema name, conns text[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._pdb_abort(dblink_schema, NULL, NULL, NULL, NULL, NULL, conns);
    PERFORM @extschema@._pdb_budget_trim(cardinality(@extschema@._pdb_kept_conns(dblink_schema)));
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_close(name, text[]) IS
'internal: close kept connections a small call cannot keep, and give back their budget locks';
