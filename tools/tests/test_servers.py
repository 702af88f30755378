"""pdb_run_at, pdb_broadcast and atomic => true across three clusters (the test
cluster and two of our own, Unix sockets only): routing, broadcast, per-target
caps, a server going down, all-or-nothing commits and rollbacks, and
pdb_recover after the caller is killed between the two phases."""
import os
import sys
import threading
import time

import psycopg
import pytest
from psycopg import errors

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness.cluster import Cluster  # noqa: E402

from conftest import wait_for  # noqa: E402

PREPARED = "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pdb\\_%%'"


@pytest.fixture(scope="module")
def extra():
    """Two clusters of our own."""
    clusters = [Cluster(f"pdb-srv{i}", settings={"max_prepared_transactions": 10}) for i in (2, 3)]
    try:
        for c in clusters:
            c.start()
        yield clusters
    finally:
        for c in clusters:
            c.stop()


@pytest.fixture(scope="module")
def servers(dsn, extra):
    """Three targets: the test cluster and the two others."""
    return [dsn] + [c.dsn() for c in extra]


@pytest.fixture
def accounts(servers):
    """acc(id 1..4, v 0) on every server, no record of atomic calls left by earlier tests;
    returns a function giving the sums of v."""
    with psycopg.connect(servers[0], autocommit=True) as c:
        c.execute("DELETE FROM pdb_atomic_run")
    for d in servers:
        with psycopg.connect(d, autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS acc")
            c.execute("CREATE TABLE acc (id int PRIMARY KEY, v int NOT NULL)")
            c.execute("INSERT INTO acc SELECT g, 0 FROM generate_series(1, 4) AS g")

    def sums():
        out = []
        for d in servers:
            with psycopg.connect(d, autocommit=True) as c:
                out.append(c.execute("SELECT sum(v) FROM acc").fetchone()[0])
        return out
    return sums


def prepared(servers):
    out = []
    for d in servers:
        with psycopg.connect(d, autocommit=True) as c:
            out.append(c.execute(PREPARED).fetchone()[0])
    return out


def port_of(dsn):
    return dict(p.split("=", 1) for p in dsn.split())["port"]


def test_routing_and_broadcast(conn, servers):
    targets = [servers[i % 3] for i in range(9)]
    rows = conn.execute("SELECT task_id, status, result, target FROM pdb_run_at(%s, %s, 2)",
                        (["SELECT current_setting('port')"] * 9, targets)).fetchall()
    assert [r[0] for r in rows] == list(range(1, 10))
    assert [r[1] for r in rows] == ["ok"] * 9
    assert [r[2] for r in rows] == [port_of(t) for t in targets]
    assert [r[3] for r in rows] == targets
    rows = conn.execute("SELECT task_id, result FROM pdb_broadcast('SELECT current_setting(''port'')', %s)",
                        (servers,)).fetchall()
    assert rows == [(i + 1, port_of(d)) for i, d in enumerate(servers)]


def test_max_conns_is_per_target(conn, servers):
    """Each task sleeps, then counts this caller's workers on its own server."""
    pid = conn.info.backend_pid
    task = ("SELECT count(*)::text FROM pg_sleep(0.2), pg_stat_activity "
            f"WHERE application_name ~ '^pdb_run:{pid}(:| |$)'")
    targets = [servers[i % 3] for i in range(15)]
    rows = conn.execute("SELECT target, max(result::int), count(DISTINCT conn_name) FROM pdb_run_at(%s, %s, 2) "
                        "GROUP BY target", ([task] * 15, targets)).fetchall()
    assert sorted(r[2] for r in rows) == [2, 2, 2], "two connections to each target"
    for target, most, _ in rows:
        assert most == 2, f"{most} workers at once on {target}"


def test_the_budget_is_counted_per_target(conn, servers):
    """A small server gets fewer connections, with a WARNING naming it; the others get max_conns."""
    with Cluster("pdb-tiny", settings={"max_connections": 6, "superuser_reserved_connections": 1}) as tiny:
        small = tiny.dsn()
        notices = []
        conn.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized, d.message_primary)))
        targets = [small] * 8 + [servers[1]] * 8
        rows = conn.execute("SELECT target, count(DISTINCT conn_name), count(*) FILTER (WHERE status = 'ok') "
                            "FROM pdb_run_at(%s, %s, 8) GROUP BY target ORDER BY target = %s",
                            (["SELECT pg_sleep(0.05)"] * 16, targets, servers[1])).fetchall()
    # the superuser may use the reserved slot: 6 free, 10% of 6 (rounded up: 1) left to others
    assert rows == [(small, 5, 8), (servers[1], 8, 8)]
    assert ("WARNING", f"pdb_run_at uses 5 connections instead of 8 on target {small}") in notices


def test_a_server_down_fails_its_tasks_only(conn, servers):
    victim = Cluster("pdb-victim").start()
    try:
        down = Cluster("pdb-down").start()
        down_dsn = down.dsn()
        down.stop()  # nothing listens there any more
        tasks = ["SELECT pg_sleep(0.2)"] * 4 + ["SELECT pg_sleep(1)"] * 4 + ["SELECT 1"]
        targets = [servers[1]] * 4 + [victim.dsn()] * 4 + [down_dsn]
        result = {}

        def run():
            with psycopg.connect(servers[0], autocommit=True) as c:
                result["rows"] = c.execute("SELECT task_id, status, sqlstate FROM pdb_run_at(%s, %s, 1)",
                                           (tasks, targets)).fetchall()
        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.5)
        victim.stop()  # immediate shutdown while its first task runs
        t.join(60)
        assert not t.is_alive()
    finally:
        victim.stop()
    rows = result["rows"]
    assert [r[1] for r in rows[:4]] == ["ok"] * 4, "the live server's tasks finish"
    assert all(r[1] == "error" for r in rows[4:]), rows
    assert rows[4][2].startswith(("08", "57P")), "the task that was running loses its connection"
    assert {r[2] for r in rows[5:8]} == {"08001"}, "the rest cannot connect"
    assert rows[8][2] == "08001", "a server down from the start"


def test_atomic_commits_everywhere(conn, servers, accounts):
    tasks = [f"UPDATE acc SET v = v + 1 WHERE id = {i % 4 + 1}" for i in range(6)]
    targets = [servers[i % 3] for i in range(6)]
    rows = conn.execute("SELECT status FROM pdb_run_at(%s, %s, 2, atomic => true)", (tasks, targets)).fetchall()
    assert rows == [("ok",)] * 6
    assert accounts() == [2, 2, 2]
    assert prepared(servers) == [0, 0, 0]
    assert conn.execute("SELECT count(*) FROM pdb_atomic_run").fetchone()[0] == 0


def test_atomic_rolls_back_everywhere(conn, servers, accounts):
    tasks = ["UPDATE acc SET v = v + 1", "UPDATE acc SET v = v + 1",
             "SELECT pg_sleep(0.5); UPDATE acc SET v = v / 0"]
    rows = conn.execute("SELECT task_id, status, sqlstate FROM pdb_run_at(%s, %s, atomic => true)",
                        (tasks, servers)).fetchall()
    assert rows == [(1, "rolled back", "40000"), (2, "rolled back", "40000"), (3, "error", "22012")]
    assert accounts() == [0, 0, 0]
    assert prepared(servers) == [0, 0, 0]


def test_atomic_refuses_a_server_without_prepared_transactions(conn, servers, accounts):
    with Cluster("pdb-noprep", settings={"max_prepared_transactions": 0}) as noprep:
        with pytest.raises(errors.ObjectNotInPrerequisiteState) as exc:
            conn.execute("SELECT * FROM pdb_run_at(%s, %s, atomic => true)",
                         (["UPDATE acc SET v = v + 1", "SELECT 1"], [servers[1], noprep.dsn()]))
        assert "does not allow prepared transactions" in exc.value.diag.message_primary
    assert accounts() == [0, 0, 0], "nothing ran"


def run_atomic_in_background(servers, tasks, targets):
    """Start an atomic pdb_run_at in a thread; returns (thread, caller pid)."""
    caller = psycopg.connect(servers[0], autocommit=True)
    pid = caller.info.backend_pid

    def run():
        try:
            caller.execute("SELECT * FROM pdb_run_at(%s, %s, atomic => true)", (tasks, targets))
        except psycopg.Error:
            pass  # killed on purpose
        finally:
            caller.close()
    t = threading.Thread(target=run)
    t.start()
    return t, pid


def test_recover_rolls_back_when_the_caller_dies_before_deciding(servers, accounts, admin):
    # the tasks take a second: time to lock the call's record before its decision
    tasks = ["SELECT pg_sleep(1); UPDATE acc SET v = v + 1 WHERE id = 1",
             "SELECT pg_sleep(1); UPDATE acc SET v = v + 1 WHERE id = 2"] * 3
    targets = [servers[i // 2] for i in range(6)]
    with psycopg.connect(servers[0]) as blocker:  # a transaction: holds the lock on the call's record
        t, pid = run_atomic_in_background(servers, tasks, targets)
        run_id = wait_for(lambda: admin.execute("SELECT run_id FROM pdb_atomic_run").fetchone())
        assert run_id, "the call recorded itself"
        blocker.execute("SELECT 1 FROM pdb_atomic_run WHERE run_id = %s FOR UPDATE", run_id)
        assert wait_for(lambda: prepared(servers) == [2, 2, 2]), "every task prepared"
        writer = wait_for(lambda: admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%pdb_atomic_run%%'"
        ).fetchone())
        assert writer, "the decision waits for the record"
        # everything on the caller's side dies before the decision is recorded
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.execute("SELECT pg_terminate_backend(%s)", writer)
        t.join(20)
        blocker.rollback()
    assert admin.execute("SELECT decision FROM pdb_atomic_run").fetchone() == (None,)
    assert prepared(servers) == [2, 2, 2], "the prepared transactions outlive the caller"
    rows = admin.execute("SELECT target, task_id, action FROM pdb_recover() ORDER BY task_id").fetchall()
    assert sorted(r[2] for r in rows) == ["rolled back"] * 6
    assert sorted((r[0], r[1]) for r in rows) == sorted(zip(targets, range(1, 7)))
    assert prepared(servers) == [0, 0, 0]
    assert accounts() == [0, 0, 0]
    assert admin.execute("SELECT count(*) FROM pdb_atomic_run").fetchone()[0] == 0


def test_recover_commits_after_a_server_crash_between_the_phases(servers, extra, accounts, admin):
    tasks = ["SELECT pg_sleep(1); UPDATE acc SET v = v + 1 WHERE id = 1",
             "SELECT pg_sleep(1); UPDATE acc SET v = v + 1 WHERE id = 2"] * 3
    targets = [servers[i // 2] for i in range(6)]
    result = {}

    def run():
        with psycopg.connect(servers[0], autocommit=True) as c:
            c.add_notice_handler(lambda d: result.setdefault("notices", []).append(d.message_primary))
            result["rows"] = c.execute("SELECT task_id, status, sqlstate, hint FROM pdb_run_at(%s, %s, atomic => true)",
                                       (tasks, targets)).fetchall()
    with psycopg.connect(servers[0]) as blocker:  # holds the call's record: the decision waits
        t = threading.Thread(target=run)
        t.start()
        run_id = wait_for(lambda: admin.execute("SELECT run_id FROM pdb_atomic_run").fetchone())
        assert run_id, "the call recorded itself"
        blocker.execute("SELECT 1 FROM pdb_atomic_run WHERE run_id = %s FOR UPDATE", run_id)
        assert wait_for(lambda: prepared(servers) == [2, 2, 2]), "every task prepared"
        assert wait_for(lambda: admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%pdb_atomic_run%%'"
        ).fetchone()), "the caller is done with the tasks and waits to record its decision"
        extra[0].crash()  # the second server goes down with two prepared transactions
        blocker.rollback()  # the decision is recorded, the second phase runs
        t.join(30)
    rows = result["rows"]
    assert [r[1] for r in rows] == ["ok", "ok", "prepared", "prepared", "ok", "ok"]
    assert "pdb_recover() commits it" in rows[2][3]
    assert any("left prepared transactions" in n for n in result["notices"])
    assert admin.execute("SELECT decision FROM pdb_atomic_run").fetchone() == ("commit",)
    extra[0].restart()  # its prepared transactions survive the crash
    assert prepared(servers) == [0, 2, 0]
    rows = admin.execute("SELECT target, task_id, action FROM pdb_recover() ORDER BY task_id").fetchall()
    assert rows == [(servers[1], 3, "committed"), (servers[1], 4, "committed")]
    assert accounts() == [2, 2, 2], "recovery finished the commit everywhere"
    assert prepared(servers) == [0, 0, 0]
    assert admin.execute("SELECT count(*) FROM pdb_atomic_run").fetchone()[0] == 0
