/*
 * _pdb_backfill_next(job_id bigint, ranges integer) RETURNS jsonb
 *
 * What a run of backfill job_id runs next (_pdb_job_begin calls it on a
 * connection of its own, committed at once, so that the ranges exist for
 * the workers' claims and each wave of a run sees the last one's
 * outcomes, whatever the caller's isolation): its tasks not done, if any
 * (a range that failed runs again as it was); else the next `ranges` key
 * ranges, cut now from next_key upwards, each of _pdb_backfill_size's rows
 * (at the real keys: the key at that offset in the key's index, so gaps in
 * the keys do not matter; reads as many index entries as rows cut), added
 * to pdb_job_task and pdb_job_range; nothing once every key is cut. A
 * range's condition is "key >= lo AND key < hi" ("key <= key_max" for the
 * last), its bounds plain numbers (an integer literal for an integer key:
 * its index serves).
 * {"ids": [...], "tasks": [...], "attempts": [...]}, by task id.
 * The job's row is locked while it cuts: two runners never cut the same
 * keys.
 */
CREATE FUNCTION @extschema@._pdb_backfill_next(job_id bigint, ranges integer)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tbl      regclass;
    v_key      name;
    v_template text;
    v_max      numeric;
    v_next     numeric;
    v_schema   name;
    v_name     name;
    v_type     name;
    v_size     bigint;
    v_hi       numeric;
    v_rows     bigint;
    v_task     integer;
    v_cond     text;
BEGIN
    SELECT b.tbl, b.key, b.template, b.key_max, b.next_key INTO v_tbl, v_key, v_template, v_max, v_next
      FROM @extschema@.pdb_job_backfill AS b WHERE b.job_id = _pdb_backfill_next.job_id
       FOR UPDATE;
    IF v_next <= v_max AND NOT EXISTS (SELECT FROM @extschema@.pdb_job_task AS t
                                        WHERE t.job_id = _pdb_backfill_next.job_id AND t.status <> 'done') THEN
        v_size := @extschema@._pdb_backfill_size(job_id);
        SELECT n.nspname, c.relname, t.typname INTO v_schema, v_name, v_type
          FROM pg_catalog.pg_class AS c
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = v_key
          JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
         WHERE c.oid = v_tbl;
        v_task := (SELECT coalesce(max(t.task_id), 0) FROM @extschema@.pdb_job_task AS t
                    WHERE t.job_id = _pdb_backfill_next.job_id);
        FOR v_i IN 1..greatest(ranges, 1) LOOP
            EXIT WHEN v_next > v_max;
            -- the range's end: the key v_size rows on (the next key up if that is the same key), read in
            -- the key's index (ORDER BY the column, t.key, not the numeric output of the same name)
            EXECUTE format('SELECT t.%1$I::numeric FROM %2$I.%3$I AS t WHERE t.%1$I >= $1::pg_catalog.%4$I '
                           'AND t.%1$I <= $2::pg_catalog.%4$I ORDER BY t.%1$I OFFSET $3 LIMIT 1',
                           v_key, v_schema, v_name, v_type)
               INTO v_hi USING v_next, v_max, v_size;
            IF v_hi <= v_next THEN
                EXECUTE format('SELECT min(%1$I)::numeric FROM %2$I.%3$I WHERE %1$I > $1::pg_catalog.%4$I '
                               'AND %1$I <= $2::pg_catalog.%4$I', v_key, v_schema, v_name, v_type)
                   INTO v_hi USING v_next, v_max;
            END IF;
            IF v_hi IS NULL THEN  -- the last range
                EXECUTE format('SELECT count(*) FROM %2$I.%3$I WHERE %1$I >= $1::pg_catalog.%4$I '
                               'AND %1$I <= $2::pg_catalog.%4$I', v_key, v_schema, v_name, v_type)
                   INTO v_rows USING v_next, v_max;
                v_cond := format('%1$I >= %2$s AND %1$I <= %3$s', v_key, v_next, v_max);
            ELSE
                v_rows := v_size;
                v_cond := format('%1$I >= %2$s AND %1$I < %3$s', v_key, v_next, v_hi);
            END IF;
            v_task := v_task + 1;
            INSERT INTO @extschema@.pdb_job_task (job_id, task_id, task)
            VALUES (job_id, v_task, replace(v_template, '{chunk}', '(' || v_cond || ')'));
            INSERT INTO @extschema@.pdb_job_range (job_id, task_id, lo, hi, rows)
            VALUES (job_id, v_task, v_next, v_hi, v_rows);
            v_next := coalesce(v_hi, v_max + 1);
        END LOOP;
        UPDATE @extschema@.pdb_job_backfill AS b SET next_key = v_next WHERE b.job_id = _pdb_backfill_next.job_id;
    END IF;
    RETURN (SELECT jsonb_build_object('ids', coalesce(jsonb_agg(t.task_id ORDER BY t.task_id), '[]'),
                                      'tasks', coalesce(jsonb_agg(t.task ORDER BY t.task_id), '[]'),
                                      'attempts', coalesce(jsonb_agg(t.attempts ORDER BY t.task_id), '[]'))
              FROM @extschema@.pdb_job_task AS t
             WHERE t.job_id = _pdb_backfill_next.job_id AND t.status <> 'done');
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_backfill_next(bigint, integer) IS
'internal: a backfill''s tasks not done, or else its next key ranges, cut now';
