/*
 * _pdb_classify(tasks text[], OUT plain boolean[], OUT stateful boolean[],
 *               OUT atomic boolean[], OUT batchable boolean[], OUT single boolean[])
 *
 * Three facts about each task, read from its text once, before anything runs.
 * Each test is cautious: a word inside a string or a comment can make pdb_run
 * more careful than needed, never less.
 *
 * plain: the task starts with SELECT, INSERT, UPDATE, DELETE, MERGE, WITH,
 *   VALUES or TABLE, statements that may run inside a transaction block
 *   (the first condition of atomic below).
 *
 * stateful: the task may leave state behind on its connection that the next
 *   task must not inherit, an open transaction or session settings: a
 *   statement of it starts with SET, RESET, BEGIN, START, SAVEPOINT, DISCARD,
 *   LISTEN, PREPARE, DECLARE, LOAD or CREATE [LOCAL|GLOBAL] TEMP[ORARY], or it
 *   calls set_config, an advisory lock function or dblink_connect anywhere.
 *   After such a task pdb_run resets the connection (DISCARD ALL, then the
 *   setup statements again); if the task left a transaction open, the reset
 *   fails, and pdb_run rolls the transaction back and reports the task as an
 *   error (25001).
 *
 * atomic: other statements may share the task's implicit transaction, all
 *   or nothing: plain, not stateful, and none of the words BEGIN, START,
 *   COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE or PREPARE anywhere (a
 *   CASE ... END makes a task not atomic: cautious, never wrong). A durable
 *   job marks such a task done in its own transaction.
 *
 * batchable: the task may share a batch with its neighbours. A batch is one
 *   query string, so one implicit transaction: if any of its tasks fails, none
 *   took effect and each runs again alone; pdb_run tells the results apart by
 *   counting them, one per task. So: atomic and single.
 *
 * single: one statement (no ';' but trailing ones), so one result: its end
 *   follows it at once.
 */
CREATE FUNCTION @extschema@._pdb_classify(tasks text[],
                                          OUT plain boolean[],
                                          OUT stateful boolean[],
                                          OUT atomic boolean[],
                                          OUT batchable boolean[],
                                          OUT single boolean[])
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- E'' strings: the same backslashes whatever standard_conforming_strings says;
    -- MATERIALIZED: each regular expression runs once per task (inlined CTEs
    -- would run them again for every column that uses them)
    WITH c AS MATERIALIZED (
        SELECT u.t, u.o,
               u.t ~* E'^\\s*(select|insert|update|delete|merge|with|values|table)\\M' AS plain,
               u.t ~* E'(^|;)\\s*(set|reset|begin|start|savepoint|discard|listen|prepare|declare|load|create\\s+((local|global)\\s+)?temp(orary)?)\\M'
               OR u.t ~* E'\\m(set_config|pg_advisory_lock|pg_advisory_lock_shared|dblink_connect|dblink_connect_u)\\M'
                   AS stateful
          FROM unnest($1) WITH ORDINALITY AS u(t, o)
    ), a AS MATERIALIZED (
        SELECT c.o, c.plain, c.stateful,
               c.plain AND NOT c.stateful
               AND c.t !~* E'\\m(begin|start|commit|end|rollback|abort|savepoint|release|prepare)\\M' AS atomic,
               strpos(rtrim(c.t, E' \t\r\n\f;'), ';') = 0 AS single
          FROM c
    )
    SELECT array_agg(a.plain ORDER BY a.o),
           array_agg(a.stateful ORDER BY a.o),
           array_agg(a.atomic ORDER BY a.o),
           array_agg(a.atomic AND a.single ORDER BY a.o),
           array_agg(a.single ORDER BY a.o)
      FROM a
$$;

COMMENT ON FUNCTION @extschema@._pdb_classify(text[]) IS
'internal: which tasks are plain, may leave session state behind, are atomic, may share a batch, are one statement';
