"""The benchmark: pdb_run against the other ways to run many statements in parallel.

What runs: a throwaway cluster (Unix socket only, fsync off, autovacuum off, JIT off,
max_parallel_workers_per_gather = 0 and max_parallel_maintenance_workers = 0 so that
every statement runs on one core unless a contender asks for more), the extension,
and a `bench` schema holding the tables and the seed recipe function.

Contenders, each run with N connections (N = os.cpu_count() unless --conns):
  serial    the statements one after another in one psycopg session (autocommit);
            for UPDATE and the aggregate: the single statement over the whole table
  seed      the manual dblink recipe of the seed document, as a PL/pgSQL function
            bench.seed_run: one new named connection per task (dblink_connect,
            dblink_send_query, a dblink_is_busy loop with pg_sleep(0.01) when
            nothing ended, dblink_get_result, dblink_error_message,
            dblink_disconnect), at most N at a time
  pdb_run   pdb_run(tasks, N)
  pdb_query, dblink
            the rows workloads only: `SELECT count(*), sum(first column) FROM pdb_query(NULL::type,
            tasks, N)`, and the same over plain `dblink(connstr, task) AS t(columns)`, one task
            after the other: both read every row into the calling backend
  batch, batch_large
            pdb_run(tasks, N, batch_size => 50), and => 200, tiny tasks only, and only
            when pg_proc shows that pdb_run has a batch_size argument
  bare      tiny tasks only, a reference, not a way to run tasks: the least a PL/pgSQL
            coordinator can do per task, as bench.bare_run: N named connections, each
            task sent with dblink_send_query, dblink_is_busy polled without sleeping, the
            first value and the end read with dblink_get_result; no error handling, no
            bookkeeping, no labels. How far pdb_run is from it is what its own work costs
  pool      a client-side pool: N Python threads, each with its own psycopg
            connection (connecting is timed), pulling tasks from a queue
  parallel  GNU parallel running one `psql -c <task>` per task (-j N), the tasks on stdin
  vacuumdb, reindexdb
            `vacuumdb --jobs N -t ...` and `reindexdb --jobs N -t ...` over the tables of the
            VACUUM and REINDEX workloads: the client tools a DBA uses for these today
  native    PostgreSQL's parallel query (max_parallel_workers_per_gather = N), one
            statement, for the read-only aggregate only
  chunk_ctid, chunk_key
            the chunked UPDATE workload only: pdb_run(pdb_tasks(template, table, K, 'ctid' | 'id'), N)
            in one statement, K = 4 * N chunks of heap blocks (ctid ranges, whose tasks import
            the snapshot pdb_tasks exports) or of the primary key (plain READ COMMITTED tasks)

Every workload runs every contender that fits it, `reps` times, the contenders
rotated within each repetition; a contender whose median run is under FAST_S (0.1 s),
where a millisecond of noise is a few percent, runs again with the other such
contenders of the workload, still rotated, until each has FAST_REPS (9) runs (not in
workloads that rebuild tables before every run, which takes seconds). Each
gets the tasks in its own form before the clock starts: the client-side contenders
(serial, pool, parallel) as a Python list, the in-database ones (seed, bare, pdb_run
and its batches) as a text[] stored in bench.task_list, which the timed call reads (a Python list passed as a parameter would
be turned into an array literal in the client, 0.15 s for 100,000 tasks, in their time).
The tables a workload changes are rebuilt before every run (not timed). Per
(workload, contender): median wall time, tasks/s, speedup over serial, and the
coordinator's CPU share while its tasks run: the time on CPU
of the calling backend (/proc/<pid>/schedstat, in ns; where the kernel has no
schedstat, utime + stime of /proc/<pid>/stat in 1/CLK_TCK s ticks, too coarse for a
share under 1% of short runs) for seed, pdb_run and the chunk contenders, the Python process's CPU time for the
pool, the CPU of GNU parallel and its psql children for parallel. Every contender's
results must agree with serial's (same values, same row counts), and every task must
succeed.

The rows workloads (issue 19): rows_large, one task returning 200,000 rows of (int, text)
from a table built once, and rows_cpu, 4 CPU-heavy queries (two md5 per generated row)
returning about 1/16 of their rows each. Serial and the pool fetch every row into Python
(psycopg); their result per task is "rows sum first" (the row count, the sum of the first
column and its first value), pdb_query's and dblink's the totals, which all must agree;
pdb_run reads every row too and must return NULL for each task (its documented result for rows of
several columns).

The chunked UPDATE workload (chunked_update, run last so that its gigabytes of
writes disturb no other workload): `UPDATE bench.chunky SET v = v + 1` on a table
(id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0, pad text), default fillfactor,
of 10,000,000 rows (quick: 600,000); serial = that single UPDATE in one session,
against chunk_ctid and chunk_key. The rows are generated once into
bench.chunky_template; before every run (not timed) bench.chunky is recreated from
it (INSERT ... SELECT with synchronize_seqscans off, so in the same physical order,
then the primary key, VACUUM ANALYZE, CHECKPOINT), and after every run (not timed)
every row must have v = 1, updated exactly once, or the contender failed. On 2
cores it adds about 12 s to the quick mode (under 2 minutes in all) and about
4.5 minutes to the full mode (about 18 minutes in all, with the UPDATE ceiling).

The aggregate's tasks are the ranges of heap blocks pdb_chunks gives for bench.agg
(TID range scans), for every contender alike.

The UPDATE ceiling (update_ceiling, full mode only: it adds about 75 s): N tables
bench.ceil0.. of update_rows / N rows each, rebuilt before every run, and one UPDATE
of each whole table (the same statement as the update workload's serial one):
serial runs them one after the other, pool and pdb_run one per connection at once.
The tasks share nothing but the server (no key ranges, no index scans, no table in
common), so pool's speedup is what N cores give an UPDATE on this machine, whoever
coordinates: the ceiling of the UPDATE goals, reported next to them as a reference.

Writes bench/results.json (machine, settings, every measurement), bench/results.md
(a table per workload, ratios to pdb_run, the goals of issue 3 met or not) and
bench/chart.png; prints the markdown. Exits 0 whatever the goals say, 1 if any
contender failed.

Modules: model (modes, labels, runs, workloads, CPU helpers), contenders (and their PL/pgSQL in
sql/, checked by test/sql/92_bench_lint.sql), workloads, measure, report (markdown with tabulate,
the chart), main.
"""
from .main import main  # noqa: F401
from .measure import stats  # noqa: F401
from .model import CLK_TCK, MODES, Run, backend_cpu, cpu_source, rows_digest  # noqa: F401
from .report import cpu_source_text, goals, markdown  # noqa: F401
from .workloads import workloads  # noqa: F401
