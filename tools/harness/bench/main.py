"""The benchmark's run: a throwaway cluster, every workload, the report."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import datetime
import os
import time

import psycopg

from ..cluster import Cluster
from .contenders import load_functions
from .measure import measure, stats
from .model import BATCH_SIZES, CLK_TCK, MODES, Bench, cpu_source
from .report import goals, markdown, ratios_to_pdb_run, write_outputs
from .workloads import agg_chunks, setup_static_tables, workloads

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
                for name in ("admin", "serial", "seed", "pdb_run", "pdb_query", "dblink", "bare", *BATCH_SIZES, "native", "chunk_ctid", "chunk_key")}
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
        load_functions(cluster)
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

