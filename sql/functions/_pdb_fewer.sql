/*
 * _pdb_fewer(caller text, have integer, wanted integer, per_target boolean,
 *            target text, detail text) RETURNS void
 *
 * The WARNING of a pool smaller than wanted: '<caller> uses <have>
 * connections instead of <wanted>', naming the target when per_target
 * (pdb_run_at, pdb_broadcast; target NULL: this database), with detail.
 */
CREATE FUNCTION @extschema@._pdb_fewer(caller text, have integer, wanted integer, per_target boolean,
                                       target text, detail text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE WARNING USING
        MESSAGE = format('%s uses %s connections instead of %s%s', caller, have, wanted,
                         CASE WHEN per_target THEN ' on target ' || coalesce(target, 'NULL (this database)') END),
        DETAIL  = detail;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_fewer(text, integer, integer, boolean, text, text) IS
'internal: warn that a pool is smaller than wanted';
