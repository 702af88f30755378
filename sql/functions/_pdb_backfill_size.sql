/*
 * _pdb_backfill_size(job_id bigint) RETURNS bigint
 *
 * How many rows the next range of backfill job_id gets. With a chunk_time:
 * the rows per second of the ranges done so far, times chunk_time, where
 * the last 20 ranges done count (by when they finished), each earlier one
 * 0.75 times as much as the next (the rows and the seconds are summed with
 * those weights, as pt-online-schema-change's --chunk-time does), so the
 * size follows rows that get costlier or cheaper within a few ranges. At
 * least 1 row; at most twice the largest of those ranges (growth is capped,
 * shrinking is not) and 10,000,000. Before any range is done: chunk_rows,
 * else 1,000. Without a chunk_time: chunk_rows.
 */
CREATE FUNCTION @extschema@._pdb_backfill_size(job_id bigint)
RETURNS bigint
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN b.chunk_time IS NULL THEN b.chunk_rows
                WHEN w.n IS NULL THEN coalesce(b.chunk_rows, 1000)
                WHEN w.secs <= 0 THEN least(2 * w.largest, 10000000)
                ELSE least(greatest(1, round(w.n / w.secs * extract(epoch FROM b.chunk_time)))::bigint,
                           2 * w.largest, 10000000) END
      FROM @extschema@.pdb_job_backfill AS b,
           LATERAL (SELECT sum(power(0.75, d.age) * d.rows) AS n, sum(power(0.75, d.age) * d.secs) AS secs,
                           max(d.rows) AS largest
                      FROM (SELECT r.rows, extract(epoch FROM t.finished_at - t.started_at) AS secs,
                                   row_number() OVER (ORDER BY t.finished_at DESC) - 1 AS age
                              FROM @extschema@.pdb_job_range AS r
                              JOIN @extschema@.pdb_job_task AS t ON t.job_id = r.job_id AND t.task_id = r.task_id
                             WHERE r.job_id = b.job_id AND t.status = 'done' AND t.finished_at IS NOT NULL
                               AND t.started_at IS NOT NULL AND r.rows > 0
                             ORDER BY t.finished_at DESC
                             LIMIT 20) AS d) AS w
     WHERE b.job_id = _pdb_backfill_size.job_id
$$;

COMMENT ON FUNCTION @extschema@._pdb_backfill_size(bigint) IS
'internal: the rows of a backfill''s next range: its recent rows per second times chunk_time, growth capped';
