"""The demo: a short real workload run serially in one session, then with pdb_run.

Three jobs, each timed both ways on the same throwaway cluster:
  - CPU: 8 statements that hash a million numbers each;
  - UPDATE: one table updated in 4 key ranges (parallel query cannot do UPDATE);
  - VACUUM: 4 tables full of dead rows, vacuumed;
  - per-partition aggregates of a partitioned table: pdb_query gathers one row
    per partition and the outer query combines them, against the single query
    over the whole table (native parallel query off, so that it runs on one
    core like the other serial runs; its time with parallel query on is printed
    too).
(CREATE INDEX is left out: PostgreSQL already builds one index with parallel workers.)
Prints a table of wall times and speedups.

Then more than one server: three throwaway clusters as shards of an orders
table. pdb_broadcast asks every shard, pdb_run_at runs each shard's work where
it lives (against the same statements one shard after the other), and an
atomic broadcast changes the schema of every shard or of none.
"""
import os
import time

import psycopg

from .cluster import Cluster

TABLES = 4


def cpu_tasks(scale):
    n = int(1_000_000 * scale)
    return [f"SELECT count(*) FROM generate_series({i}, {i + n}) g WHERE md5(g::text) LIKE 'ab%'"
            for i in range(8)]


def vacuum_tasks():
    return [f"VACUUM (ANALYZE) demo.t{i}" for i in range(TABLES)]


def update_tasks(scale):
    rows = int(400_000 * scale)
    return [f"UPDATE demo.t0 SET h = md5(h || id) WHERE id > {i * rows // 4} AND id <= {(i + 1) * rows // 4}"
            for i in range(4)]


def prepare_tables(conn, scale):
    rows = int(400_000 * scale)
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS demo CASCADE; CREATE SCHEMA demo")
        for i in range(TABLES):
            cur.execute(f"CREATE TABLE demo.t{i} (id int PRIMARY KEY, v int, h text) WITH (autovacuum_enabled = off)")
            cur.execute(f"INSERT INTO demo.t{i} SELECT g, g, md5(g::text) FROM generate_series(1, {rows}) g")
            cur.execute(f"UPDATE demo.t{i} SET v = v + 1")  # one dead row per live row


def run_serial(conn, tasks):
    start = time.perf_counter()
    with conn.cursor() as cur:
        for sql in tasks:
            cur.execute(sql)
    return time.perf_counter() - start


def run_parallel(conn, tasks, max_conns):
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT task_id, status, error FROM pdb_run(%s, %s)", (tasks, max_conns))
        failed = [r for r in cur.fetchall() if r[1] != "ok"]
    if failed:
        raise RuntimeError(f"pdb_run tasks failed: {failed}")
    return time.perf_counter() - start


PARTITIONS = 4


def prepare_partitions(conn, scale):
    rows = int(500_000 * scale)
    conn.execute("DROP SCHEMA IF EXISTS demo_parts CASCADE; CREATE SCHEMA demo_parts;"
                 "CREATE TYPE demo_parts.part_total AS (n bigint, total bigint, hits bigint);"
                 "CREATE TABLE demo_parts.readings (id int, v int, h text) PARTITION BY RANGE (id)")
    for i in range(PARTITIONS):
        conn.execute(f"CREATE TABLE demo_parts.readings_{i} PARTITION OF demo_parts.readings"
                     f" FOR VALUES FROM ({i * rows + 1}) TO ({(i + 1) * rows + 1})")
    conn.execute(f"INSERT INTO demo_parts.readings SELECT g, g % 1000, md5(g::text)"
                 f" FROM generate_series(1, {PARTITIONS * rows}) g; ANALYZE demo_parts.readings")


AGGREGATES = "count(*), sum(v), count(*) FILTER (WHERE md5(h || v) LIKE 'ab%')"


def partition_aggregates(conn, scale):
    """The per-partition part: returns a row for the table, prints what happens."""
    prepare_partitions(conn, scale)
    whole = f"SELECT {AGGREGATES} FROM demo_parts.readings"
    conn.execute("SET max_parallel_workers_per_gather = 0")
    start = time.perf_counter()
    single = conn.execute(whole).fetchone()
    serial = time.perf_counter() - start
    conn.execute("RESET max_parallel_workers_per_gather")
    start = time.perf_counter()
    native = conn.execute(whole).fetchone()
    native_s = time.perf_counter() - start
    tasks = [f"SELECT {AGGREGATES} FROM demo_parts.readings_{i}" for i in range(PARTITIONS)]
    start = time.perf_counter()
    gathered = conn.execute("SELECT sum(n)::bigint, sum(total)::bigint, sum(hits)::bigint"
                            " FROM pdb_query(NULL::demo_parts.part_total, %s, %s)",
                            (tasks, max(2, os.cpu_count() or 1))).fetchone()
    parallel = time.perf_counter() - start
    if not single == native == gathered:
        raise RuntimeError(f"per-partition aggregates differ: single {single}, native {native}, pdb_query {gathered}")
    print(f"  per-partition aggregates (rows, sum, hits = {gathered}): one query {serial:.2f} s"
          f" ({native_s:.2f} s with native parallel query), pdb_query {parallel:.2f} s", flush=True)
    conn.execute("DROP SCHEMA demo_parts CASCADE")
    return ("per-partition aggregates (pdb_query)", PARTITIONS, serial, parallel)


SHARDS = 3


def multi_server(scale, settings):
    """The multi-server part: returns rows for the table, prints what happens."""
    rows_per_shard = int(300_000 * scale)
    settings = dict(settings, max_prepared_transactions=10)
    shards = [Cluster(f"pdb-shard{i}", settings=settings) for i in range(SHARDS)]
    try:
        for c in shards:
            c.start()
        home = shards[0]
        home.psql("CREATE EXTENSION parallel_dblink CASCADE")
        targets = [c.dsn() for c in shards]
        for i, c in enumerate(shards):
            c.psql(f"CREATE TABLE orders (id bigint PRIMARY KEY, shard int, total numeric, h text);"
                   f"INSERT INTO orders SELECT g, {i}, g % 1000, md5(g::text) "
                   f"FROM generate_series({i * rows_per_shard + 1}, {(i + 1) * rows_per_shard}) g")
        work = "UPDATE orders SET h = md5(h || id), total = total * 1.01"
        with psycopg.connect(home.dsn(), autocommit=True) as conn:
            total = conn.execute("SELECT sum(result::bigint) FROM pdb_broadcast('SELECT count(*) FROM orders', %s)",
                                 (targets,)).fetchone()[0]
            print(f"  pdb_broadcast: {total} orders on {SHARDS} shards", flush=True)
            start = time.perf_counter()
            for d in targets:
                with psycopg.connect(d, autocommit=True) as shard:
                    shard.execute(work)
            serial = time.perf_counter() - start
            start = time.perf_counter()
            statuses = conn.execute("SELECT status FROM pdb_run_at(%s, %s)", ([work] * SHARDS, targets)).fetchall()
            parallel = time.perf_counter() - start
            if statuses != [("ok",)] * SHARDS:
                raise RuntimeError(f"pdb_run_at tasks failed: {statuses}")
            print(f"  UPDATE on every shard: one after the other {serial:.2f} s, pdb_run_at {parallel:.2f} s",
                  flush=True)
            ok = conn.execute("SELECT array_agg(status ORDER BY task_id) FROM pdb_broadcast("
                              "'ALTER TABLE orders ADD COLUMN note text', %s, atomic => true)",
                              (targets,)).fetchone()[0]
            print(f"  atomic ALTER TABLE on every shard: {ok}", flush=True)
            shards[1].psql("ALTER TABLE orders ADD COLUMN region text")  # one shard differs
            bad = conn.execute("SELECT array_agg(status ORDER BY task_id) FROM pdb_broadcast("
                               "'ALTER TABLE orders ADD COLUMN region text', %s, atomic => true)",
                               (targets,)).fetchone()[0]
            has = [c.psql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'region'")
                   for c in shards]
            print(f"  atomic ALTER TABLE that fails on shard 2: {bad}; shards with the column: "
                  f"{[i + 1 for i, n in enumerate(has) if n != '0']} (only the one that had it)", flush=True)
            if has != ["0", "1", "0"]:
                raise RuntimeError("the atomic broadcast was not all or nothing")
        return ("UPDATE on 3 servers (pdb_run_at)", SHARDS, serial, parallel)
    finally:
        for c in shards:
            c.stop()


def main(scale=1.0):
    cores = os.cpu_count() or 1
    max_conns = max(2, cores)
    print(f"demo: {cores} cores, pdb_run with max_conns = {max_conns}, scale {scale}", flush=True)
    rows = []
    with Cluster("pdb-demo", settings={"max_wal_size": "'4GB'", "autovacuum": "off"}) as cluster:
        cluster.psql("CREATE EXTENSION parallel_dblink CASCADE")
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            jobs = [("CPU-heavy SELECT", lambda: cpu_tasks(scale), False),
                    ("UPDATE in key ranges", lambda: update_tasks(scale), True),
                    ("VACUUM tables", vacuum_tasks, True)]
            for name, make_tasks, needs_tables in jobs:
                tasks = make_tasks()
                if needs_tables:
                    prepare_tables(conn, scale)
                serial = run_serial(conn, tasks)
                if needs_tables:
                    prepare_tables(conn, scale)
                parallel = run_parallel(conn, tasks, max_conns)
                rows.append((name, len(tasks), serial, parallel))
                print(f"  {name}: serial {serial:.2f} s, pdb_run {parallel:.2f} s", flush=True)
            rows.append(partition_aggregates(conn, scale))
    print("more than one server:", flush=True)
    rows.append(multi_server(scale, {"autovacuum": "off"}))
    print()
    print("| workload | tasks | serial (s) | parallel_dblink (s) | speedup |")
    print("|---|---:|---:|---:|---:|")
    for name, n, serial, parallel in rows:
        print(f"| {name} | {n} | {serial:.2f} | {parallel:.2f} | {serial / parallel:.2f}x |")
    total_s = sum(r[2] for r in rows)
    total_p = sum(r[3] for r in rows)
    print(f"| **all** | {sum(r[1] for r in rows)} | {total_s:.2f} | {total_p:.2f} | {total_s / total_p:.2f}x |")
    return 0
