"""Live control of running calls and jobs, from another session: pdb_pause holds a call (no new task
starts; the running ones finish) within about a second, whatever the caller's isolation level;
pdb_resume lets it go on; pdb_set_conns opens more connections or closes some; pdb_job_pause,
pdb_job_resume and pdb_job_set_conns do the same for a durable job run by CALL pdb_job_exec, and a
paused job stays paused for its next runner."""
import threading
import time

import psycopg
import pytest

from conftest import wait_for

TASK = "SELECT pg_sleep(0.2)"


class Caller:
    """A session running sql in a thread, inside BEGIN ISOLATION LEVEL isolation when given."""

    def __init__(self, dsn, sql, params=(), isolation=None):
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.pid = self.conn.info.backend_pid
        self.rows, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(sql, params, isolation))
        self.thread.start()

    def _run(self, sql, params, isolation):
        try:
            if isolation:
                self.conn.execute(f"BEGIN ISOLATION LEVEL {isolation}")
                self.conn.execute("SELECT count(*) FROM pg_class")  # (its snapshot is taken now)
            cur = self.conn.execute(sql, params)
            self.rows = cur.fetchall() if cur.description else None
            if isolation:
                self.conn.execute("COMMIT")
        except psycopg.Error as e:
            self.error = e

    def join(self, timeout=60):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the caller did not end"
        self.conn.close()
        assert self.error is None, self.error
        return self.rows


def workers(admin, pid, state=None):
    return admin.execute("SELECT count(*) FROM pdb_activity WHERE caller_pid = %s AND (%s::text IS NULL OR state = %s)",
                         (pid, state, state)).fetchone()[0]


def paused(admin, pid):
    return admin.execute("SELECT max(throttled) = 'paused' AND count(*) FILTER (WHERE state = 'active') = 0 "
                         "FROM pdb_activity WHERE caller_pid = %s", (pid,)).fetchone()[0]


def hold_time(admin, pid):
    """pdb_pause(pid), then the seconds until it says so and none of its workers runs a task."""
    admin.execute("SELECT pdb_pause(%s)", (pid,))
    start = time.monotonic()
    assert wait_for(lambda: paused(admin, pid), timeout=10), "the pause never held"
    return time.monotonic() - start


def stays_idle(admin, pid, seconds=1.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if workers(admin, pid, "active"):
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("isolation", [None, "REPEATABLE READ", "SERIALIZABLE"])
def test_pause_and_resume_a_call(dsn, admin, isolation):
    call = Caller(dsn, "SELECT string_agg(status, ',') FROM pdb_run(%s, 2)", ([TASK] * 40,), isolation)
    assert wait_for(lambda: workers(admin, call.pid, "active") == 2), "the call did not start"
    try:
        held = hold_time(admin, call.pid)
        assert stays_idle(admin, call.pid), "a task started while paused"
    finally:
        admin.execute("SELECT pdb_resume(%s)", (call.pid,))
    start = time.monotonic()
    assert wait_for(lambda: workers(admin, call.pid, "active") > 0, timeout=5), "the call did not go on"
    resumed = time.monotonic() - start
    rows = call.join()
    print(f"{isolation or 'READ COMMITTED'} caller: paused in {held:.2f} s (tasks of 0.2 s), went on "
          f"{resumed:.2f} s after pdb_resume")
    assert held < 2.0 and resumed < 2.0
    assert rows == [(",".join(["ok"] * 40),)]


def test_set_conns_up_and_down(dsn, admin):
    call = Caller(dsn, "SELECT string_agg(DISTINCT conn_name, ',') FROM pdb_run(%s, 2)",
                  (["SELECT pg_sleep(0.1)"] * 100,))
    assert wait_for(lambda: workers(admin, call.pid, "active") == 2), "the call did not start"
    admin.execute("SELECT pdb_set_conns(%s, 4)", (call.pid,))
    assert wait_for(lambda: workers(admin, call.pid, "active") == 4, timeout=5), "no more connections"
    admin.execute("SELECT pdb_set_conns(%s, 1)", (call.pid,))
    assert wait_for(lambda: workers(admin, call.pid) == 1, timeout=5), "the connections over 1 stayed open"
    conns = call.join()[0][0].split(",")
    assert len(conns) == 4, conns


def job_of(admin, n):
    admin.execute("DROP TABLE IF EXISTS ctl_t")
    admin.execute("CREATE TABLE ctl_t (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)")
    admin.execute("INSERT INTO ctl_t (id) SELECT generate_series(1, %s)", (n,))
    return admin.execute("SELECT pdb_job_submit(ARRAY(SELECT format('UPDATE ctl_t SET hits = hits + 1 "
                         "WHERE id = %%s; SELECT pg_sleep(0.2)', g) FROM generate_series(1, %s) AS g))",
                         (n,)).fetchone()[0]


def done(admin, job):
    return admin.execute("SELECT count(*) FROM pdb_job_task WHERE job_id = %s AND status = 'done'", (job,)).fetchone()[0]


def test_pause_a_job_and_its_next_runner(dsn, admin):
    n = 30
    job = job_of(admin, n)
    runner = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    assert wait_for(lambda: workers(admin, runner.pid, "active") == 2), "the job did not start"
    admin.execute("SELECT pdb_job_pause(%s)", (job,))
    start = time.monotonic()
    assert wait_for(lambda: paused(admin, runner.pid), timeout=10), "the job's pause never held"
    held = time.monotonic() - start
    before = done(admin, job)
    assert stays_idle(admin, runner.pid) and done(admin, job) == before
    # a runner that stops while the job is paused: the next one starts paused too
    admin.execute("SELECT pg_cancel_backend(%s)", (runner.pid,))
    runner.thread.join(10)
    runner.conn.close()
    assert isinstance(runner.error, psycopg.errors.QueryCanceled), runner.error
    second = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    assert wait_for(lambda: workers(admin, second.pid) == 2), "the next runner did not open its connections"
    assert stays_idle(admin, second.pid) and done(admin, job) == before
    admin.execute("SELECT pdb_job_set_conns(%s, 3)", (job,))
    admin.execute("SELECT pdb_job_resume(%s)", (job,))
    assert wait_for(lambda: workers(admin, second.pid, "active") == 3, timeout=5), "not on 3 connections"
    second.join()
    print(f"job paused in {held:.2f} s at {before} of {n} tasks; its next runner waited, then ran on 3 connections")
    assert 0 < before < n and done(admin, job) == n
    assert admin.execute("SELECT array_agg(DISTINCT hits) FROM ctl_t").fetchone()[0] == [1]
    admin.execute("DROP TABLE ctl_t")
