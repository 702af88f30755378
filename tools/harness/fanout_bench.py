"""Small calls from a long session, per call, side by side on one throwaway cluster:

    python3 tools/pdb.py fanout-bench [--calls N] [--reps R]

Two shards (databases s0 and s1 of the same server, a table of 1,000 rows each) and one aggregate
row from each; and two tiny tasks. Each contender is N calls in a loop inside one session (a DO block,
so no client round trip is counted), after 20 calls to warm it up:
  - pdb_query_at over the two shards, max_conns 1, connections opened and closed by each call
    (parallel_dblink.keep_conns 0, the default) and kept between calls (keep_conns '5min');
  - PL/Proxy's RUN ON ALL over the same two shards (postgresql-N-plproxy: a cluster of two
    partitions through its SQL/MED server, connection_lifetime 30 min: it keeps its connections);
  - two dblink connections opened once by hand, each aggregate sent with dblink_send_query and read
    with dblink_get_result: the floor of any fan-out through dblink;
  - pdb_run of 'SELECT 1' and 'SELECT 2' on 2 connections, cold and kept.
Prints and writes (bench/fanout.md) the median over R runs of the milliseconds per call, the
contenders' order rotating run by run.
"""
import os
import statistics
import time

import psycopg

from .cluster import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench", "fanout.md")
AGG = "SELECT count(*), sum(amount) FROM orders"
WARM = 20

# name -> (setup statements of its session, the statement called N times)
CONTENDERS = {
    "pdb_query_at, 2 shards, connections per call": (
        ["SET parallel_dblink.keep_conns = 0"],
        f"SELECT count(*) FROM pdb_query_at(NULL::agg, ARRAY['{AGG}', '{AGG}'], ARRAY['dbname=s0', 'dbname=s1'], 1)"),
    "pdb_query_at, 2 shards, keep_conns": (
        ["SET parallel_dblink.keep_conns = '5min'"],
        f"SELECT count(*) FROM pdb_query_at(NULL::agg, ARRAY['{AGG}', '{AGG}'], ARRAY['dbname=s0', 'dbname=s1'], 1)"),
    "PL/Proxy RUN ON ALL, 2 shards": (
        [],
        "SELECT count(*) FROM shard_agg()"),
    "2 dblink connections kept by hand": (
        ["SELECT dblink_connect('h0', '{s0}')", "SELECT dblink_connect('h1', '{s1}')"],
        f"SELECT dblink_send_query('h0', '{AGG}') + dblink_send_query('h1', '{AGG}') "
        "+ (SELECT count(*) FROM dblink_get_result('h0') AS r(n bigint, s numeric))::int "
        "+ (SELECT count(*) FROM dblink_get_result('h1') AS r(n bigint, s numeric))::int "
        "+ (SELECT count(*) FROM dblink_get_result('h0') AS r(n bigint, s numeric))::int "
        "+ (SELECT count(*) FROM dblink_get_result('h1') AS r(n bigint, s numeric))::int"),
    "pdb_run, 2 tiny tasks, connections per call": (
        ["SET parallel_dblink.keep_conns = 0"],
        "SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)"),
    "pdb_run, 2 tiny tasks, keep_conns": (
        ["SET parallel_dblink.keep_conns = '5min'"],
        "SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)"),
}


def build(cluster):
    """The two shards, each with its orders and the function PL/Proxy calls there; the coordinator."""
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        for shard in ("s0", "s1"):
            conn.execute(f"CREATE DATABASE {shard}")
        conn.execute("CREATE EXTENSION parallel_dblink CASCADE")
        conn.execute("CREATE TYPE agg AS (n bigint, amount numeric)")
        conn.execute("CREATE EXTENSION plproxy")
        parts = ", ".join(f"p{i} '{cluster.dsn(dbname=f's{i}')}'" for i in range(2))
        conn.execute(f"CREATE SERVER shards FOREIGN DATA WRAPPER plproxy OPTIONS (connection_lifetime '1800', {parts})")
        conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER shards")
        conn.execute("CREATE FUNCTION shard_agg() RETURNS SETOF agg LANGUAGE plproxy AS $$ "
                     "CLUSTER 'shards'; RUN ON ALL; $$")
    for shard in ("s0", "s1"):
        with psycopg.connect(cluster.dsn(dbname=shard), autocommit=True) as conn:
            conn.execute("CREATE TABLE orders (id int PRIMARY KEY, amount numeric)")
            conn.execute("INSERT INTO orders SELECT g, g % 100 FROM generate_series(1, 1000) AS g")
            conn.execute("VACUUM ANALYZE orders")
            conn.execute("CREATE TYPE agg AS (n bigint, amount numeric)")
            conn.execute(f"CREATE FUNCTION shard_agg() RETURNS SETOF agg LANGUAGE sql AS $$ {AGG} $$")


def per_call(cluster, name, calls):
    """Milliseconds per call of one contender: a session of its own, warmed up, then calls in a DO loop."""
    setup, statement = CONTENDERS[name]
    loop = "DO $do$ BEGIN FOR i IN 1..{n} LOOP PERFORM ({s}); END LOOP; END $do$"
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        for s in setup:
            conn.execute(s.format(s0=cluster.dsn(dbname="s0"), s1=cluster.dsn(dbname="s1")))
        conn.execute(loop.format(n=WARM, s=statement))
        start = time.perf_counter()
        conn.execute(loop.format(n=calls, s=statement))
        took = time.perf_counter() - start
    return took / calls * 1000


def main(calls=500, reps=5):
    names = list(CONTENDERS)
    with Cluster(name="pdb-fanout-bench") as cluster:
        build(cluster)
        runs = {name: [] for name in names}
        for rep in range(reps):
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                runs[name].append(per_call(cluster, name, calls))
        with psycopg.connect(cluster.dsn()) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            plproxy = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'plproxy'").fetchone()[0]
    proxy = statistics.median(runs["PL/Proxy RUN ON ALL, 2 shards"])
    lines = ["# Small calls from a long session: pdb_query_at, pdb_run and PL/Proxy, per call",
             "",
             f"`python3 tools/pdb.py fanout-bench --calls {calls} --reps {reps}`: PostgreSQL {version}, "
             f"PL/Proxy {plproxy}, {os.cpu_count()} cores; two shards (databases of the same server), "
             f"one aggregate row from each (`{AGG}` over 1,000 rows); {calls} calls in a loop in one "
             f"session after {WARM} to warm it; medians of {reps} runs, the order rotating.",
             "",
             "| contender | ms per call | against PL/Proxy |",
             "|---|---:|---:|"]
    for name in names:
        ms = statistics.median(runs[name])
        lines.append(f"| {name} | {ms:.2f} | {ms / proxy:.1f}x |")
    text = "\n".join(lines) + "\n"
    with open(OUT, "w") as f:
        f.write(text)
    print(text)
    return 0
