/*
 * _pdb_batchable(tasks text[]) RETURNS boolean[]
 *
 * For each task, whether pdb_run may send it in a batch with its neighbours.
 * A batch is one query string, so one implicit transaction: if any of its
 * tasks fails, none of them took effect and each is run again alone. That is
 * only true of tasks without transaction control, and pdb_run tells the tasks'
 * results apart by counting them, one per task, so a task is batchable when
 * it is one statement (no ';' but trailing ones), is plain (_pdb_plain: starts
 * with SELECT, INSERT, UPDATE, DELETE, MERGE, WITH, VALUES or TABLE), and contains none of the words
 * BEGIN, START, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE or PREPARE
 * anywhere (a ';' in a string or a CASE ... END makes a task run alone too:
 * cautious, never wrong), and does not leave session state behind
 * (_pdb_stateful). Everything else (VACUUM, DDL, CALL, DO, SET, several
 * statements) runs alone.
 */
CREATE FUNCTION @extschema@._pdb_batchable(tasks text[])
RETURNS boolean[]
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(
        -- E'' strings: the same backslashes whatever standard_conforming_strings says
        SELECT u.p
               AND u.t !~* E'\\m(begin|start|commit|end|rollback|abort|savepoint|release|prepare)\\M'
               AND strpos(rtrim(u.t, E' \t\r\n\f;'), ';') = 0
               AND NOT u.s
          FROM unnest($1, @extschema@._pdb_plain($1), @extschema@._pdb_stateful($1)) WITH ORDINALITY AS u(t, p, s, o)
         ORDER BY u.o)
$$;

COMMENT ON FUNCTION @extschema@._pdb_batchable(text[]) IS
'internal: which tasks may share a batch (no transaction control, no VACUUM-like statements)';
