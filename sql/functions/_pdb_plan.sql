/*
 * _pdb_plan(tasks text[], targets text[], max_conns integer, alone boolean)
 *     RETURNS _pdb_plan
 *
 * What runs where, for the engine (see the type _pdb_plan). targets holds one
 * target for all tasks, or one per task: a connection string, a dblink_fdw
 * server name, or NULL for this database (the loopback connection string of
 * _pdb_default_connstr). Distinct targets are numbered in order of first use;
 * one target keeps the task order. Each task is classified by _pdb_classify;
 * alone (same_snapshot, atomic) makes every task stateful and unbatchable: it
 * runs alone, in a transaction of its own, with a reset after it. tasks are
 * already checked (_pdb_check) and not empty. Stable, no side effects.
 * Errors: 22023 targets holds neither one target nor one per task (the
 * public functions always pass one of these; a direct call of the engine
 * might not, and would otherwise wait for ever for a target of no slot).
 */
CREATE FUNCTION @extschema@._pdb_plan(tasks text[], targets text[], max_conns integer, alone boolean)
RETURNS @extschema@._pdb_plan
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n         integer := cardinality(tasks);
    v_tasks     text[] := tasks;
    v_task_no   integer[];
    v_pos       integer[];
    v_tgt       integer[];
    v_connstr   text[];
    v_first     integer[];
    v_last      integer[];
    v_stateful  boolean[];
    v_batchable boolean[];
    v_single    boolean[];
    v_tag       text[];
    v_plan      @extschema@._pdb_plan;
BEGIN
    IF coalesce(cardinality(targets) NOT IN (1, v_n), true) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('the engine needs one target, or one per task: %s targets for %s tasks',
                             coalesce(cardinality(targets), 0), v_n);
    END IF;
    IF cardinality(targets) = 1 THEN
        v_connstr := ARRAY[targets[array_lower(targets, 1)]];  -- (whatever the array's lower bound)
        v_task_no := ARRAY(SELECT generate_series(1, v_n));
        v_pos     := v_task_no;
        v_tgt     := array_fill(1, ARRAY[v_n]);
        v_first   := ARRAY[1];
        v_last    := ARRAY[v_n];
    ELSE
        -- distinct targets in order of first use (NULL, this database, is one of them)
        v_connstr := ARRAY(SELECT x.t FROM unnest(targets) WITH ORDINALITY AS x(t, o) GROUP BY x.t ORDER BY min(x.o));
        SELECT array_agg(x.o ORDER BY x.d, x.o), array_agg(x.d ORDER BY x.d, x.o) INTO v_task_no, v_tgt
          FROM (SELECT y.o::integer AS o, array_position(v_connstr, y.t) AS d
                  FROM unnest(targets) WITH ORDINALITY AS y(t, o)) AS x;
        v_pos   := ARRAY(SELECT x.k::integer FROM unnest(v_task_no) WITH ORDINALITY AS x(o, k) ORDER BY x.o);
        v_tasks := ARRAY(SELECT tasks[x.o] FROM unnest(v_task_no) WITH ORDINALITY AS x(o, k) ORDER BY x.k);
        SELECT array_agg(x.lo ORDER BY x.d), array_agg(x.hi ORDER BY x.d) INTO v_first, v_last
          FROM (SELECT y.d, min(y.k)::integer AS lo, max(y.k)::integer AS hi
                  FROM unnest(v_tgt) WITH ORDINALITY AS y(d, k) GROUP BY y.d) AS x;
    END IF;
    IF alone THEN
        v_stateful  := array_fill(true, ARRAY[v_n]);
        v_batchable := array_fill(false, ARRAY[v_n]);
        v_single    := v_batchable;
        v_tag       := array_fill(NULL::text, ARRAY[v_n]);
    ELSE
        SELECT c.stateful, c.batchable, c.single, c.tag INTO v_stateful, v_batchable, v_single, v_tag
          FROM @extschema@._pdb_classify(v_tasks) AS c;
    END IF;
    v_plan := ROW(v_tasks, v_task_no, v_pos, v_tgt, v_stateful, v_batchable, v_single, v_tag,
                  ARRAY(SELECT @extschema@._pdb_connstr(x.c) FROM unnest(v_connstr) WITH ORDINALITY AS x(c, o)
                         ORDER BY x.o),
                  ARRAY(SELECT @extschema@._pdb_mask(x.c, x.c) FROM unnest(v_connstr) WITH ORDINALITY AS x(c, o)
                         ORDER BY x.o),
                  v_first, v_last,
                  ARRAY(SELECT least(max_conns, v_last[d] - v_first[d] + 1)
                          FROM generate_series(1, cardinality(v_connstr)) AS d ORDER BY d)
                 )::@extschema@._pdb_plan;
    RETURN v_plan;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_plan(text[], text[], integer, boolean) IS
'internal: group the tasks of a call by target, number and classify them';
