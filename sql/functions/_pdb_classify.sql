/*
 * _pdb_classify(tasks text[], OUT plain boolean[], OUT stateful boolean[],
 *               OUT atomic boolean[], OUT batchable boolean[], OUT single boolean[],
 *               OUT tag text[])
 *
 * Facts about each task, read from its text once, before anything runs.
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
 *   statement (a call of _pdb_batch, or a query string), so one transaction:
 *   if any of its tasks fails, none took effect and each runs again alone;
 *   _pdb_batch runs each with EXECUTE, and pdb_run tells the results of a
 *   query string apart by counting them, one per task. So: atomic and single.
 *
 * single: one statement (no ';' but trailing ones), so one result: its end
 *   follows it at once.
 *
 * tag: how _pdb_batch reports a batchable task, which lets a batch on this
 *   database run through it: '' for rows (SELECT, VALUES or TABLE, without
 *   the word INTO: SELECT INTO makes a table), the command tag's prefix for
 *   INSERT, UPDATE, DELETE or MERGE without the word RETURNING ('INSERT 0 ',
 *   'UPDATE ', ...); NULL for the others (WITH, RETURNING, ...), which are
 *   batched as one query string.
 */
CREATE FUNCTION @extschema@._pdb_classify(tasks text[],
                                          OUT plain boolean[],
                                          OUT stateful boolean[],
                                          OUT atomic boolean[],
                                          OUT batchable boolean[],
                                          OUT single boolean[],
                                          OUT tag text[])
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL rather than SQL: its query is planned once per session, a SQL
    -- function's at every call (before PostgreSQL 18), 0.2 ms a call.
    -- E'' strings: the same backslashes whatever standard_conforming_strings
    -- says. A regular expression costs a microsecond or so per task, so each
    -- runs at most once per task (OFFSET 0 keeps a LATERAL subquery from being
    -- merged into the query, where its expressions would run again for every
    -- use), and only when the text holds what it looks for (strpos on the
    -- lowercased text first). The arrays are aggregated from one sorted
    -- subquery, in its order: one sort, not one per array.
    SELECT array_agg(s.plain), array_agg(s.stateful), array_agg(s.atomic), array_agg(s.atomic AND s.single),
           array_agg(s.single), array_agg(CASE WHEN s.atomic AND s.single THEN s.tag END)
      INTO plain, stateful, atomic, batchable, single, tag
      FROM (SELECT u.o, x.plain, y.stateful, z.atomic, z.single, z.tag
              FROM unnest(tasks) WITH ORDINALITY AS u(t, o)
                   CROSS JOIN LATERAL (
                       SELECT v.l, v.w,
                              v.w IN ('select', 'insert', 'update', 'delete', 'merge', 'with', 'values', 'table') AS plain
                         FROM (SELECT f.l,
                                      -- the first word; the regular expression only when the
                                      -- first blank-separated token is not a word by itself
                                      CASE WHEN f.w0 ~ E'^\\w+$' THEN f.w0 ELSE substring(f.l FROM E'^\\s*(\\w+)') END AS w
                                 FROM (SELECT g.l, split_part(ltrim(g.l, E' \t\r\n\f'), ' ', 1) AS w0
                                         FROM (SELECT lower(u.t) AS l OFFSET 0) AS g
                                       OFFSET 0) AS f
                               OFFSET 0) AS v
                       OFFSET 0) AS x
                   CROSS JOIN LATERAL (
                       SELECT x.w IN ('set', 'reset', 'begin', 'start', 'savepoint', 'discard', 'listen', 'prepare',
                                      'declare', 'load')
                              OR ((x.w = 'create' OR strpos(x.l, ';') > 0 OR strpos(x.l, 'set_config') > 0
                                   OR strpos(x.l, 'advisory_lock') > 0 OR strpos(x.l, 'dblink_connect') > 0)
                                  AND u.t ~* E'(^|;)\\s*(set|reset|begin|start|savepoint|discard|listen|prepare|declare|load|create\\s+((local|global)\\s+)?temp(orary)?)\\M|\\m(set_config|pg_advisory_lock|pg_advisory_lock_shared|dblink_connect|dblink_connect_u)\\M')
                                  AS stateful
                       OFFSET 0) AS y
                   CROSS JOIN LATERAL (
                       SELECT CASE WHEN x.plain AND NOT y.stateful
                                   THEN NOT ((strpos(x.l, 'begin') > 0 OR strpos(x.l, 'start') > 0
                                              OR strpos(x.l, 'commit') > 0 OR strpos(x.l, 'end') > 0
                                              OR strpos(x.l, 'rollback') > 0 OR strpos(x.l, 'abort') > 0
                                              OR strpos(x.l, 'savepoint') > 0 OR strpos(x.l, 'release') > 0
                                              OR strpos(x.l, 'prepare') > 0)
                                             AND u.t ~* E'\\m(begin|start|commit|end|rollback|abort|savepoint|release|prepare)\\M')
                                   ELSE false END AS atomic,
                              strpos(rtrim(u.t, E' \t\r\n\f;'), ';') = 0 AS single,
                              CASE WHEN x.w IN ('select', 'values', 'table') THEN
                                        CASE WHEN strpos(x.l, 'into') = 0 OR u.t !~* E'\\minto\\M' THEN '' END
                                   WHEN x.w IN ('insert', 'update', 'delete', 'merge') THEN
                                        CASE WHEN strpos(x.l, 'returning') = 0 OR u.t !~* E'\\mreturning\\M'
                                             THEN CASE x.w WHEN 'insert' THEN 'INSERT 0 ' ELSE upper(x.w) || ' ' END END
                              END AS tag) AS z
             ORDER BY u.o) AS s;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_classify(text[]) IS
'internal: which tasks are plain, may leave session state behind, are atomic, may share a batch, are one statement, and how _pdb_batch reports them';
