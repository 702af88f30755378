"""CALL pdb_job_exec, the job runner that commits as it goes, watched from another session: the
caller's transaction never gets older than about a second over a 20-second job, and VACUUM of another
table removes the rows that died while the job runs (not so with pdb_job_run: the same test shows
the difference). Interrupted by statement_timeout, by a killed worker and caller, the same CALL
resumes and every row is changed exactly once (a crash, and pgbench writing meanwhile: test_live.py).
One runner at a time: a second is refused (55006)."""
import re
import threading
import time

import psycopg
import pytest
from psycopg import errors

from conftest import active_worker, our_connections, wait_for, workers_of

DEAD = 10000


class Caller:
    """A session running one statement in a thread, its pid known before it starts."""

    def __init__(self, dsn, sql, params=()):
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.pid = self.conn.info.backend_pid
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(sql, params))
        self.thread.start()

    def _run(self, sql, params):
        try:
            self.conn.execute(sql, params)
        except psycopg.Error as e:
            self.error = e

    def running(self):
        return self.thread.is_alive()

    def join(self, timeout=60):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the caller did not end"
        self.conn.close()


@pytest.fixture
def other(admin):
    """A table the job does not touch, and pgstattuple to count its dead rows after a VACUUM."""
    admin.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    admin.execute("DROP TABLE IF EXISTS vac_other")
    admin.execute("CREATE TABLE vac_other (id int, v int) WITH (autovacuum_enabled = off)")
    admin.execute("INSERT INTO vac_other SELECT g, 0 FROM generate_series(1, %s) AS g", (DEAD,))
    admin.execute("VACUUM vac_other")
    yield admin
    admin.execute("DROP TABLE vac_other")


def functions_in(context):
    """The functions an error's context names, innermost first, without their schema."""
    return [m.split(".")[-1] for m in re.findall(r'(?:PL/pgSQL function|SQL function) "?([^ "(]+)', context or "")]


def dead_left_after_vacuum(admin):
    """Update every row of vac_other (committed), wait until every task that began before is over,
    VACUUM it: how many dead rows it could not remove."""
    admin.execute("UPDATE vac_other SET v = v + 1")
    time.sleep(1.5)  # (the tasks sleep 1 s: those that saw the old rows have ended)
    admin.execute("VACUUM vac_other")
    return admin.execute("SELECT dead_tuple_count FROM pgstattuple('vac_other')").fetchone()[0]


def watch(admin, caller, seconds):
    """Sample the caller's transaction every 50 ms for seconds (or until it ends): the oldest it got,
    and how many samples saw one."""
    oldest, seen = 0.0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and caller.running():
        row = admin.execute("SELECT extract(epoch FROM clock_timestamp() - xact_start)::float8 FROM pg_stat_activity "
                            "WHERE pid = %s AND xact_start IS NOT NULL", (caller.pid,)).fetchone()
        if row:
            oldest, seen = max(oldest, row[0]), seen + 1
        time.sleep(0.05)
    return oldest, seen


def test_exec_never_holds_back_vacuum(dsn, other):
    admin = other
    job = admin.execute("SELECT pdb_job_submit(array_fill('SELECT pg_sleep(1)'::text, ARRAY[40]), '20 s')").fetchone()[0]
    caller = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    oldest_before, seen_before = watch(admin, caller, 3)
    # pdb_jobs while it runs: 2 tasks of 1 s at a time, so about 0.5 s a task left
    running, progress, pending, left = admin.execute(
        "SELECT running, progress, pending, extract(epoch FROM eta - clock_timestamp())::float8 FROM pdb_jobs "
        "WHERE job_id = %s", (job,)).fetchone()
    dead = dead_left_after_vacuum(admin)
    oldest_after, seen_after = watch(admin, caller, 60)
    caller.join()
    assert caller.error is None, caller.error
    oldest, seen = max(oldest_before, oldest_after), seen_before + seen_after
    print(f"pdb_job_exec, 40 tasks of 1 s on 2 connections: the caller's transaction at most {oldest:.2f} s old "
          f"over {seen} samples; VACUUM left {dead} of {DEAD} dead rows")
    print(f"3 s in: progress {progress}%, {pending} tasks left, done in {left:.1f} s by pdb_jobs' estimate")
    assert running and 0 < progress < 100
    assert pending * 0.25 < left < pending * 1.0, f"{left:.1f} s for {pending} tasks of 1 s on 2 connections"
    assert admin.execute("SELECT status, done, running, eta FROM pdb_jobs WHERE job_id = %s",
                         (job,)).fetchone() == ("done", 40, False, None)
    assert seen > 100, "too few samples of the caller's transaction: the job ended too early"
    assert oldest < 1.0, f"the caller's transaction got {oldest:.2f} s old"
    assert dead == 0, f"VACUUM could not remove {dead} dead rows while pdb_job_exec ran"
    assert workers_of(admin, caller.pid) == []


def test_run_holds_back_vacuum(dsn, other):
    """The same, by pdb_job_run (one transaction): the dead rows stay, which shows the test can fail."""
    admin = other
    job = admin.execute("SELECT pdb_job_submit(array_fill('SELECT pg_sleep(1)'::text, ARRAY[12]), '6 s')").fetchone()[0]
    caller = Caller(dsn, "SELECT count(*) FROM pdb_job_run(%s, 2)", (job,))
    time.sleep(1)
    dead = dead_left_after_vacuum(admin)
    oldest, _ = watch(admin, caller, 60)
    caller.join()
    print(f"pdb_job_run: the caller's transaction {oldest:.2f} s old; VACUUM left {dead} of {DEAD} dead rows")
    assert caller.error is None, caller.error
    assert dead == DEAD
    assert oldest > 3


def chunk_job(conn, table, chunks, sleep="0.2"):
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
    conn.execute(f"INSERT INTO {table} (id) SELECT generate_series(1, 4000)")
    conn.execute(f"ANALYZE {table}")
    tasks = conn.execute(f"SELECT pdb_tasks('UPDATE {table} SET v = v + 1 WHERE {{chunk}}; SELECT pg_sleep({sleep})', "
                         f"'{table}', {chunks})").fetchone()[0]
    return conn.execute("SELECT pdb_job_submit(%s, %s)", (tasks, table)).fetchone()[0], len(tasks)


def state(conn, job, table):
    status, done = conn.execute("SELECT status, done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()
    return status, done, conn.execute(f"SELECT array_agg(DISTINCT v) FROM {table}").fetchone()[0]


def test_exec_interrupted_by_statement_timeout_resumes(conn, admin):
    job, n = chunk_job(admin, "exec_timeout", 20)
    conn.execute("SET statement_timeout = '900ms'")
    with pytest.raises(errors.QueryCanceled) as e:
        conn.execute("CALL pdb_job_exec(%s, 2)", (job,))
    assert functions_in(e.value.diag.context) == ["pdb_job_exec"], e.value.diag.context
    conn.execute("RESET statement_timeout")
    assert our_connections(conn) == [] and workers_of(admin, conn.info.backend_pid) == []
    status, done_first, _ = state(admin, job, "exec_timeout")
    conn.execute("CALL pdb_job_exec(%s, 2)", (job,))
    print(f"statement_timeout after {done_first} of {n} chunks; resumed")
    assert 0 < done_first < n, "the timeout came too early or too late to interrupt anything"
    assert state(admin, job, "exec_timeout") == ("done", n, [1])


def test_exec_killed_worker_and_caller_resume(dsn, admin):
    job, n = chunk_job(admin, "exec_kill", 24)
    caller = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    victim = active_worker(admin, caller.pid, "%UPDATE exec_kill%")
    assert victim, "no task started"
    admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
    time.sleep(0.6)
    admin.execute("SELECT pg_terminate_backend(%s)", (caller.pid,))
    caller.join()
    assert workers_of(admin, caller.pid, timeout=15) == []
    _, done_before, _ = state(admin, job, "exec_kill")
    with psycopg.connect(dsn, autocommit=True) as resume:
        resume.execute("CALL pdb_job_exec(%s, 2)", (job,))
    print(f"worker then caller killed after {done_before} of {n} chunks; resumed")
    assert 0 < done_before < n
    assert state(admin, job, "exec_kill") == ("done", n, [1])


def test_one_runner_at_a_time(dsn, admin):
    """A second runner of a job that CALL pdb_job_exec runs is refused at once (55006), by pdb_job_run
    and by pdb_job_exec, without a row of error for a task the first one runs; interrupted, the first
    lets the job go, and another session finishes it."""
    job, n = chunk_job(admin, "exec_two", 24)
    first = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    assert active_worker(admin, first.pid, "%UPDATE exec_two%"), "no task started"
    with psycopg.connect(dsn, autocommit=True) as second:
        with pytest.raises(errors.ObjectInUse):
            second.execute("SELECT count(*) FROM pdb_job_run(%s, 2)", (job,))
        with pytest.raises(errors.ObjectInUse):
            second.execute("CALL pdb_job_exec(%s, 2)", (job,))
        assert wait_for(lambda: state(admin, job, "exec_two")[1] >= 2), "no chunk ended"
        admin.execute("SELECT pg_cancel_backend(%s)", (first.pid,))
        first.join()
        assert isinstance(first.error, errors.QueryCanceled), first.error
        assert functions_in(first.error.diag.context) == ["pdb_job_exec"], first.error.diag.context
        assert admin.execute("SELECT count(*) FROM pdb_job_tasks WHERE job_id = %s AND sqlstate = '55000'",
                             (job,)).fetchone()[0] == 0, "a runner met the other's claims"
        _, done_before, _ = state(admin, job, "exec_two")
        second.execute("CALL pdb_job_exec(%s, 2)", (job,))
    print(f"second runner refused; the first cancelled after {done_before} of {n} chunks; another session "
          f"finished the job")
    assert 0 < done_before < n
    assert state(admin, job, "exec_two") == ("done", n, [1])
