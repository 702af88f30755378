\unset ECHO
\i test/setup.sql

-- pdb_backfill: a durable job of key ranges cut while it runs. Ranges of a
-- fixed size cover every key once, gaps included; sized by time they grow
-- within the cap and follow the measured rate (weighted, checked on ranges
-- with set timings); a range that fails stops the run and runs again as it
-- was; pdb_jobs counts the keys not cut yet; bad arguments get their errors.
-- (A CALL is not a query: each runs at top level here, its effects checked after.)
CREATE SCHEMA t83;
CREATE TABLE t83.t (id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO t83.t (id) SELECT g FROM generate_series(1, 30000) AS g WHERE g % 3 <> 0 OR g > 20000;  -- gaps below 20000
CREATE TABLE t83.fixed AS
SELECT pdb_backfill('UPDATE t83.t SET v = v + 1 WHERE {chunk}', 't83.t', chunk_time => NULL, chunk_rows => 1000,
                    name => 'fixed') AS id;
SELECT id AS fixed_id FROM t83.fixed \gset
CREATE TABLE t83.before AS SELECT status, tasks, progress FROM pdb_jobs WHERE job_id = :fixed_id;
CALL pdb_job_exec(:fixed_id, 2);
CREATE TABLE t83.v_fixed AS SELECT array_agg(DISTINCT v) AS vs FROM t83.t;

-- by time, from ranges of 100 rows; then by pdb_job_run, which returns the rows of every wave
UPDATE t83.t SET v = 0;
CREATE TABLE t83.timed AS
SELECT pdb_backfill('UPDATE t83.t SET v = v + 1 WHERE {chunk}', 't83.t', chunk_time => '100 ms', chunk_rows => 100) AS id;
SELECT id AS timed_id FROM t83.timed \gset
CALL pdb_job_exec(:timed_id, 2);
CREATE TABLE t83.v_timed AS SELECT array_agg(DISTINCT v) AS vs FROM t83.t;
UPDATE t83.t SET v = 0;
CREATE TABLE t83.by_run AS
SELECT r.* FROM pdb_job_run(pdb_backfill('UPDATE t83.t SET v = v + 1 WHERE {chunk}', 't83.t', chunk_time => NULL,
                                         chunk_rows => 5000), 2) AS r;
CREATE TABLE t83.v_run AS SELECT array_agg(DISTINCT v) AS vs FROM t83.t;

-- a range that fails (a trigger refuses id 5000 while t83.stop holds a row) stops the run there
UPDATE t83.t SET v = 0;
CREATE TABLE t83.stop (id bigint);
INSERT INTO t83.stop VALUES (5000);
CREATE FUNCTION t83.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM t83.stop WHERE id = NEW.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format('row %s refused', NEW.id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse BEFORE UPDATE ON t83.t FOR EACH ROW EXECUTE FUNCTION t83.refuse();
CREATE TABLE t83.failing AS
SELECT pdb_backfill('UPDATE t83.t SET v = v + 1 WHERE {chunk}', 't83.t', chunk_time => NULL, chunk_rows => 2000) AS id;
SELECT id AS failing_id FROM t83.failing \gset
CALL pdb_job_exec(:failing_id, 2);
CREATE TABLE t83.after_fail AS
SELECT (SELECT row(status, failed, progress < 100)::text FROM pdb_jobs WHERE job_id = :failing_id) AS job,
       (SELECT max(id) FROM t83.t WHERE v = 1) AS last_done,
       (SELECT count(*) FROM pdb_job_range WHERE job_id = :failing_id) AS ranges,
       (SELECT array_agg(DISTINCT v) FROM t83.t) AS vs,
       (SELECT task_id || ':' || sqlstate || ':' || error FROM pdb_job_tasks
         WHERE job_id = :failing_id AND status <> 'done') AS failed_task,
       (SELECT task FROM pdb_job_tasks WHERE job_id = :failing_id AND status <> 'done') AS failed_text,
       pdb_job_cancel(:failing_id) AS cancelled, pdb_job_uncancel(:failing_id) AS uncancelled;
TRUNCATE t83.stop;
CALL pdb_job_exec(:failing_id, 2);

CREATE TABLE t83.nokey (a int, b text);
INSERT INTO t83.nokey VALUES (1, 'x');
CREATE TABLE t83.kinds (id int PRIMARY KEY, n int, i int NOT NULL, s text NOT NULL UNIQUE);
INSERT INTO t83.kinds VALUES (1, 1, 1, 'a');
CREATE INDEX ON t83.kinds (n);
CREATE VIEW t83.view AS SELECT * FROM t83.t;
CREATE TABLE t83.empty (id int PRIMARY KEY, v int);

SELECT plan(47);

SELECT throws_ok($$SELECT pdb_backfill(NULL, 't83.t')$$, '22004', 'template must not be null', 'template NULL: 22004');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1 WHERE {chunk}', NULL)$$, '22004',
                 'tbl must not be null', 'tbl NULL: 22004');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1', 't83.t')$$, '22023', 'template must contain {chunk}',
                 'no {chunk}: 22023');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1 WHERE {chunk}', 't83.t', chunk_time => '0')$$, '22023',
                 'chunk_time must be above 0', 'chunk_time 0: 22023');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1 WHERE {chunk}', 't83.t', chunk_rows => 0)$$, '22023',
                 'chunk_rows must be at least 1', 'chunk_rows 0: 22023');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1 WHERE {chunk}', 't83.t', chunk_time => NULL)$$, '22023',
                 'give chunk_time or chunk_rows', 'neither: 22023');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET v = 1 WHERE {chunk}', 't83.view')$$, '42809',
                 't83.view is not a table', 'a view: 42809');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.nokey SET b = 1 WHERE {chunk}', 't83.nokey')$$, '42P10',
                 't83.nokey has no key to cut ranges of', 'no key to be found: 42P10');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.kinds SET n = 1 WHERE {chunk}', 't83.kinds', 'nope')$$, '42703',
                 'column nope of t83.kinds does not exist', 'no such column: 42703');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.kinds SET n = 1 WHERE {chunk}', 't83.kinds', 's')$$, '42804',
                 'cannot backfill t83.kinds in ranges of column s of type text', 'a text key: 42804');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.kinds SET i = 1 WHERE {chunk}', 't83.kinds', 'n')$$, '55000',
                 'column n of t83.kinds may be NULL', 'a key that may be NULL: 55000');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.kinds SET n = 1 WHERE {chunk}', 't83.kinds', 'i')$$, '55000',
                 'column i of t83.kinds has no index', 'a key with no index: 55000');
SELECT throws_ok($$SELECT pdb_backfill('INSERT INTO t83.t SELECT id + 100000 FROM t83.t WHERE {chunk}', 't83.t')$$,
                 '0A000', 'a backfill''s template must be an UPDATE or DELETE that leaves the key alone',
                 'an INSERT: 0A000');
SELECT throws_ok($$SELECT pdb_backfill('UPDATE t83.t SET id = id + 100000 WHERE {chunk}', 't83.t')$$,
                 '0A000', 'a backfill''s template must be an UPDATE or DELETE that leaves the key alone',
                 'an UPDATE of the key: 0A000');
SELECT throws_ok($$SELECT pdb_backfill('DELETE FROM t83.empty WHERE {chunk}', 't83.empty')$$, '22023',
                 't83.empty has no rows to backfill', 'an empty table: 22023');


SELECT is((SELECT row(status, tasks, progress)::text FROM t83.before), '(pending,0,0.0)',
          'a backfill starts pending, with no range cut yet');
SELECT is((SELECT vs FROM t83.v_fixed), ARRAY[1], 'every row was updated once');
SELECT is((SELECT row(status, failed, progress, rows_done)::text FROM pdb_jobs WHERE job_id = :fixed_id),
          '(done,0,100.0,23334)', 'the job is done, 100% of its keys, with the rows it changed');
SELECT is((SELECT array_agg(DISTINCT rows) FROM pdb_job_range WHERE job_id = :fixed_id AND hi IS NOT NULL), ARRAY[1000::bigint],
          'ranges of chunk_rows rows each, gaps in the keys or not');
SELECT is((SELECT count(*) FROM pdb_job_range WHERE job_id = :fixed_id), 24::bigint, 'as many as make the rows');
SELECT is_empty(format($$SELECT r.task_id FROM pdb_job_range AS r
                           JOIN LATERAL (SELECT lead(q.lo) OVER (ORDER BY q.task_id) AS next_lo, q.task_id
                                           FROM pdb_job_range AS q WHERE q.job_id = r.job_id) AS n USING (task_id)
                          WHERE r.job_id = %s AND r.hi IS DISTINCT FROM n.next_lo$$, :fixed_id),
                'each range ends where the next begins');
SELECT is((SELECT row(min(lo), max(hi))::text FROM pdb_job_range WHERE job_id = :fixed_id), '(1,29667)',
          'from the smallest key, the last one open up to the largest');
SELECT is((SELECT task FROM pdb_job_tasks WHERE job_id = :fixed_id AND task_id = 2),
          'UPDATE t83.t SET v = v + 1 WHERE (id >= 1501 AND id < 3001)', 'a range''s task is the template with its keys');
SELECT is((SELECT task FROM pdb_job_tasks WHERE job_id = :fixed_id AND task_id = 24),
          'UPDATE t83.t SET v = v + 1 WHERE (id >= 29667 AND id <= 30000)', 'the last range ends at the largest key');
SELECT is((SELECT array_agg(DISTINCT result) FROM pdb_job_tasks WHERE job_id = :fixed_id AND task_id < 24),
          ARRAY['UPDATE 1000'], 'each range changed its rows');

SELECT is((SELECT vs FROM t83.v_timed), ARRAY[1], 'by time: every row was updated once');
SELECT is((SELECT status FROM pdb_jobs WHERE job_id = :timed_id), 'done', 'and the job is done');
SELECT is((SELECT array_agg(rows ORDER BY task_id) FROM pdb_job_range WHERE job_id = :timed_id AND task_id <= 4),
          ARRAY[100, 100, 100, 100]::bigint[], 'its first wave has chunk_rows rows per range, two per connection');
SELECT is_empty(format($$SELECT task_id FROM (SELECT task_id, rows, max(rows) OVER (ORDER BY task_id ROWS BETWEEN
                                                     UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
                                               FROM pdb_job_range WHERE job_id = %s AND hi IS NOT NULL) AS r
                          WHERE rows > 2 * before$$, :timed_id),
                'no range has more than twice the rows of the largest before it');
SELECT ok((SELECT max(rows) FROM pdb_job_range WHERE job_id = :timed_id) >= 400,
          'ranges grew from 100 rows as the rows proved cheap');

SELECT is((SELECT vs FROM t83.v_run), ARRAY[1], 'pdb_job_run: every row was updated once');
SELECT is((SELECT row(count(*), count(*) FILTER (WHERE status = 'ok'), min(task_id), max(task_id))::text FROM t83.by_run),
          '(5,5,1,5)', 'and it returned the row of every range of every wave');

SELECT is((SELECT job FROM t83.after_fail), '(failed,1,t)', 'a range that fails: the job is failed, not all done');
SELECT is((SELECT failed_task FROM t83.after_fail), '2:23514:row 5000 refused',
          'with the range''s error');
SELECT is((SELECT last_done FROM t83.after_fail), 11999::bigint, 'the other ranges of its wave are done');
SELECT is((SELECT ranges FROM t83.after_fail), 4::bigint,
          'and no range after its wave was cut (a wave: two ranges per connection)');
SELECT is((SELECT vs FROM t83.after_fail), ARRAY[0, 1], 'nothing of the failed range changed');
SELECT is((SELECT row(cancelled, uncancelled)::text FROM t83.after_fail), '(t,t)',
          'a backfill with keys left can be cancelled, and that undone');
SELECT is((SELECT task FROM pdb_job_tasks WHERE job_id = :failing_id AND task_id = 2),
          (SELECT failed_text FROM t83.after_fail), 'run again, the failed range is the same range');
SELECT is((SELECT attempts || ':' || status FROM pdb_job_tasks WHERE job_id = :failing_id AND task_id = 2), '2:done',
          'it ran a second time, and is done');
SELECT is((SELECT array_agg(DISTINCT v) FROM t83.t), ARRAY[1], 'and every row was updated once in all');
SELECT is((SELECT row(status, progress)::text FROM pdb_jobs WHERE job_id = :failing_id), '(done,100.0)',
          'the job is done');
SELECT is(pdb_job_cancel(:failing_id), false, 'a done backfill is not relabelled cancelled');

-- the next range's size: the rows per second of the last ranges done, each 0.75 times the weight of
-- the next, times chunk_time; shrinking at once, growth capped at twice the largest
CREATE FUNCTION pg_temp.sized(secs double precision[], chunk_time interval) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_job bigint;
BEGIN
    INSERT INTO pdb_job (name) VALUES ('sizing') RETURNING job_id INTO v_job;
    INSERT INTO pdb_job_backfill (job_id, tbl, key, template, chunk_time, key_min, key_max, next_key)
    VALUES (v_job, 't83.t', 'id', 'UPDATE t83.t SET v = v WHERE {chunk}', chunk_time, 1, 30000, 1);
    INSERT INTO pdb_job_task (job_id, task_id, task, status, started_at, finished_at)
    SELECT v_job, o, 'x', 'done', timestamptz '2026-01-01' + o * interval '1 minute',
           timestamptz '2026-01-01' + o * interval '1 minute' + s * interval '1 second'
      FROM unnest(secs) WITH ORDINALITY AS u(s, o);
    INSERT INTO pdb_job_range (job_id, task_id, lo, hi, rows)
    SELECT v_job, o, o * 1000, o * 1000 + 1000, 1000 FROM unnest(secs) WITH ORDINALITY AS u(s, o);
    RETURN _pdb_backfill_size(v_job);
END
$$;
SELECT is(pg_temp.sized(ARRAY[1, 1, 1], '1.5 s'), 1500::bigint, '1,000 rows a second for 1.5 s: 1,500 rows');
SELECT is(pg_temp.sized(ARRAY[1, 1, 1], '10 s'), 2000::bigint, 'at most twice the largest range so far');
SELECT is(pg_temp.sized(ARRAY[1, 1, 10], '1 s'), 204::bigint,
          'the last range counts most: (1000 + 750 + 562.5) rows / (10 + 0.75 + 0.5625) s');
SELECT is(pg_temp.sized(ARRAY[0.001, 5000], '1 s'), 1::bigint, 'at least one row');

SELECT * FROM finish();
