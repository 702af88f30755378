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
"""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import datetime
import json
import math
import os
import queue
import random
import resource
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psycopg

from .cluster import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "bench")
BATCH_SIZES = {"batch": 50, "batch_large": 200}
SEED_SLEEP = 0.01
CLK_TCK = os.sysconf("SC_CLK_TCK")

# sizes per mode; tiny_caps: the most tiny tasks given to the contenders that open
# a new connection (seed: ~3 ms a task) or start a new psql (parallel: ~20 ms) per task
MODES = {
    "quick": dict(reps=2, tiny=(1_000, 10_000), tiny_caps={"seed": 1_000, "parallel": 0}, cpu_rows=300_000,
                  update_rows=250_000, vacuum_rows=30_000, index_rows=100_000,
                  agg_rows=2_000_000, sleep_scale=0.15, long_sleep=0.6, chunk_rows=600_000),
    "full": dict(reps=3, tiny=(1_000, 10_000, 100_000), tiny_caps={"seed": 10_000, "parallel": 1_000},
                 cpu_rows=1_200_000, update_rows=2_000_000, vacuum_rows=200_000, index_rows=500_000,
                 agg_rows=10_000_000, sleep_scale=0.5, long_sleep=3.0, chunk_rows=10_000_000,
                 update_ceiling=True),
}

LABELS = {
    "serial": "serial (1 session)",
    "seed": "seed recipe (dblink, new conn per task)",
    "pdb_run": "pdb_run",
    "bare": "bare dblink loop (reference)",
    "batch": f"pdb_run batch_size {BATCH_SIZES['batch']}",
    "batch_large": f"pdb_run batch_size {BATCH_SIZES['batch_large']}",
    "pool": "client pool (psycopg threads)",
    "parallel": "GNU parallel + psql",
    "native": "native parallel query",
    "chunk_ctid": "pdb_run ctid chunks",
    "chunk_key": "pdb_run key chunks",
}
CPU_SOURCE = {
    "seed": "calling backend",
    "pdb_run": "calling backend",
    "bare": "calling backend",
    "batch": "calling backend",
    "batch_large": "calling backend",
    "pool": "Python process",
    "parallel": "parallel + psql processes",
    "chunk_ctid": "calling backend",
    "chunk_key": "calling backend",
}

SEED_FUNCTION = """
CREATE FUNCTION bench.seed_run(tasks text[], max_conns int, connstr text)
RETURNS TABLE (task_id int, ok boolean, result text, error text)
LANGUAGE plpgsql AS $f$
DECLARE
    v_names text[] := '{}';   -- open connections, one per running task
    v_ids   int[]  := '{}';
    v_keep_names text[];
    v_keep_ids   int[];
    v_next  int := 1;
    v_name  text;
    v_err   text;
BEGIN
    LOOP
        -- a new connection for every task, while fewer than max_conns run
        WHILE v_next <= cardinality(tasks) AND cardinality(v_names) < max_conns LOOP
            v_name := 'seed_' || v_next;
            PERFORM dblink_connect(v_name, connstr);
            PERFORM dblink_send_query(v_name, tasks[v_next]);
            v_names := v_names || v_name;
            v_ids := v_ids || v_next;
            v_next := v_next + 1;
        END LOOP;
        EXIT WHEN cardinality(v_names) = 0;
        -- collect the tasks that ended and close their connections
        v_keep_names := '{}';
        v_keep_ids := '{}';
        FOR i IN 1..cardinality(v_names) LOOP
            IF dblink_is_busy(v_names[i]) = 0 THEN
                result := NULL;
                SELECT r INTO result FROM dblink_get_result(v_names[i], false) AS t(r text) LIMIT 1;
                v_err := dblink_error_message(v_names[i]);
                PERFORM dblink_disconnect(v_names[i]);
                task_id := v_ids[i];
                ok := v_err = 'OK';
                error := nullif(v_err, 'OK');
                RETURN NEXT;
            ELSE
                v_keep_names := v_keep_names || v_names[i];
                v_keep_ids := v_keep_ids || v_ids[i];
            END IF;
        END LOOP;
        IF cardinality(v_keep_names) = cardinality(v_names) THEN
            PERFORM pg_sleep(%(sleep)s);
        END IF;
        v_names := v_keep_names;
        v_ids := v_keep_ids;
    END LOOP;
END
$f$
""" % {"sleep": SEED_SLEEP}


BARE_FUNCTION = """
CREATE FUNCTION bench.bare_run(tasks text[], max_conns int, connstr text)
RETURNS SETOF text
LANGUAGE plpgsql AS $f$
DECLARE
    v_n     int := cardinality(tasks);
    v_conns int := least(max_conns, v_n);
    v_task  int[] := array_fill(0, ARRAY[v_conns]);  -- what each connection runs, 0: nothing
    v_out   text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_next  int := 1;
    v_done  int := 0;
    v_value text;
BEGIN
    FOR i IN 1..v_conns LOOP
        PERFORM dblink_connect('bare_' || i, connstr);
    END LOOP;
    WHILE v_done < v_n LOOP
        FOR i IN 1..v_conns LOOP
            IF v_task[i] = 0 AND v_next <= v_n THEN
                PERFORM dblink_send_query('bare_' || i, tasks[v_next]);
                v_task[i] := v_next;
                v_next := v_next + 1;
            ELSIF v_task[i] > 0 AND dblink_is_busy('bare_' || i) = 0 THEN
                SELECT r.v INTO v_value FROM dblink_get_result('bare_' || i, true) AS r(v text) LIMIT 1;
                PERFORM FROM dblink_get_result('bare_' || i, true) AS r(v text);
                v_out[v_task[i]] := v_value;
                v_task[i] := 0;
                v_done := v_done + 1;
            END IF;
        END LOOP;
    END LOOP;
    FOR i IN 1..v_conns LOOP
        PERFORM dblink_disconnect('bare_' || i);
    END LOOP;
    RETURN QUERY SELECT u FROM unnest(v_out) AS u;
END
$f$
"""


class ContenderFailed(Exception):
    """A task failed, a contender crashed, or its results disagree with serial's."""


@dataclass
class Run:
    seconds: float
    results: list            # one text value per task: the first column, or the command tag
    cpu: float | None = None  # coordinator CPU seconds


@dataclass
class Workload:
    name: str
    description: str
    tasks: list
    summary: Callable        # results -> what every contender must agree on
    contenders: list
    serial_tasks: list | None = None   # what serial runs instead of tasks
    native: str | None = None          # the single statement of native parallel query
    prepare: Callable | None = None    # rebuilds what the tasks change, before every run
    skipped: dict = field(default_factory=dict)  # contender -> why it did not run
    setup: Callable | None = None      # (conn) builds what the workload needs, once, before its runs
    teardown: Callable | None = None   # (conn) drops it, after its runs
    verify: Callable | None = None     # (conn) -> None, or what is wrong, after every run (not timed)
    chunks: dict | None = None         # chunk_ctid, chunk_key: template, table and chunks of pdb_tasks
    labels: dict = field(default_factory=dict)   # contender -> its label here, instead of LABELS


@dataclass
class Bench:
    cluster: Cluster
    conns: int
    sessions: dict           # contender -> its own autocommit psycopg connection
    has_batch: bool

    @property
    def dsn(self):
        return self.cluster.dsn()

    @property
    def admin(self):
        return self.sessions["admin"]


# -- helpers

def as_text(value):
    return "" if value is None else str(value)


def first_value(cur):
    """The first column of the first row, or the command tag."""
    if cur.description is None:
        return cur.statusmessage
    row = cur.fetchone()
    return as_text(row[0] if row else None)


def cpu_source():
    """Where backend_cpu reads: 'schedstat' (ns) where the kernel has it, else 'stat' (ticks)."""
    return "schedstat" if os.path.exists(f"/proc/{os.getpid()}/schedstat") else "stat"


def backend_cpu(pid, source=None):
    """CPU seconds of process pid: its time on CPU from /proc/<pid>/schedstat (first field, ns), or
    utime + stime (fields 14 and 15 of /proc/<pid>/stat, in ticks) with source='stat'."""
    if (source or cpu_source()) == "schedstat":
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- contenders: each takes (bench, workload), returns a Run or raises ContenderFailed

def run_serial(bench, w):
    cur = bench.sessions["serial"].cursor()
    start = time.perf_counter()
    results = []
    for sql in w.serial_tasks or w.tasks:
        cur.execute(sql)
        results.append(first_value(cur))
    return Run(time.perf_counter() - start, results)


def run_in_backend(bench, contender, sql, params):
    """Time one coordinating call and the CPU of the backend that runs it."""
    conn = bench.sessions[contender]
    pid = conn.info.backend_pid
    cpu = backend_cpu(pid)
    start = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    seconds = time.perf_counter() - start
    return rows, seconds, backend_cpu(pid) - cpu


# the in-database contenders read their tasks from bench.task_list, where measure() put them
# before the clock starts, as the client-side ones read theirs from a Python list
TASKS = "(SELECT t.tasks FROM bench.task_list AS t WHERE t.workload = %s)"


def store_tasks(conn, w):
    """Hand w's tasks to the in-database contenders (not timed): a text[] in bench.task_list. Passed as
    a parameter of each timed call instead, the Python list would be turned into an array literal in
    the client each time (about 0.15 s for 100,000 tasks), which no contender's own work is."""
    conn.execute("INSERT INTO bench.task_list (workload, tasks) VALUES (%s, %s) "
                 "ON CONFLICT (workload) DO UPDATE SET tasks = EXCLUDED.tasks", (w.name, w.tasks))


def run_seed(bench, w):
    rows, seconds, cpu = run_in_backend(
        bench, "seed", f"SELECT task_id, ok, result, error FROM bench.seed_run({TASKS}, %s, %s)",
        (w.name, bench.conns, bench.dsn))
    rows.sort()
    failed = [(r[0], r[3]) for r in rows if not r[1]]
    if failed or len(rows) != len(w.tasks):
        raise ContenderFailed(f"seed recipe: {len(rows)} rows for {len(w.tasks)} tasks, failed: {failed[:3]}")
    return Run(seconds, [as_text(r[2]) for r in rows], cpu)


def run_bare(bench, w):
    rows, seconds, cpu = run_in_backend(bench, "bare", f"SELECT * FROM bench.bare_run({TASKS}, %s, %s)",
                                        (w.name, bench.conns, bench.dsn))
    if len(rows) != len(w.tasks):
        raise ContenderFailed(f"bare loop: {len(rows)} rows for {len(w.tasks)} tasks")
    return Run(seconds, [as_text(r[0]) for r in rows], cpu)


def pdb_run_rows(bench, contender, w, batch):
    extra = ", batch_size => %s" if batch else ""
    params = (w.name, bench.conns, batch) if batch else (w.name, bench.conns)
    rows, seconds, cpu = run_in_backend(
        bench, contender, f"SELECT status, result, sqlstate, error FROM pdb_run({TASKS}, %s{extra})", params)
    failed = [(i + 1, r[2], r[3]) for i, r in enumerate(rows) if r[0] != "ok"]
    if failed or len(rows) != len(w.tasks):
        raise ContenderFailed(f"{contender}: {len(rows)} rows for {len(w.tasks)} tasks, failed: {failed[:3]}")
    return Run(seconds, [as_text(r[1]) for r in rows], cpu)


def run_pdb(bench, w):
    return pdb_run_rows(bench, "pdb_run", w, None)


def run_batch(bench, w, contender):
    return pdb_run_rows(bench, contender, w, BATCH_SIZES[contender])


def run_pool(bench, w):
    results = [None] * len(w.tasks)
    todo = queue.SimpleQueue()
    for i in range(len(w.tasks)):
        todo.put(i)
    errors = []

    def worker():
        try:
            with psycopg.connect(bench.dsn, autocommit=True) as conn:
                cur = conn.cursor()
                while True:
                    try:
                        i = todo.get_nowait()
                    except queue.Empty:
                        return
                    cur.execute(w.tasks[i])
                    results[i] = first_value(cur)
        except psycopg.Error as e:
            errors.append(e)

    cpu = time.process_time()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(min(bench.conns, len(w.tasks)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if errors or None in results:
        raise ContenderFailed(f"client pool: {errors[:3]}")
    return Run(seconds, results, time.process_time() - cpu)


def run_gnu_parallel(bench, w):
    if any("\n" in t for t in w.tasks):
        raise ContenderFailed("GNU parallel: a task spans several lines")
    cmd = ["parallel", "--will-cite", "-j", str(bench.conns), "-k",
           "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", "{}"]
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run(cmd, input="\n".join(w.tasks) + "\n", env=bench.cluster.env(),
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    results = out.stdout.splitlines()
    if out.returncode != 0 or len(results) != len(w.tasks):
        raise ContenderFailed(f"GNU parallel: exit {out.returncode}, {len(results)} lines for "
                              f"{len(w.tasks)} tasks: {out.stderr.strip()[:300]}")
    return Run(seconds, results, children_cpu() - cpu)


def run_chunks(bench, w, contender, key):
    """pdb_run(pdb_tasks(...), N) in one statement (block chunks import the snapshot pdb_tasks exports)."""
    c = w.chunks
    rows, seconds, cpu = run_in_backend(
        bench, contender,
        "SELECT count(*) FILTER (WHERE status <> 'ok'), count(*),"
        "       sum(split_part(result, ' ', 2)::bigint) FILTER (WHERE status = 'ok'),"
        "       min('task ' || task_id || ': ' || status || ' ' || coalesce(sqlstate, '') || ' '"
        "           || coalesce(error, '')) FILTER (WHERE status <> 'ok')"
        "  FROM pdb_run(pdb_tasks(%s::text, %s::regclass, %s::int, %s::name), %s)",
        (c["template"], c["table"], c["chunks"], key, bench.conns))
    failed, tasks, touched, first_error = rows[0]
    if failed or tasks != c["chunks"]:
        raise ContenderFailed(f"{contender}: {tasks} rows for {c['chunks']} chunks, {failed} failed: {first_error}")
    return Run(seconds, [f"UPDATE {touched}"], cpu)


def run_native(bench, w):
    cur = bench.sessions["native"].cursor()
    start = time.perf_counter()
    cur.execute(w.native)
    return Run(time.perf_counter() - start, [first_value(cur)])


RUNNERS = {
    "serial": run_serial,
    "seed": run_seed,
    "pdb_run": run_pdb,
    "bare": run_bare,
    "batch": lambda bench, w: run_batch(bench, w, "batch"),
    "batch_large": lambda bench, w: run_batch(bench, w, "batch_large"),
    "pool": run_pool,
    "parallel": run_gnu_parallel,
    "native": run_native,
    "chunk_ctid": lambda bench, w: run_chunks(bench, w, "chunk_ctid", "ctid"),
    "chunk_key": lambda bench, w: run_chunks(bench, w, "chunk_key", "id"),
}


# -- workloads

def sorted_values(results):
    return sorted(results)


def count(results):
    return len(results)


def int_total(results):
    return sum(int(r) for r in results)


def rows_touched(results):
    return sum(int(r.split()[-1]) for r in results)


def key_ranges(rows, parts):
    return [(i * rows // parts, (i + 1) * rows // parts) for i in range(parts)]


def create_table(cur, name, rows):
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    cur.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, v int, h text)")
    cur.execute(f"INSERT INTO {name} SELECT g, g % 1000, md5(g::text) FROM generate_series(1, {rows}) g")


def prepare_update(conn, rows):
    with conn.cursor() as cur:
        create_table(cur, "bench.upd", rows)
        cur.execute("VACUUM ANALYZE bench.upd")
        cur.execute("CHECKPOINT")


def prepare_ceiling(conn, rows, tables):
    with conn.cursor() as cur:
        for i in range(tables):
            create_table(cur, f"bench.ceil{i}", rows)
            cur.execute(f"VACUUM ANALYZE bench.ceil{i}")
        cur.execute("CHECKPOINT")


def teardown_ceiling(conn, tables):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS " + ", ".join(f"bench.ceil{i}" for i in range(tables)))
        cur.execute("CHECKPOINT")


def update_ceiling_workload(rows, conns):
    each = rows // conns
    return Workload(
        "update_ceiling",
        f"{conns} UPDATEs of {conns} separate tables of {each:,} rows each (`UPDATE bench.ceilI SET v = v + 1, "
        "h = md5(h)`): serial = one after the other; the others = one per connection at once. Nothing "
        "shared but the server: what the cores give an UPDATE here (a reference for the UPDATE goals)",
        [f"UPDATE bench.ceil{i} SET v = v + 1, h = md5(h)" for i in range(conns)],
        rows_touched, ["serial", "pdb_run", "pool"],
        prepare=lambda conn: prepare_ceiling(conn, each, conns),
        teardown=lambda conn: teardown_ceiling(conn, conns))


def prepare_vacuum(conn, rows, tables):
    with conn.cursor() as cur:
        for i in range(tables):
            create_table(cur, f"bench.vac{i}", rows)
            cur.execute(f"UPDATE bench.vac{i} SET v = v + 1")  # one dead row per live row
        cur.execute("CHECKPOINT")


def prepare_index(conn, tables):
    with conn.cursor() as cur:
        for i in range(tables):
            cur.execute(f"DROP INDEX IF EXISTS bench.idx{i}_h")
        cur.execute("CHECKPOINT")


def setup_chunky(conn, rows):
    """The rows of the chunked UPDATE, once: bench.chunky is rebuilt from them before every run."""
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench.chunky_template")
        cur.execute("CREATE TABLE bench.chunky_template AS SELECT g::bigint AS id, 0 AS v, md5(g::text) AS pad "
                    f"FROM generate_series(1, {rows}) g")


def prepare_chunky(conn):
    """bench.chunky as it was before any run: same rows, same physical order, fresh index and statistics."""
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench.chunky")
        cur.execute("CREATE TABLE bench.chunky (id bigint, v int NOT NULL DEFAULT 0, pad text)")
        cur.execute("SET synchronize_seqscans = off")  # read the template from its first block
        cur.execute("INSERT INTO bench.chunky SELECT id, v, pad FROM bench.chunky_template")
        cur.execute("RESET synchronize_seqscans")
        cur.execute("ALTER TABLE bench.chunky ADD PRIMARY KEY (id)")
        cur.execute("VACUUM ANALYZE bench.chunky")
        cur.execute("CHECKPOINT")


def verify_chunky(conn, rows):
    """Every row updated exactly once: v = 1 everywhere."""
    total, wrong, low, high = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE v <> 1), min(v), max(v) FROM bench.chunky").fetchone()
    if total != rows or wrong:
        return f"{wrong:,} of {total:,} rows (expected {rows:,}) do not have v = 1 (v from {low} to {high})"
    return None


def teardown_chunky(conn):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench.chunky, bench.chunky_template")
        cur.execute("CHECKPOINT")


def setup_static_tables(conn, m, tables):
    """Tables that no task changes: built once."""
    with conn.cursor() as cur:
        create_table(cur, "bench.agg", m["agg_rows"])
        cur.execute("VACUUM ANALYZE bench.agg")
        for i in range(tables):
            create_table(cur, f"bench.idx{i}", m["index_rows"])
            cur.execute(f"VACUUM ANALYZE bench.idx{i}")
        cur.execute("CHECKPOINT")


def sleep_lengths(scale):
    """30 pg_sleep lengths: a seeded log-normal long tail, and one long task."""
    rng = random.Random(3)
    lengths = [round(min(1.5, rng.lognormvariate(math.log(0.2), 0.8)) * scale, 3) for _ in range(29)]
    lengths.insert(rng.randrange(30), round(4.0 * scale, 3))
    return lengths


def tiny_workloads(m, has_batch):
    out = []
    for n in m["tiny"]:
        w = Workload(f"tiny_{n}", f"`SELECT 1` x {n}", ["SELECT 1"] * n, sorted_values,
                     ["serial", "seed", "pdb_run", "bare", *BATCH_SIZES, "pool", "parallel"])
        if not has_batch:
            for c in BATCH_SIZES:
                w.skipped[c] = "pdb_run has no batch_size argument in this build"
        for c, cap in m["tiny_caps"].items():
            if n > cap:
                limit = f"more than {cap:,} tiny tasks" if cap else "tiny tasks"
                w.skipped[c] = (f"a new connection per task{' and a new psql process' if c == 'parallel' else ''}: "
                                f"too slow for {limit} in this mode")
        out.append(w)
    return out


def agg_chunks(conn, parts):
    """The predicates of pdb_chunks('bench.agg', parts): ranges of heap blocks (ctid), each read
    by a TID range scan. Key ranges would be read through the primary key's index, about twice the
    work per row of the one sequential scan of serial and of native parallel query."""
    return [r[0] for r in conn.execute(
        "SELECT predicate FROM pdb_chunks('bench.agg', %s) ORDER BY chunk_id", (parts,)).fetchall()]


def workloads(m, conns, has_batch, agg_preds, tables=8):
    parts = conns * 4
    k = m["cpu_rows"]
    agg = m["agg_rows"]
    upd = m["update_rows"]
    std = ["serial", "seed", "pdb_run", "pool", "parallel"]
    lengths = sleep_lengths(m["sleep_scale"])
    return tiny_workloads(m, has_batch) + [
        Workload("cpu", f"8 x `SELECT count(*) FROM generate_series(..{k}) g WHERE md5(g::text) LIKE 'ab%'`",
                 [f"SELECT count(*) FROM generate_series({i * k + 1}, {(i + 1) * k}) g "
                  f"WHERE md5(g::text) LIKE 'ab%'" for i in range(8)],
                 sorted_values, std),
        Workload("update", f"UPDATE of {upd:,} rows: serial = one UPDATE of the whole table, "
                           f"the others = {parts} key ranges",
                 [f"UPDATE bench.upd SET v = v + 1, h = md5(h) WHERE id > {a} AND id <= {b}"
                  for a, b in key_ranges(upd, parts)],
                 rows_touched, std,
                 serial_tasks=["UPDATE bench.upd SET v = v + 1, h = md5(h)"],
                 prepare=lambda conn: prepare_update(conn, upd)),
        Workload("vacuum", f"VACUUM of {tables} tables of {m['vacuum_rows']:,} live + as many dead rows",
                 [f"VACUUM bench.vac{i}" for i in range(tables)], sorted_values, std,
                 prepare=lambda conn: prepare_vacuum(conn, m["vacuum_rows"], tables)),
        Workload("index", f"CREATE INDEX on a text column of {tables} tables of {m['index_rows']:,} rows "
                          "(max_parallel_maintenance_workers = 0)",
                 [f"CREATE INDEX idx{i}_h ON bench.idx{i} (h)" for i in range(tables)], sorted_values, std,
                 prepare=lambda conn: prepare_index(conn, tables)),
        Workload("aggregate", f"sum(v) over {agg:,} rows: serial = one statement, native = the same "
                              f"with {conns} parallel workers, the others = {len(agg_preds)} ranges of heap "
                              f"blocks from `pdb_chunks('bench.agg', {len(agg_preds)})` "
                              "(`SELECT sum(v) FROM bench.agg WHERE ctid >= '(a,0)' AND ctid < '(b,0)'`)",
                 [f"SELECT sum(v) FROM bench.agg WHERE {p}" for p in agg_preds],
                 int_total, std + ["native"],
                 serial_tasks=["SELECT sum(v) FROM bench.agg"], native="SELECT sum(v) FROM bench.agg"),
        Workload("mixed", f"30 x `pg_sleep`, {min(lengths)}-{max(lengths)} s, {sum(lengths):.1f} s in all "
                          "(seeded long tail, one long task)",
                 [f"SELECT pg_sleep({s})" for s in lengths], count, std),
        Workload("sleep", f"{2 * conns} x `pg_sleep({m['long_sleep']})`: the coordinators' CPU while "
                          "their tasks run long (no serial run)",
                 [f"SELECT pg_sleep({m['long_sleep']})"] * (2 * conns), count, ["seed", "pdb_run", "pool"]),
    ] + ([update_ceiling_workload(upd, conns)] if m.get("update_ceiling") else []) + [
        chunked_update_workload(m["chunk_rows"], parts),
    ]


def chunked_update_workload(rows, parts):
    template = "UPDATE bench.chunky SET v = v + 1 WHERE {chunk}"
    return Workload(
        "chunked_update",
        f"`UPDATE bench.chunky SET v = v + 1` of a {rows:,}-row table (id bigint PRIMARY KEY, v int, "
        f"pad text; fillfactor 100): single UPDATE = that statement in one session, the others = "
        f"`pdb_run(pdb_tasks('{template}', 'bench.chunky', {parts}, 'ctid' | 'id'), N)` in one statement, "
        f"{parts} chunks of heap blocks (ctid) or of id (key); every row must end with v = 1",
        [template] * parts, rows_touched, ["serial", "chunk_ctid", "chunk_key"],
        serial_tasks=["UPDATE bench.chunky SET v = v + 1"],
        prepare=prepare_chunky,
        setup=lambda conn: setup_chunky(conn, rows),
        teardown=teardown_chunky,
        verify=lambda conn: verify_chunky(conn, rows),
        chunks={"template": template, "table": "bench.chunky", "chunks": parts},
        labels={"serial": "single UPDATE (1 session)"})


# -- measuring

FAST_S = 0.1    # a median run shorter than this is noisy ...
FAST_REPS = 9   # ... so such a contender runs this many times in all


def measure(bench, w, reps):
    """Run every contender of w reps times, rotated, and the fast ones FAST_REPS times in all;
    returns contender -> runs, and failures."""
    active = [c for c in w.contenders if c not in w.skipped]
    runs = {c: [] for c in active}
    store_tasks(bench.admin, w)
    failed = {}
    for rep in range(reps):
        run_rotated(bench, w, active, rep, runs, failed)
    # (not where every run first rebuilds tables: that takes seconds a run)
    fast = [c for c in active if not w.prepare and c not in failed and runs[c]
            and statistics.median(r.seconds for r in runs[c]) < FAST_S]
    for rep in range(reps, FAST_REPS if fast else 0):
        run_rotated(bench, w, fast, rep, runs, failed)
    if not runs.get("serial"):
        return runs, failed
    expected = w.summary(runs["serial"][0].results)
    for c, rs in runs.items():
        if c not in failed and any(w.summary(r.results) != expected for r in rs):
            failed[c] = f"results differ from serial's ({w.summary(rs[0].results)!r:.80} != {expected!r:.80})"
            print(f"    {c}: FAILED: {failed[c]}", flush=True)
    return runs, failed


def run_rotated(bench, w, contenders, rep, runs, failed):
    """One repetition: each contender once, the order rotated by rep; a failure is recorded, not raised."""
    for c in contenders[rep % len(contenders):] + contenders[:rep % len(contenders)]:
        if c in failed:
            continue
        if w.prepare:
            w.prepare(bench.admin)
        try:
            run = RUNNERS[c](bench, w)
            wrong = w.verify(bench.admin) if w.verify else None
            if wrong:
                raise ContenderFailed(f"after the run: {wrong}")
        except (ContenderFailed, psycopg.Error, OSError) as e:
            failed[c] = str(e)
            print(f"    {c}: FAILED: {e}", flush=True)
            continue
        runs[c].append(run)
        print(f"    rep {rep + 1} {c:9} {run.seconds:8.3f} s", flush=True)


def stats(w, runs, failed):
    """Per contender: medians and derived figures, or why it did not run."""
    out = {}
    serial = statistics.median(r.seconds for r in runs["serial"]) if runs.get("serial") else None
    for c in w.contenders:
        if c in w.skipped:
            out[c] = {"skipped": w.skipped[c]}
        elif c in failed:
            out[c] = {"failed": failed[c]}
        else:
            rs = runs[c]
            median = statistics.median(r.seconds for r in rs)
            entry = {"seconds": [round(r.seconds, 4) for r in rs], "median_s": round(median, 4),
                     "tasks_per_s": round(len(w.tasks) / median, 1),
                     "speedup": round(serial / median, 3) if serial else None}
            if rs[0].cpu is not None:
                entry["cpu_seconds"] = [round(r.cpu, 3) for r in rs]
                entry["cpu_pct"] = round(100 * statistics.median(r.cpu / r.seconds for r in rs), 2)
            out[c] = entry
    return out


# -- the cluster

def cluster_settings(conns):
    return {
        "max_connections": max(100, 4 * conns + 20),
        "max_worker_processes": conns + 8,
        "max_parallel_workers": conns + 8,
        "max_parallel_workers_per_gather": 0,
        "max_parallel_maintenance_workers": 0,
        "autovacuum": "off",
        "jit": "off",
        "shared_buffers": "'1GB'",
        "max_wal_size": "'8GB'",
        "checkpoint_timeout": "'1h'",
    }


def has_batch_size(conn):
    return conn.execute("SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'pdb_run' "
                        "AND 'batch_size' = ANY (proargnames))").fetchone()[0]


def open_sessions(cluster, conns):
    sessions = {name: psycopg.connect(cluster.dsn(), autocommit=True)
                for name in ("admin", "serial", "seed", "pdb_run", "bare", *BATCH_SIZES, "native", "chunk_ctid", "chunk_key")}
    sessions["native"].execute(f"SET max_parallel_workers_per_gather = {conns}")
    return sessions


def machine_info(conn, mode, conns, reps):
    with open("/proc/cpuinfo") as f:
        models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    row = conn.execute("SELECT version(), (SELECT extversion FROM pg_extension WHERE extname = 'parallel_dblink'), "
                       "pg_get_function_arguments('pdb_run'::regproc)").fetchone()
    return {"cpu_model": models[0] if models else "unknown", "cores": os.cpu_count(),
            "ram_gb": round(mem_kb / 1024 / 1024, 1), "postgresql": row[0], "extension_version": row[1],
            "pdb_run_arguments": row[2], "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "mode": mode, "conns": conns, "reps": reps, "clk_tck": CLK_TCK, "cpu_source": cpu_source()}


def native_plan(conn, sql):
    plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}").fetchall())
    return next((line.strip() for line in plan.splitlines() if "Workers Planned" in line), "no Gather in the plan")


# -- ratios and goals

def figure(results, workload, contender, key):
    return results.get(workload, {}).get("contenders", {}).get(contender, {}).get(key)


def goal(name, target, value, ok, unit=""):
    if value is None:
        return {"goal": name, "target": target, "measured": None, "met": None}
    return {"goal": name, "target": target, "measured": f"{value:.3g}{unit}", "met": bool(ok(value))}


def reference(name, value):
    """A figure shown among the goals to read them by, not a goal: neither met nor not."""
    return {"goal": name, "target": "—", "measured": None if value is None else f"{value:.3g}",
            "met": None, "reference": True}


def goals(results, info):
    n = info["conns"]
    ideal = min(info["cores"], n)
    tiny = [w for w in results if w.startswith("tiny_")]
    largest = tiny[-1] if tiny else None
    size = largest[5:] if largest else "largest"
    out = []
    for w in tiny:
        pdb, pool = figure(results, w, "pdb_run", "tasks_per_s"), figure(results, w, "pool", "tasks_per_s")
        out.append(goal(f"tiny tasks ({w[5:]}): pdb_run throughput / client pool throughput", ">= 1",
                        pdb / pool if pdb and pool else None, lambda v: v >= 1))
    t10k, t100k = figure(results, "tiny_10000", "pdb_run", "median_s"), figure(results, "tiny_100000", "pdb_run", "median_s")
    out.append(goal("pdb_run time(100k tiny) / time(10k tiny) (full mode only)", "<= 10.5",
                    t100k / t10k if t10k and t100k else None, lambda v: v <= 10.5))
    cpu = figure(results, "cpu", "pdb_run", "speedup")
    out.append(goal(f"CPU-bound: pdb_run speedup / min(cores, N) = speedup / {ideal}", ">= 0.93",
                    cpu / ideal if cpu else None, lambda v: v >= 0.93))
    for w in ("sleep", "cpu", "mixed"):
        out.append(goal(f"coordinator CPU while tasks run ({w}): pdb_run backend", "<= 1 % of a core",
                        figure(results, w, "pdb_run", "cpu_pct"), lambda v: v <= 1, " %"))
    out.append(goal("UPDATE in key ranges with pdb_run: speedup over one UPDATE", ">= 1.7",
                    figure(results, "update", "pdb_run", "speedup"), lambda v: v >= 1.7))
    out.append(reference(f"the UPDATE ceiling here: {n} UPDATEs of separate tables at once (client pool) "
                         "over one after the other (full mode only)",
                         figure(results, "update_ceiling", "pool", "speedup")))
    pdb, native = figure(results, "aggregate", "pdb_run", "median_s"), figure(results, "aggregate", "native", "median_s")
    out.append(goal("aggregate: pdb_run time / native parallel query time", "<= 1.3",
                    pdb / native if pdb and native else None, lambda v: v <= 1.3))
    single = figure(results, "chunked_update", "serial", "median_s")
    for c, how in (("chunk_ctid", "ctid"), ("chunk_key", "key")):
        chunked = figure(results, "chunked_update", c, "median_s")
        out.append(goal(f"chunked UPDATE ({how}) / single UPDATE: wall time of pdb_run(pdb_tasks(...)) / of one UPDATE",
                        "<= 0.59 (speedup >= 1.7)", chunked / single if chunked and single else None,
                        lambda v: v <= 1 / 1.7))
    pool = figure(results, largest, "pool", "tasks_per_s")
    for c, batch_size in BATCH_SIZES.items():
        batch = figure(results, largest, c, "tasks_per_s")
        out.append(goal(f"tiny tasks ({size}): pdb_run batch_size {batch_size} throughput / client pool throughput",
                        ">= 3", batch / pool if batch and pool else None, lambda v: v >= 3))
    return out


def ratios_to_pdb_run(results):
    """workload -> contender -> its median time / pdb_run's (> 1: pdb_run is faster)."""
    out = {}
    for w, r in results.items():
        base = figure(results, w, "pdb_run", "median_s")
        if base:
            out[w] = {c: round(e["median_s"] / base, 3) for c, e in r["contenders"].items()
                      if "median_s" in e and c != "pdb_run"}
    return out


# -- output

def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def cpu_source_text(info):
    if info.get("cpu_source", "stat") == "schedstat":
        return "Backend CPU is the time on CPU from /proc/<pid>/schedstat, in ns."
    return f"Backend CPU comes from /proc/<pid>/stat in 1/{info['clk_tck']} s ticks."


def markdown(doc):
    info = doc["machine"]
    lines = [f"# parallel_dblink benchmark ({info['mode']} mode)", "",
             f"{info['date']}; {info['cores']} cores ({info['cpu_model']}), {info['ram_gb']} GB RAM; "
             f"{info['postgresql'].split(',')[0]}; parallel_dblink {info['extension_version']}; "
             f"N = {info['conns']} connections; median of {info['reps']} runs, contenders rotated "
             f"within each repetition ({FAST_REPS} runs for those whose median is under {FAST_S} s). "
             "Timings are noisy (a shared machine): read the ratios, not the digits.", "",
             "Cluster: fsync off, autovacuum off, JIT off, max_parallel_workers_per_gather = 0 and "
             "max_parallel_maintenance_workers = 0 (each statement on one core: PostgreSQL would otherwise "
             "build one index, or scan one table, with parallel workers itself); the native contender sets "
             f"max_parallel_workers_per_gather = {info['conns']} ({doc['native_plan']}).", "",
             "Coordinator CPU = CPU seconds / wall seconds of the coordinating process, in % of one core: "
             + "; ".join(f"{LABELS[c]}: {s}" for c, s in CPU_SOURCE.items())
             + ". " + cpu_source_text(info), ""]
    for name, r in doc["workloads"].items():
        lines += [f"## {name}: {r['description']}", "",
                  "| contender | median wall (s) | tasks/s | speedup over serial (x) | coordinator CPU (% of a core) | runs (s) |",
                  "|---|---:|---:|---:|---:|---|"]
        notes = []
        label = {**LABELS, **r.get("labels", {})}
        for c, e in r["contenders"].items():
            if "median_s" in e:
                rate = format(e["tasks_per_s"], ",.0f" if e["tasks_per_s"] >= 10 else ".1f")
                lines.append(f"| {label[c]} | {e['median_s']:.3f} | {rate} | "
                             f"{fmt(e['speedup'], '.2f')} | {fmt(e.get('cpu_pct'), '.2f')} | "
                             f"{', '.join(f'{s:.3f}' for s in e['seconds'])} |")
            elif "failed" in e:
                lines.append(f"| {label[c]} | FAILED | | | | |")
                notes.append(f"{label[c]} failed: {e['failed']}")
            else:
                notes.append(f"{label[c]} skipped: {e['skipped']}")
        lines += [""] + [f"- {n}" for n in notes] + ([""] if notes else [])
    lines += ["## Ratios: contender time / pdb_run time (> 1: pdb_run is faster)", ""]
    cols = [c for c in LABELS if c != "pdb_run" and any(c in v for v in doc["ratios"].values())]
    lines += ["| workload | " + " | ".join(LABELS[c] for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    for w, v in doc["ratios"].items():
        lines.append(f"| {w} | " + " | ".join(fmt(v.get(c), ".2f") for c in cols) + " |")
    lines += ["", "## Goals (issue 3)", "", "| goal | target | measured | |", "|---|---|---:|---|"]
    for g in doc["goals"]:
        verdict = ("reference" if g.get("reference")
                   else {True: "met", False: "**not met**", None: "not measured"}[g["met"]])
        lines.append(f"| {g['goal']} | {g['target']} | {g['measured'] or '—'} | {verdict} |")
    return "\n".join(lines) + "\n"


def chart(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [w for w, r in doc["workloads"].items() if "median_s" in r["contenders"].get("serial", {})]
    contenders = [c for c in LABELS if c != "serial"]
    colors = {c: f"C{i}" for i, c in enumerate(contenders)}
    # per workload, the bars of the contenders it measured, side by side around its tick
    groups = {w: [c for c in contenders if doc["workloads"][w]["contenders"].get(c, {}).get("speedup")]
              for w in names}
    width = 0.8 / max([len(g) for g in groups.values()] + [1])
    fig, ax = plt.subplots(figsize=(15, 5.5))
    bars = {c: ([], []) for c in contenders}
    for j, w in enumerate(names):
        for i, c in enumerate(groups[w]):
            bars[c][0].append(j + (i - (len(groups[w]) - 1) / 2) * width)
            bars[c][1].append(doc["workloads"][w]["contenders"][c]["speedup"])
    for c, (xs, ys) in bars.items():
        if xs:
            ax.bar(xs, ys, width, label=LABELS[c], color=colors[c])
    ax.axhline(1, color="black", linewidth=0.8)
    ax.axhline(min(doc["machine"]["cores"], doc["machine"]["conns"]), color="grey", linestyle="--",
               linewidth=0.8, label="min(cores, N)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("speedup over serial (log scale)")
    ax.set_title(f"parallel_dblink bench, {doc['machine']['mode']} mode, N = {doc['machine']['conns']}, "
                 f"{doc['machine']['cores']} cores (median of {doc['machine']['reps']}, or {FAST_REPS})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(doc):
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    text = markdown(doc)
    with open(os.path.join(OUT_DIR, "results.md"), "w") as f:
        f.write(text)
    chart(doc, os.path.join(OUT_DIR, "chart.png"))
    return text


# -- main

def main(quick=False, conns=None, only=None):
    """only: names of the workloads to run; then the results are printed, not written to bench/."""
    mode = "quick" if quick else "full"
    m = MODES[mode]
    conns = conns or os.cpu_count() or 1
    if only:
        known = [w.name for w in workloads(m, conns, True, [])]
        unknown = sorted(set(only) - set(known))
        if unknown:
            print(f"bench: unknown workload {', '.join(unknown)}; known: {', '.join(known)}")
            return 2
    print(f"bench: {mode} mode, N = {conns} connections, {m['reps']} repetitions", flush=True)
    with Cluster("pdb-bench", settings=cluster_settings(conns)) as cluster:
        cluster.psql("CREATE EXTENSION parallel_dblink CASCADE; CREATE SCHEMA bench; "
                     "CREATE TABLE bench.task_list (workload text PRIMARY KEY, tasks text[] NOT NULL);")
        cluster.psql(SEED_FUNCTION)
        cluster.psql(BARE_FUNCTION)
        sessions = open_sessions(cluster, conns)
        try:
            bench = Bench(cluster, conns, sessions, has_batch_size(sessions["admin"]))
            info = machine_info(bench.admin, mode, conns, m["reps"])
            setup_static_tables(bench.admin, m, 8)
            doc = {"machine": info, "settings": cluster_settings(conns),
                   "native_plan": native_plan(sessions["native"], "SELECT sum(v) FROM bench.agg"),
                   "workloads": {}}
            any_failed = False
            for w in workloads(m, conns, bench.has_batch, agg_chunks(bench.admin, conns * 4)):
                if only and w.name not in only:
                    continue
                print(f"  {w.name}: {w.description}", flush=True)
                started = time.monotonic()
                if w.setup:
                    w.setup(bench.admin)
                runs, failed = measure(bench, w, m["reps"])
                if w.teardown:
                    w.teardown(bench.admin)
                any_failed |= bool(failed)
                doc["workloads"][w.name] = {"description": w.description, "tasks": len(w.tasks),
                                            "contenders": stats(w, runs, failed),
                                            "elapsed_s": round(time.monotonic() - started, 1)}
                if w.labels:
                    doc["workloads"][w.name]["labels"] = w.labels
                print(f"  {w.name}: {doc['workloads'][w.name]['elapsed_s']} s in all", flush=True)
        finally:
            for s in sessions.values():
                s.close()
    doc["ratios"] = ratios_to_pdb_run(doc["workloads"])
    doc["goals"] = goals(doc["workloads"], info)
    print()
    print(markdown(doc) if only else write_outputs(doc))
    return 1 if any_failed else 0
