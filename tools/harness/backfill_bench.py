"""A backfill three ways, side by side on one throwaway cluster:

    python3 tools/pdb.py backfill-bench [--rows N] [--reps R]

On a table of N rows (id bigint PRIMARY KEY, kind int, flag boolean, pad text), set flag = (kind = 3)
on every row:
  - one UPDATE: the whole table in one statement, one transaction;
  - serial loop: what users write in a client today, transactions of 10,000 rows by key range, one
    after the other, each committed (autocommit);
  - pdb_backfill: CALL pdb_job_exec of pdb_backfill(..., chunk_time => '1 second') on 2 connections.
Each run starts from a fresh table (built, VACUUM ANALYZE, CHECKPOINT), the contenders alternating
their order run by run; it prints, per contender, the median of: the wall time, the table's size
after (pg_table_size: what the dead row versions left), the WAL written (pg_current_wal_lsn before
and after) and the longest transaction that changed rows (what holds row locks and vacuum back:
the one UPDATE's whole time; the loop's and the backfill's longest range). Every run checks that
every row has its flag. Writes the table to bench/backfill.md.
"""
import os
import statistics
import time

import psycopg

from .cluster import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "backfill.md")
SET = "flag = (kind = 3)"
CONTENDERS = ["one UPDATE", "serial loop, 10,000 rows a transaction", "pdb_backfill, 2 connections"]


def build(conn, rows):
    conn.execute("DROP TABLE IF EXISTS bf")
    conn.execute("CREATE TABLE bf (id bigint PRIMARY KEY, kind int NOT NULL, flag boolean, pad text)")
    conn.execute("INSERT INTO bf SELECT g, g %% 7, NULL, md5(g::text) FROM generate_series(1, %s) AS g", (rows,))
    conn.execute("VACUUM ANALYZE bf")
    conn.execute("CHECKPOINT")


def one_update(conn, rows):
    start = time.perf_counter()
    conn.execute(f"UPDATE bf SET {SET}")
    took = time.perf_counter() - start
    return took, took


def serial_loop(conn, rows):
    longest = 0.0
    start = time.perf_counter()
    for lo in range(1, rows + 1, 10000):
        t = time.perf_counter()
        conn.execute(f"UPDATE bf SET {SET} WHERE id >= %s AND id < %s", (lo, lo + 10000))
        longest = max(longest, time.perf_counter() - t)
    return time.perf_counter() - start, longest


def backfill(conn, rows):
    start = time.perf_counter()
    job = conn.execute(f"SELECT pdb_backfill('UPDATE bf SET {SET} WHERE {{chunk}}', 'bf')").fetchone()[0]
    conn.execute("CALL pdb_job_exec(%s, 2)", (job,))
    took = time.perf_counter() - start
    status, longest = conn.execute(
        "SELECT (SELECT status FROM pdb_jobs WHERE job_id = %s), "
        "       extract(epoch FROM max(finished_at - started_at))::float8 FROM pdb_job_tasks WHERE job_id = %s",
        (job, job)).fetchone()
    if status != "done":
        raise RuntimeError(f"pdb_backfill: the job ended {status}")
    return took, longest


RUNNERS = dict(zip(CONTENDERS, [one_update, serial_loop, backfill]))


def measure(conn, name, rows):
    build(conn, rows)
    wal = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    took, longest = RUNNERS[name](conn, rows)
    size, written, wrong = conn.execute(
        "SELECT pg_table_size('bf'), pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint, "
        "       count(*) FILTER (WHERE flag IS DISTINCT FROM (kind = 3)) FROM bf", (wal,)).fetchone()
    if wrong:
        raise RuntimeError(f"{name}: {wrong} rows without their flag")
    return took, size, written, longest


def main(rows=2_000_000, reps=3):
    with Cluster(name="pdb-backfill-bench") as cluster, psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION parallel_dblink CASCADE")
        runs = {name: [] for name in CONTENDERS}
        for rep in range(reps):
            order = CONTENDERS[rep % len(CONTENDERS):] + CONTENDERS[:rep % len(CONTENDERS)]
            for name in order:
                runs[name].append(measure(conn, name, rows))
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    mb = 1024 * 1024
    lines = [f"# Backfill of {rows:,} rows: one UPDATE, a client's serial loop, pdb_backfill",
             "",
             f"`python3 tools/pdb.py backfill-bench --rows {rows} --reps {reps}`: PostgreSQL {version}, "
             f"{os.cpu_count()} cores; `SET {SET}` on every row of a table of {rows:,} rows (about "
             "60 bytes each) built fresh before every run; medians of "
             f"{reps} runs, the contenders' order rotating. The table's size after: with what the dead row "
             "versions left (the one UPDATE's are all still there; autovacuum may have taken some of the "
             "others'). Longest transaction: the longest any row lock was held, and vacuum held back.",
             "",
             "| contender | seconds | table after (MB) | WAL written (MB) | longest transaction (s) |",
             "|---|---|---|---|---|"]
    for name in CONTENDERS:
        took, size, written, longest = (statistics.median(r[i] for r in runs[name]) for i in range(4))
        lines.append(f"| {name} | {took:.1f} | {size / mb:.0f} | {written / mb:.0f} | {longest:.2f} |")
    text = "\n".join(lines) + "\n"
    with open(OUT, "w") as f:
        f.write(text)
    print(text)
    return 0
