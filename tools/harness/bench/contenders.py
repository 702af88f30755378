"""The contenders: each takes (bench, workload) and returns a Run, or raises ContenderFailed."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import os
import queue
import subprocess
import threading
import time

import psycopg

from .model import (BATCH_SIZES, SQL_DIR, ContenderFailed, Run, as_text, backend_cpu, children_cpu,
                    first_value, rows_digest)


def load_functions(cluster):
    """The PL/pgSQL contenders (sql/*.sql), into the schema bench."""
    for name in sorted(os.listdir(SQL_DIR)):
        with open(os.path.join(SQL_DIR, name)) as f:
            cluster.psql(f.read())


def read_task(cur, w, sql):
    """Run one task in a client session: its first value, or in a rows workload every row's digest."""
    cur.execute(sql)
    return rows_digest(cur.fetchall()) if w.rows else first_value(cur)


def run_serial(bench, w):
    cur = bench.sessions["serial"].cursor()
    start = time.perf_counter()
    results = [read_task(cur, w, sql) for sql in w.serial_tasks or w.tasks]
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


def row_type(w):
    return f"bench.{w.name}_row"


def store_row_type(conn, w):
    """The composite type of a rows workload's rows, for pdb_query's row_type (not timed)."""
    conn.execute(f"DROP TYPE IF EXISTS {row_type(w)}")
    conn.execute(f"CREATE TYPE {row_type(w)} AS ({w.rows})")


def totals(w):
    """The select list that reads what every contender that reads all rows agrees on, in the backend."""
    first = w.rows.split()[0]
    return f"count(*), sum({first})"


def run_pdb_query(bench, w):
    rows, seconds, cpu = run_in_backend(
        bench, "pdb_query", f"SELECT {totals(w)} FROM pdb_query(NULL::{row_type(w)}, {TASKS}, %s)",
        (w.name, bench.conns))
    return Run(seconds, [f"{rows[0][0]} {as_text(rows[0][1])}"], cpu)


def run_dblink(bench, w):
    """Plain dblink(connstr, query), the tasks one after the other: what reading rows costs at least."""
    conn = bench.sessions["dblink"]
    pid = conn.info.backend_pid
    cpu = backend_cpu(pid)
    start = time.perf_counter()
    results = []
    for sql in w.tasks:
        n, total = conn.execute(f"SELECT {totals(w)} FROM dblink(%s, %s) AS t({w.rows})", (bench.dsn, sql)).fetchone()
        results.append(f"{n} {as_text(total)}")
    seconds = time.perf_counter() - start
    return Run(seconds, results, backend_cpu(pid) - cpu)


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
                    results[i] = read_task(cur, w, w.tasks[i])
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


def run_client_tool(bench, w, tool):
    """vacuumdb or reindexdb --jobs N over the workload's tables: what a DBA runs from a shell. Its
    results are the command tags the tasks give (the tool prints none): all or nothing, by its exit."""
    cmd = [os.path.join(bench.cluster.bindir, tool), "--jobs", str(bench.conns), "--quiet",
           *[a for t in w.tables for a in ("-t", t)]]
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run(cmd, env=bench.cluster.env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise ContenderFailed(f"{tool}: exit {out.returncode}: {out.stderr.strip()[:300]}")
    return Run(seconds, [t.split()[0].upper() for t in w.tasks], children_cpu() - cpu)


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
    "pdb_query": run_pdb_query,
    "dblink": run_dblink,
    "bare": run_bare,
    "batch": lambda bench, w: run_batch(bench, w, "batch"),
    "batch_large": lambda bench, w: run_batch(bench, w, "batch_large"),
    "pool": run_pool,
    "parallel": run_gnu_parallel,
    "native": run_native,
    "chunk_ctid": lambda bench, w: run_chunks(bench, w, "chunk_ctid", "ctid"),
    "chunk_key": lambda bench, w: run_chunks(bench, w, "chunk_key", "id"),
    "vacuumdb": lambda bench, w: run_client_tool(bench, w, "vacuumdb"),
    "reindexdb": lambda bench, w: run_client_tool(bench, w, "reindexdb"),
}


