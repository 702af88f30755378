"""Side by side: pdb_run of another revision against the working tree's, in one run on one cluster.

    python3 tools/pdb.py ab --base REV [--reps N]

Builds the install script of both (git archive of REV, make), loads each as plain SQL into a
schema of its own (ab_base, ab_head) of one throwaway database, with its dblink calls bound to
dblink's schema as CREATE EXTENSION binds them (sql/bind_dblink.sql), then runs every workload
on both, alternating which goes first, and prints the median wall time and the CPU of the
calling backend (the coordinator) for each, and head's ratio to base. For a refactoring, the
goal is no loss: every ratio within a few percent of 1.
"""
import os
import statistics
import subprocess
import tempfile
import time

import psycopg

from .bench import backend_cpu
from .cluster import Cluster
from .mkupdate import install_script, plain

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = [
    # name, tasks, max_conns, options
    ("tiny 10000", ["SELECT 1"] * 10000, 2, "batch_size => 1"),
    ("tiny 10000, batch_size 50", ["SELECT 1"] * 10000, 2, "batch_size => 50"),
    ("writes 2000", [f"INSERT INTO ab_t VALUES ({i})" for i in range(2000)], 2, "batch_size => 1"),
    ("sleeps 40 x 50 ms", ["SELECT pg_sleep(0.05)"] * 40, 2, "batch_size => 1"),
    # rows back: pdb_query reads one task's 200,000 rows
    ("rows 200000 (pdb_query)", ["SELECT i, repeat('x', 20) FROM generate_series(1, 200000) AS i"], 1, "rows"),
    # small calls: 200 calls of 2 tiny tasks in a loop (each opens and closes its connections)
    ("calls 200 x 2 tiny", ["SELECT 1", "SELECT 2"], 2, "calls"),
]


def base_tree(rev, into):
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return into


def one_call(conn, schema, w):
    name, tasks, conns, options = w
    pid = conn.info.backend_pid
    cpu = backend_cpu(pid)
    start = time.perf_counter()
    if options == "calls":
        array = "ARRAY[" + ", ".join(f"'{t}'" for t in tasks) + "]"
        conn.execute(f"DO $do$ BEGIN FOR i IN 1..200 LOOP PERFORM count(*) FROM {schema}.pdb_run({array}, {conns}); "
                     "END LOOP; END $do$")
        rows = want = None
    elif options == "rows":
        rows = conn.execute(f"SELECT 'ok', count(*) FROM {schema}.pdb_query(NULL::ab_row, %s, %s)",
                            (tasks, conns)).fetchall()
        want = [("ok", 200000)]
    else:
        rows = conn.execute(f"SELECT status, count(*) FROM {schema}.pdb_run(%s, %s, {options}) GROUP BY 1",
                            (tasks, conns)).fetchall()
        want = [("ok", len(tasks))]
    seconds = time.perf_counter() - start
    cpu = backend_cpu(pid) - cpu
    if rows != want:
        raise RuntimeError(f"{schema}: {name}: not every task ok: {rows}")
    return seconds, cpu


def main(base, reps=7):
    with tempfile.TemporaryDirectory(prefix="pdb-ab-") as tmp, Cluster(name="pdb-ab") as cluster:
        scripts = {"ab_base": install_script(base_tree(base, tmp)), "ab_head": install_script(ROOT)}
        dsn = cluster.dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION dblink")
            conn.execute("CREATE TABLE ab_t (i int)")
            conn.execute("CREATE TYPE ab_row AS (i int, t text)")
            conn.execute("SET check_function_bodies = off")  # (functions refer to later ones, as in an install)
            for schema, script in scripts.items():
                conn.execute(f"CREATE SCHEMA {schema}")
                conn.execute(plain(script, schema))  # (no parameters: several statements at once)
            print(f"base {base} against the working tree; {reps} runs each, alternating; median seconds")
            print(f"{'workload':28} {'base s':>8} {'head s':>8} {'ratio':>6}   {'base cpu':>8} {'head cpu':>8} {'ratio':>6}")
            for w in WORKLOADS:
                times = {"ab_base": [], "ab_head": []}
                for rep in range(reps):
                    order = ["ab_base", "ab_head"] if rep % 2 == 0 else ["ab_head", "ab_base"]
                    for schema in order:
                        times[schema].append(one_call(conn, schema, w))
                    conn.execute("TRUNCATE ab_t")
                med = {s: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v))
                       for s, v in times.items()}
                (bs, bc), (hs, hc) = med["ab_base"], med["ab_head"]
                print(f"{w[0]:28} {bs:8.3f} {hs:8.3f} {hs / bs:6.2f}   {bc:8.3f} {hc:8.3f} {hc / bc:6.2f}")
    return 0
