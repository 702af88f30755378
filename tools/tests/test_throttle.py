"""Throttles on real components: a streaming standby made with pg_basebackup -R from the test cluster,
its replay paused and resumed; a physical replication slot that no standby uses; pgbench's clients as
the application's load. While throttled, a call starts no new task (those running finish), and
pdb_activity says why; once the cause is gone it goes on, and every task runs once."""
import os
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness.cluster import standby_of  # noqa: E402

from conftest import pgbench, wait_for  # noqa: E402

TASKS = 30
ROWS = 2000          # rows per task: about 300 kB of WAL each
LIMIT = 1024 * 1024  # max_replica_lag = '1MB'


class Call:
    """pdb_run of the lag_t writes in a session of its own, with settings given at connect time."""

    def __init__(self, dsn, settings, conns=2, tasks=TASKS, then=""):
        options = " ".join(f"-c parallel_dblink.{k}={v}" for k, v in settings.items())
        self.conn = psycopg.connect(dsn, autocommit=True, options=options)
        self.pid = self.conn.info.backend_pid
        self.rows, self.error = None, None
        task = f"INSERT INTO lag_t SELECT g, repeat('x', 100) FROM generate_series(1, {ROWS}) AS g; {then}"
        self.thread = threading.Thread(target=self._run, args=([task] * tasks, conns))
        self.thread.start()

    def _run(self, tasks, conns):
        try:
            self.rows = self.conn.execute("SELECT status, count(*) FROM pdb_run(%s, %s) GROUP BY 1",
                                          (tasks, conns)).fetchall()
        except psycopg.Error as e:
            self.error = e

    def join(self, timeout=60):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the call did not end"
        self.conn.close()
        assert self.error is None, self.error
        return dict(self.rows)


@pytest.fixture(scope="module")
def standby(dsn):
    params = conninfo_to_dict(dsn)
    sb = standby_of(params["host"], params["port"])
    with psycopg.connect(dsn, autocommit=True) as c:
        assert wait_for(lambda: c.execute("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'").fetchone(),
                        timeout=30), "the standby does not stream"
    yield sb
    sb.stop()


@pytest.fixture
def lag_t(admin):
    admin.execute("DROP TABLE IF EXISTS lag_t")
    admin.execute("CREATE TABLE lag_t (id int, pad text)")
    yield admin
    admin.execute("DROP TABLE lag_t")


def lag(admin):
    return admin.execute("SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::bigint "
                         "FROM pg_stat_replication").fetchone()[0]


def done(admin):
    return admin.execute("SELECT count(*) / %s FROM lag_t", (ROWS,)).fetchone()[0]


def throttled(admin, pid):
    row = admin.execute("SELECT max(throttled) FROM pdb_activity WHERE caller_pid = %s", (pid,)).fetchone()
    return row[0]


def held_for(admin, call, seconds=2.0):
    """Watch the call for seconds once it is throttled: (why, tasks done at the start, at the end, greatest lag)."""
    assert wait_for(lambda: throttled(admin, call.pid), timeout=20), "the call never said it was throttled"
    time.sleep(0.5)  # (the tasks that were running when it began end)
    first, peak = done(admin), 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, lag(admin))
        time.sleep(0.1)
    return throttled(admin, call.pid), first, done(admin), peak


def test_replica_lag_as_a_size(dsn, lag_t, standby):
    admin = lag_t
    with psycopg.connect(standby.dsn(), autocommit=True) as sb:
        try:
            # without the throttle: how far behind the paused standby gets
            sb.execute("SELECT pg_wal_replay_pause()")
            Call(dsn, {}).join()
            free = lag(admin)
            sb.execute("SELECT pg_wal_replay_resume()")
            assert wait_for(lambda: lag(admin) == 0, timeout=30)
            admin.execute("TRUNCATE lag_t")
            sb.execute("SELECT pg_wal_replay_pause()")
            call = Call(dsn, {"max_replica_lag": "1MB"})
            why, first, last, peak = held_for(admin, call)
        finally:
            sb.execute("SELECT pg_wal_replay_resume()")
        outcome = call.join()
    print(f"paused standby: {TASKS} tasks unthrottled left it {free / 2**20:.1f} MB behind; with max_replica_lag "
          f"1MB the call held at {first} of {TASKS} tasks, {peak / 2**20:.1f} MB behind at most ({why})")
    assert free > 4 * LIMIT, "the unthrottled tasks wrote too little to tell"
    assert why.startswith("replica lag") and first == last and 0 < first < TASKS
    assert peak < free / 2, "the call went on writing while the standby was behind"
    assert outcome == {"ok": TASKS} and done(admin) == TASKS


def test_replica_lag_as_a_time(dsn, lag_t, standby):
    """replay_lag grows while replay is paused and WAL comes in: one connection, tasks of 0.1 s resting
    as long again (nice), writes for several seconds, and holds once the standby is a second behind."""
    admin = lag_t
    with psycopg.connect(standby.dsn(), autocommit=True) as sb:
        try:
            sb.execute("SELECT pg_wal_replay_pause()")
            call = Call(dsn, {"max_replica_lag": "1s", "nice": "1"}, conns=1, then="SELECT pg_sleep(0.1)")
            why, first, last, _ = held_for(admin, call)
        finally:
            sb.execute("SELECT pg_wal_replay_resume()")
        outcome = call.join()
    print(f"max_replica_lag 1s (replay paused): held at {first} of {TASKS} tasks ({why})")
    assert why.startswith("replica lag") and first == last and first < TASKS
    assert outcome == {"ok": TASKS} and done(admin) == TASKS


def test_a_slot_nobody_uses_holds_the_call(dsn, lag_t):
    admin = lag_t
    admin.execute("SELECT pg_create_physical_replication_slot('pdb_away', true)")
    try:
        # (4 tasks' worth of rows, written here: the slot is 1.2 MB behind)
        admin.execute(f"INSERT INTO lag_t SELECT g, repeat('x', 100) FROM generate_series(1, {4 * ROWS}) AS g")
        call = Call(dsn, {"max_replica_lag": "1MB"}, tasks=4)
        why, first, last, _ = held_for(admin, call)
    finally:
        admin.execute("SELECT pg_drop_replication_slot('pdb_away')")
    outcome = call.join()
    print(f"an unused physical slot 1 MB+ behind: held before any task ({why}); went on once it was dropped")
    assert why.startswith("replica lag") and first == last == 4  # (no task ran)
    assert outcome == {"ok": 4} and done(admin) == 8


def sleepers(admin):
    return admin.execute("SELECT count(*) FROM pg_stat_activity "
                         "WHERE state = 'active' AND query = 'SELECT pg_sleep(1);'").fetchone()[0]


def test_max_active_yields_to_pgbench(dsn, lag_t):
    """pgbench's 4 clients keep 4 sessions active for 5 s (each transaction a sleep of 1 s: a client is idle
    a few microseconds a second): with max_active 2 the call waits for them."""
    admin = lag_t
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script, \
            tempfile.TemporaryFile("w+") as out:
        script.write("SELECT pg_sleep(1);\n")
        script.flush()
        os.chmod(script.name, 0o644)
        bench = subprocess.Popen([pgbench(), "-n", "-c", "4", "-T", "5", "-f", script.name, "-d", dsn],
                                 stdout=out, stderr=subprocess.STDOUT)
        try:
            # (the call starts once all 4 clients sleep: under load they may take a while to connect)
            assert wait_for(lambda: sleepers(admin) == 4), "pgbench's 4 clients never all slept at once"
            call = Call(dsn, {"max_active": "2"}, tasks=4)
            why, first, last, _ = held_for(admin, call, seconds=1.0)
            assert bench.wait(timeout=30) == 0
            ended = time.monotonic()
            outcome = call.join()
            took = time.monotonic() - ended
        finally:
            if bench.poll() is None:
                bench.kill()
    print(f"pgbench's 4 active clients, max_active 2: held ({why}); done {took:.1f} s after pgbench ended")
    assert why.startswith("active sessions") and first == last == 0
    assert outcome == {"ok": 4}


def test_progress_says_throttled_and_a_held_call_stays_cancellable(dsn, admin):
    """progress => true says at once why the call waits; a cancel ends a held call at once, and closes
    everything."""
    from conftest import workers_of
    with psycopg.connect(dsn, autocommit=True, options="-c parallel_dblink.throttle_query=SELECT\\ true") as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        pid = conn.info.backend_pid
        timer = threading.Timer(1.5, lambda: admin.execute("SELECT pg_cancel_backend(%s)", (pid,)))
        timer.start()
        start = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2, progress => true)")
        took = time.monotonic() - start
        timer.join()
    print(f"held by throttle_query, cancelled after {took:.2f} s; notices: {notices}")
    assert any("throttled: throttle_query" in n for n in notices), notices
    assert took < 3.0
    assert workers_of(admin, pid) == []
