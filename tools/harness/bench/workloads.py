"""The workloads: their tasks, the tables they need, and what every contender must agree on."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import math
import random

from .model import BATCH_SIZES, Workload

def sorted_values(results):
    return sorted(results)


def count(results):
    return len(results)


def int_total(results):
    return sum(int(r) for r in results)


def rows_total(results):
    """The rows workloads: (rows, sum of their first column) over all tasks, from each result's
    "rows sum ..." (a contender that reads all rows gives one per task, or one for the whole call)."""
    fields = [r.split(" ") for r in results]
    return sum(int(f[0]) for f in fields), sum(int(f[1] or 0) for f in fields)


def no_values(serial_results):
    """What pdb_run keeps of a task whose rows have several columns: NULL (its result is one value)."""
    return [""] * len(serial_results)


# pdb_run in the rows workloads: its own results as they are, serial's as pdb_run documents them
PDB_RUN_ON_ROWS = {"pdb_run": (sorted, no_values)}


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


def setup_reindex(conn, rows, tables):
    with conn.cursor() as cur:
        for i in range(tables):
            create_table(cur, f"bench.rdx{i}", rows)
            cur.execute(f"CREATE INDEX ON bench.rdx{i} (h)")
            cur.execute(f"VACUUM ANALYZE bench.rdx{i}")
        cur.execute("CHECKPOINT")


def teardown_tables(conn, prefix, tables):
    with conn.cursor() as cur:
        for i in range(tables):
            cur.execute(f"DROP TABLE IF EXISTS {prefix}{i}")


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
                 [f"VACUUM bench.vac{i}" for i in range(tables)], sorted_values, std + ["vacuumdb"],
                 prepare=lambda conn: prepare_vacuum(conn, m["vacuum_rows"], tables),
                 tables=[f"bench.vac{i}" for i in range(tables)]),
        Workload("index", f"CREATE INDEX on a text column of {tables} tables of {m['index_rows']:,} rows "
                          "(max_parallel_maintenance_workers = 0)",
                 [f"CREATE INDEX idx{i}_h ON bench.idx{i} (h)" for i in range(tables)], sorted_values, std,
                 prepare=lambda conn: prepare_index(conn, tables)),
        Workload("reindex", f"REINDEX TABLE of {tables} tables of {m['index_rows']:,} rows, each with its "
                            "primary key and an index on a text column (max_parallel_maintenance_workers = 0)",
                 [f"REINDEX TABLE bench.rdx{i}" for i in range(tables)], sorted_values, std + ["reindexdb"],
                 setup=lambda conn: setup_reindex(conn, m["index_rows"], tables),
                 teardown=lambda conn: teardown_tables(conn, "bench.rdx", tables),
                 tables=[f"bench.rdx{i}" for i in range(tables)]),
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
    ] + rows_workloads(m, conns) + ([update_ceiling_workload(upd, conns)] if m.get("update_ceiling") else []) + [
        chunked_update_workload(m["chunk_rows"], parts),
    ]


def setup_rows_source(conn, rows):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench.rows_source")
        cur.execute("CREATE TABLE bench.rows_source AS SELECT g AS id, md5(g::text) AS h "
                    f"FROM generate_series(1, {rows}) g")
        cur.execute("VACUUM ANALYZE bench.rows_source")


def teardown_rows_source(conn):
    conn.execute("DROP TABLE IF EXISTS bench.rows_source")


# rows_large: every contender runs this many times (a run of 0.1 to 0.2 s, where the
# session's first call, which plans the engine's statements, is a third of a median of 2)
FAST_RUNS = 9


def rows_workloads(m, conns):
    """Tasks that return rows: one large result, and CPU-heavy queries returning some rows each."""
    k = m["cpu_rows"]
    n = m["result_rows"]
    cpu_task = ("SELECT g, md5(g::text) FROM generate_series({a}, {b}) g "
                "WHERE md5(md5(g::text)) LIKE 'a%'")
    return [
        Workload("rows_large", f"one task returning {n:,} rows of (int, text) (`SELECT id, h FROM "
                               "bench.rows_source`): serial and the client pool fetch them into Python, "
                               "plain dblink and pdb_query into the backend (count(*), sum(id) over "
                               "`dblink(connstr, task)` and over `pdb_query(row_type, tasks, N)`), pdb_run "
                               "reads them all and keeps none (NULL: rows of several columns)",
                 ["SELECT id, h FROM bench.rows_source"], rows_total,
                 ["serial", "dblink", "pdb_query", "pdb_run", "pool"],
                 setup=lambda conn: setup_rows_source(conn, n), teardown=teardown_rows_source,
                 rows="id int, h text", summaries=PDB_RUN_ON_ROWS, runs=FAST_RUNS),
        Workload("rows_cpu", f"4 x `{cpu_task.format(a='a', b=f'a + {k - 1}')}`, about {k // 16:,} rows each: "
                             f"serial = one after the other, fetched into Python; pdb_query on {conns} "
                             "connections",
                 [cpu_task.format(a=i * k + 1, b=(i + 1) * k) for i in range(4)], rows_total,
                 ["serial", "pdb_query", "pdb_run", "pool"],
                 rows="g int, h text", summaries=PDB_RUN_ON_ROWS),
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


