"""The connection budget under real pressure, on small clusters of their own:
free slots, 53300, and a soak of 20 concurrent callers. Bounded in time."""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest
from psycopg import errors

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness.cluster import Cluster  # noqa: E402

from conftest import pgbench, workers_of  # noqa: E402


@pytest.fixture(scope="module")
def small():
    """A cluster with max_connections = 40, like the issue's soak (the extension is installed
    by the harness before the Python tests run)."""
    with Cluster("pdb-small", settings={"max_connections": 40, "superuser_reserved_connections": 3}) as c:
        c.psql("CREATE EXTENSION parallel_dblink CASCADE")
        yield c


def test_pool_shrinks_to_the_free_slots_with_a_warning(small):
    notices = []
    with psycopg.connect(small.dsn(), autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized, d.message_primary)))
        # backends of earlier tests may still be on their way out: wait for them
        deadline = time.monotonic() + 10
        while True:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            used = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                ).fetchone()[0]
            if used == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        rows = conn.execute("SELECT count(DISTINCT conn_name), count(*) FILTER (WHERE status = 'ok') "
                            "FROM pdb_run(ARRAY(SELECT 'SELECT pg_sleep(0.05)' FROM generate_series(1, 60)), 60)"
                            ).fetchone()
    expected = 40 - used - 4  # a superuser may use the reserved slots; pdb_run leaves 10% free (leave_conns)
    assert rows == (expected, 60)
    assert ("WARNING", f"pdb_run uses {expected} connections instead of 60") in notices


def test_nothing_free_is_53300_before_anything_runs(small):
    hogs = []
    try:
        with psycopg.connect(small.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS ran (x int)")
            while True:
                free = conn.execute("SELECT _pdb_free_slots(NULL, NULL, '10%')").fetchone()[0]
                if free <= 0:
                    break
                hogs.append(psycopg.connect(small.dsn(), autocommit=True))
            conn.execute("SET parallel_dblink.conns_wait = '1s'")
            start = time.monotonic()
            with pytest.raises(errors.TooManyConnections) as exc:
                conn.execute("SELECT * FROM pdb_run(ARRAY['INSERT INTO ran VALUES (1)'])")
            waited = time.monotonic() - start
            assert exc.value.diag.message_primary == "no connection slot is free on the target server"
            assert 0.9 < waited < 5, f"it waited {waited:.2f} s for parallel_dblink.conns_wait = 1s"
            assert conn.execute("SELECT count(*) FROM ran").fetchone()[0] == 0
    finally:
        for h in hogs:
            h.close()


def test_soak_20_callers_3_connections_each(small):
    """20 callers at once against max_connections = 40: they share the slots (a call goes on with
    the connections it could open, or waits its turn for one), each ends with correct results, none
    hangs, nothing is left behind."""
    tasks = [f"SELECT {i} FROM pg_sleep(0.05)" for i in range(9)]
    outcomes = [None] * 20
    pids = [None] * 20

    def caller(k):
        try:
            with psycopg.connect(small.dsn(), autocommit=True) as conn:
                pids[k] = conn.info.backend_pid
                conn.execute("SET client_min_messages = error")
                rows = conn.execute("SELECT task_id, status, result FROM pdb_run(%s, 3) ORDER BY task_id",
                                    (tasks,)).fetchall()
                outcomes[k] = ("ok", rows)
        except psycopg.Error as e:
            outcomes[k] = ("error", e.sqlstate)

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a caller hung"
    expected = [(i + 1, "ok", str(i)) for i in range(9)]
    assert outcomes == [("ok", expected)] * 20, [o if o[0] != "ok" else "ok" for o in outcomes]
    with psycopg.connect(small.dsn(), autocommit=True) as admin:
        for pid in pids:
            if pid:
                assert workers_of(admin, pid) == []


@pytest.mark.parametrize("cap", [None, 20])
def test_pgbench_clients_calling_pdb_run_share_the_server(small, cap):
    """pgbench -f with 12 clients each calling pdb_run of 4 short tasks on 4 connections, against
    max_connections = 40 (and a max_total_conns of 20): more connections are wanted than the server
    has; each call goes on with what it gets or waits its turn, and no client fails."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("SELECT count(*) FROM pdb_run(ARRAY['SELECT pg_sleep(0.05)', 'SELECT pg_sleep(0.05)', "
                     "'SELECT pg_sleep(0.05)', 'SELECT pg_sleep(0.05)'], 4);\n")
    options = "-c client_min_messages=error" + (f" -c parallel_dblink.max_total_conns={cap}" if cap else "")
    try:
        out = subprocess.run([pgbench(), "-n", "-c", "12", "-j", "4", "-T", "6", "-f", script.name, "-d", small.dsn()],
                             capture_output=True, text=True, timeout=120, env=dict(os.environ, PGOPTIONS=options))
    finally:
        os.unlink(script.name)
    done = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout).group(1))
    print(f"pgbench, 12 clients calling pdb_run(4 tasks, 4) for 6 s, max_total_conns {cap}: {done} calls")
    assert out.returncode == 0 and "aborted" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert done >= 12


def test_max_total_conns_across_sessions(dsn):
    """Two sessions share parallel_dblink.max_total_conns = 3: the second gets what is left,
    with a WARNING; when nothing is, it waits its turn (parallel_dblink.conns_wait), or fails at once
    with 53300 when that is 0."""
    holder = psycopg.connect(dsn, autocommit=True)
    holder.execute("SET parallel_dblink.max_total_conns = 3")
    done = threading.Event()

    def hold(n):
        holder.execute("SELECT count(*) FROM pdb_run(%s, %s)", (["SELECT pg_sleep(2)"] * n, n))
        done.set()

    try:
        for held, expect in ((2, 1), (3, None)):
            done.clear()
            t = threading.Thread(target=hold, args=(held,))
            t.start()
            with psycopg.connect(dsn, autocommit=True) as other:
                notices = []
                other.add_notice_handler(lambda d: notices.append(d.message_primary))
                other.execute("SET parallel_dblink.max_total_conns = 3")
                assert wait_for_locks(other, held)
                if expect is None:
                    other.execute("SET parallel_dblink.conns_wait = 0")
                    with pytest.raises(errors.TooManyConnections):
                        other.execute("SELECT * FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)")
                    other.execute("RESET parallel_dblink.conns_wait")
                    start = time.monotonic()
                    n = other.execute("SELECT count(*) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)").fetchone()[0]
                    assert n == 2 and time.monotonic() - start > 0.5, "it did not wait for the holder's connections"
                else:
                    n = other.execute("SELECT count(DISTINCT conn_name) FROM pdb_run(ARRAY['SELECT 1', 'SELECT 2'], 2)"
                                      ).fetchone()[0]
                    assert n == expect
                    assert f"pdb_run uses {expect} connections instead of 2" in notices
            t.join(20)
            assert done.is_set()
    finally:
        holder.close()


def wait_for_locks(conn, n, timeout=10.0):
    """Wait until n advisory locks of max_total_conns are held by other sessions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1885627490::oid"
                            ).fetchone()[0]
        if held >= n:
            return True
        time.sleep(0.02)
    return False
