"""Durable jobs survive a killed worker and a killed caller: resumed, every row is
updated exactly once. The job is made of key chunks (pdb_tasks), as the README shows."""
import threading
import time

import psycopg

from conftest import active_worker, workers_of

RANGES = 40
ROWS = 4000


def test_kill_worker_and_caller_then_resume(dsn, admin):
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS items")
        setup.execute("CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        setup.execute("INSERT INTO items (id) SELECT generate_series(1, %s)", (ROWS,))
        setup.execute("ANALYZE items")
        tasks = setup.execute("SELECT pdb_tasks('UPDATE items SET v = v + 1 WHERE {chunk}; SELECT pg_sleep(0.08)', "
                              "'items', %s)", (RANGES,)).fetchone()[0]
        assert len(tasks) > RANGES // 2 and not any("SNAPSHOT" in t for t in tasks), tasks[:2]
        job = setup.execute("SELECT pdb_job_submit(%s, 'kill test')", (tasks,)).fetchone()[0]

    caller = psycopg.connect(dsn, autocommit=True)
    pid = caller.info.backend_pid

    def run():
        try:
            caller.execute("SELECT count(*) FROM pdb_job_run(%s, 2)", (job,))
        except psycopg.Error:
            pass

    t = threading.Thread(target=run)
    t.start()
    victim = active_worker(admin, pid, "%UPDATE items%")
    assert victim, "no task started"
    time.sleep(0.3)
    admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
    time.sleep(0.5)
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    t.join(20)
    caller.close()
    assert workers_of(admin, pid, timeout=15) == []

    done_before = admin.execute("SELECT done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0]
    assert 0 < done_before < len(tasks), f"the kills came too late or too early: {done_before} done"
    with psycopg.connect(dsn, autocommit=True) as resume:
        for _ in range(5):
            resume.execute("SELECT count(*) FROM pdb_job_run(%s, 2)", (job,))
            if resume.execute("SELECT status FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0] == "done":
                break
        assert resume.execute("SELECT status, done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone() == \
            ("done", len(tasks))
        assert resume.execute("SELECT array_agg(DISTINCT v) FROM items").fetchone()[0] == [1]


def test_pg_dump_keeps_jobs(dsn, admin):
    """pg_dump dumps the job tables (configuration tables of the extension), and the
    job numbers go on after a restore."""
    import subprocess
    job = admin.execute("SELECT pdb_job_submit(ARRAY['SELECT 1', 'SELECT 2'], 'dumped')").fetchone()[0]
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    env = {"PGHOST": params["host"], "PGPORT": str(params["port"]), "PGUSER": params["user"], "PATH": "/usr/bin:/bin"}
    dump = subprocess.run(["pg_dump", "-d", params["dbname"]], env=env, capture_output=True, text=True, check=True)
    admin.execute("DROP DATABASE IF EXISTS pdb_restored")
    admin.execute("CREATE DATABASE pdb_restored")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "pdb_restored"], input=dump.stdout,
                   env=env, capture_output=True, text=True, check=True)
    restored = psycopg.conninfo.make_conninfo(dsn, dbname="pdb_restored")
    with psycopg.connect(restored, autocommit=True) as r:
        assert r.execute("SELECT name, tasks FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone() == ("dumped", 2)
        assert r.execute("SELECT pdb_job_submit(ARRAY['SELECT 3'], NULL, %s)", (restored,)).fetchone()[0] > job
    admin.execute("DROP DATABASE pdb_restored WITH (FORCE)")
