/*
 * _pdb_stateful(tasks text[]) RETURNS boolean[]
 *
 * For each task, whether it may leave state behind on its connection that
 * the next task must not inherit: an open transaction or session settings.
 * True when a statement of the task starts with SET, RESET, BEGIN, START,
 * SAVEPOINT, DISCARD, LISTEN, PREPARE, DECLARE, LOAD or CREATE TEMP/TEMPORARY
 * (also LOCAL/GLOBAL TEMP), or when the task calls set_config, an advisory
 * lock function or dblink_connect anywhere. Cautious: a match inside a string
 * or a function body costs one needless reset, never a leak of these forms.
 * After such a task pdb_run resets the connection (DISCARD ALL, and the setup
 * statements again); if the task left a transaction open, the reset fails,
 * pdb_run rolls the transaction back and reports the task as an error (25001).
 */
CREATE FUNCTION @extschema@._pdb_stateful(tasks text[])
RETURNS boolean[]
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- E'' strings: the same backslashes whatever standard_conforming_strings says
    SELECT ARRAY(
        SELECT u.t ~* E'(^|;)\\s*(set|reset|begin|start|savepoint|discard|listen|prepare|declare|load|create\\s+((local|global)\\s+)?temp(orary)?)\\M'
               OR u.t ~* E'\\m(set_config|pg_advisory_lock|pg_advisory_lock_shared|dblink_connect|dblink_connect_u)\\M'
          FROM unnest($1) WITH ORDINALITY AS u(t, o)
         ORDER BY u.o)
$$;

COMMENT ON FUNCTION @extschema@._pdb_stateful(text[]) IS
'internal: which tasks may leave session state or an open transaction on their connection';
