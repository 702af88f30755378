/*
 * _pdb_kept_key(connstr text) RETURNS text
 *
 * What a kept connection may serve (see _pdb_keep), as the end of its name
 * ('_k' and 16 hex digits): the target as the call
 * connects to it (connstr, the loopback's own made with the current user, or a
 * foreign server, whose user mapping follows the current user) and the role
 * that calls, as a digest: a connection kept by one role, or for one
 * connection string, is never taken for another. (A digest: no password of a
 * connection string shows.)
 */
CREATE FUNCTION @extschema@._pdb_kept_key(connstr text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN '_k' || left(md5(concat_ws(E'\n', connstr, current_user, session_user)), 16);
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_kept_key(text) IS
'internal: what a kept connection may serve: its target and the calling role, as a digest';
