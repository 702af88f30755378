"""The benchmark's model: its modes, contenders' labels, runs, workloads and helpers."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import os
import resource
from dataclasses import dataclass, field
from typing import Callable

from ..cluster import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT_DIR = os.path.join(ROOT, "bench")
SQL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sql")
BATCH_SIZES = {"batch": 50, "batch_large": 200}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# sizes per mode; tiny_caps: the most tiny tasks given to the contenders that open
# a new connection (seed: ~3 ms a task) or start a new psql (parallel: ~20 ms) per task
MODES = {
    "quick": dict(reps=2, tiny=(1_000, 10_000), tiny_caps={"seed": 1_000, "parallel": 0}, cpu_rows=300_000,
                  update_rows=250_000, vacuum_rows=30_000, index_rows=100_000,
                  agg_rows=2_000_000, sleep_scale=0.15, long_sleep=0.6, chunk_rows=600_000,
                  result_rows=200_000),
    "full": dict(reps=3, tiny=(1_000, 10_000, 100_000), tiny_caps={"seed": 10_000, "parallel": 1_000},
                 cpu_rows=1_200_000, update_rows=2_000_000, vacuum_rows=200_000, index_rows=500_000,
                 agg_rows=10_000_000, sleep_scale=0.5, long_sleep=3.0, chunk_rows=10_000_000,
                 result_rows=200_000, update_ceiling=True),
}

LABELS = {
    "serial": "serial (1 session)",
    "seed": "seed recipe (dblink, new conn per task)",
    "pdb_run": "pdb_run",
    "pdb_query": "pdb_query",
    "dblink": "plain dblink (one call)",
    "bare": "bare dblink loop (reference)",
    "batch": f"pdb_run batch_size {BATCH_SIZES['batch']}",
    "batch_large": f"pdb_run batch_size {BATCH_SIZES['batch_large']}",
    "pool": "client pool (psycopg threads)",
    "parallel": "GNU parallel + psql",
    "native": "native parallel query",
    "chunk_ctid": "pdb_run ctid chunks",
    "chunk_key": "pdb_run key chunks",
    "vacuumdb": "vacuumdb --jobs N",
    "reindexdb": "reindexdb --jobs N",
}
CPU_SOURCE = {
    "seed": "calling backend",
    "pdb_run": "calling backend",
    "pdb_query": "calling backend",
    "dblink": "calling backend",
    "bare": "calling backend",
    "batch": "calling backend",
    "batch_large": "calling backend",
    "pool": "Python process",
    "parallel": "parallel + psql processes",
    "chunk_ctid": "calling backend",
    "chunk_key": "calling backend",
    "vacuumdb": "vacuumdb process",
    "reindexdb": "reindexdb process",
}


class ContenderFailed(Exception):
    """A task failed, a contender crashed, or its results disagree with serial's."""


@dataclass
class Run:
    seconds: float
    results: list            # one text value per task: the first column, or the command tag; in the
                             # rows workloads, "rows sum first" of the rows read (see rows_digest)
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
    tables: list | None = None         # vacuumdb, reindexdb: the tables the tasks act on (-t)
    rows: str | None = None            # rows workloads: the column list of the tasks' rows ("a int, b text")
    runs: int | None = None            # runs of every contender in all, when more than the mode's reps
    # contender -> (summary of its results, summary of serial's): what it must agree on, when not summary's
    summaries: dict = field(default_factory=dict)


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


def rows_digest(rows):
    """What a contender that reads every row of a task must agree on: "rows sum first", the number of
    rows, the sum of their first column (an integer) and its value in the first row."""
    return f"{len(rows)} {sum(r[0] for r in rows)} {as_text(rows[0][0] if rows else None)}"


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


