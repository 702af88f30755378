"""pdb_run always cleans up: caller's statement_timeout, cancel from another session,
a killed worker, a killed caller. Each test is bounded in time."""
import os
import signal
import subprocess
import threading
import time

import psycopg
import pytest
from psycopg import errors

from conftest import active_worker, label, our_connections, wait_for, workers_of

SLEEPERS = ["SELECT pg_sleep(60)"] * 3


def test_caller_statement_timeout_cancels_and_cleans_up(conn, admin):
    pid = conn.info.backend_pid
    conn.execute("SET statement_timeout = '700ms'")
    start = time.monotonic()
    with pytest.raises(errors.QueryCanceled) as exc:
        conn.execute("SELECT * FROM pdb_run(%s, 3)", (SLEEPERS,))
    assert exc.value.sqlstate == "57014"
    assert time.monotonic() - start < 10, "the cancel took too long"
    conn.execute("RESET statement_timeout")
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def test_cancel_from_another_session(conn, admin):
    pid = conn.info.backend_pid
    outcome = {}

    def call():
        try:
            conn.execute("SELECT * FROM pdb_run(%s, 3)", (SLEEPERS,))
        except psycopg.Error as e:
            outcome["error"] = e

    t = threading.Thread(target=call)
    t.start()
    assert wait_for(lambda: len(admin.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name ~ %s AND query LIKE '%%SELECT pg_sleep%%'",
        (label(pid),)).fetchall()) == 3), "the three tasks never started"
    admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
    t.join(15)
    assert not t.is_alive(), "pdb_run did not return after the cancel"
    assert isinstance(outcome.get("error"), errors.QueryCanceled)
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def rows_with_a_worker_killed(conn, admin, sql, params, like):
    """Run sql on conn in a thread, kill the worker that runs a query LIKE like, return the rows
    (or raise the call's error)."""
    result = {}

    def call():
        try:
            result["rows"] = conn.execute(sql, params).fetchall()
        except psycopg.Error as e:
            result["error"] = e

    t = threading.Thread(target=call)
    t.start()
    victim = active_worker(admin, conn.info.backend_pid, like)
    assert victim, f"no worker ran {like}"
    admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
    t.join(30)
    assert not t.is_alive()
    if "error" in result:
        raise result["error"]
    return result["rows"]


def test_killed_worker_is_reported_and_replaced(conn, admin):
    pid = conn.info.backend_pid
    tasks = ["SELECT pg_sleep(2)"] + [f"SELECT {i}" for i in range(2, 30)]
    rows = rows_with_a_worker_killed(
        conn, admin, "SELECT task_id, status, sqlstate, conn_name FROM pdb_run(%s, 2) ORDER BY task_id", (tasks,),
        "%SELECT pg_sleep(2)")
    assert len(rows) == len(tasks)
    first = rows[0]
    assert first[1] == "error" and first[2] in ("57P01", "08006"), first
    assert all(r[1] == "ok" for r in rows[1:]), rows
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def test_killed_worker_of_a_batch_runs_its_tasks_again(conn, admin):
    """A batch whose worker is killed never committed: its tasks run again alone on a new connection."""
    pid = conn.info.backend_pid
    conn.execute("DROP TABLE IF EXISTS kb; CREATE TABLE kb (i int)")
    tasks = ["SELECT pg_sleep(2)"] + [f"INSERT INTO kb VALUES ({i})" for i in range(2, 9)]
    rows = rows_with_a_worker_killed(
        conn, admin, "SELECT task_id, status, sqlstate, conn_name, attempts FROM pdb_run(%s, 1, batch_size => 8) "
        "ORDER BY task_id", (tasks,), "%SELECT pg_sleep(2)%")
    assert [r[1] for r in rows] == ["ok"] * len(tasks), rows
    assert all(r[3].endswith("_1") for r in rows), "the tasks did not run again on the new connection"
    # (a batch that never committed does not count, as when a task of it fails)
    assert all(r[4] == 1 for r in rows), rows
    # each insert took effect exactly once
    assert conn.execute("SELECT array_agg(i ORDER BY i) FROM kb").fetchone()[0] == list(range(2, 9))
    conn.execute("DROP TABLE kb")
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def test_second_call_after_killed_worker(conn, admin):
    """The pool replaces the lost connection: tasks after the kill still get two connections."""
    tasks = ["SELECT pg_sleep(1.5)", "SELECT pg_sleep(0.2)"] + ["SELECT pg_sleep(0.3)"] * 4
    rows = rows_with_a_worker_killed(
        conn, admin, "SELECT task_id, status, conn_name, started_at, finished_at FROM pdb_run(%s, 2) ORDER BY task_id",
        (tasks,), "%SELECT pg_sleep(1.5)")
    assert rows[0][1] == "error"
    assert [r[1] for r in rows[1:]] == ["ok"] * 5
    replacement = {r[2] for r in rows[1:]} - {rows[0][2], rows[1][2]}
    assert replacement, "no replacement connection was opened"
    assert all(name.endswith("_1") for name in replacement)


def test_killed_caller_leaves_no_worker(dsn, admin):
    """Workers check every second that their client is still there (PostgreSQL 14+). PostgreSQL 13
    has no such check: a worker whose caller died notices when its task ends and it sends the result."""
    victim = psycopg.connect(dsn, autocommit=True)
    pid = victim.info.backend_pid
    checks = victim.info.server_version >= 140000
    tasks = SLEEPERS if checks else ["SELECT pg_sleep(3)"] * 3

    def call():
        try:
            victim.execute("SELECT * FROM pdb_run(%s, 3)", (tasks,))
        except psycopg.Error:
            pass

    t = threading.Thread(target=call)
    t.start()
    assert wait_for(lambda: len(admin.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name ~ %s AND state = 'active'",
        (label(pid),)).fetchall()) == 3)
    killed = time.monotonic()
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    t.join(15)
    victim.close()
    assert workers_of(admin, pid, timeout=15) == []
    if not checks:
        assert time.monotonic() - killed > 1.5, "on 13 the workers run their task to its end"


def test_no_notice_reaches_the_caller(conn):
    """pdb_run provokes dblink's 'another command is already in progress' NOTICE to detect
    the end of a task; the caller must not see it, and its client_min_messages is restored."""
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.execute("SET client_min_messages = notice")
    rows = conn.execute("SELECT status, result FROM pdb_run(%s, 2)",
                        (["SELECT 1 WHERE false; SELECT 2", "SELECT 1 WHERE false; SELECT 1 WHERE false; SELECT 3",
                          "VACUUM"],)).fetchall()
    assert rows == [("ok", "2"), ("ok", "3"), ("ok", "VACUUM")]
    assert notices == []
    assert conn.execute("SHOW client_min_messages").fetchone()[0] == "notice"
    conn.execute("DO $$BEGIN RAISE NOTICE 'still heard'; END$$")
    assert notices == ["still heard"]


def test_passwords_never_show_in_connection_errors(conn):
    for connstr in ("host=/nonexistent port=1 password=s3cr3t", "host=/nonexistent password:s3cr3t",
                    "postgresql://someone:s3cr3t@/nowhere?host=/nonexistent&port=1"):
        with pytest.raises(psycopg.Error) as exc:
            conn.execute("SELECT * FROM pdb_run(ARRAY['SELECT 1'], 2, %s)", (connstr,))
        diag = exc.value.diag
        text = " ".join(filter(None, [diag.message_primary, diag.message_detail, diag.message_hint, diag.context]))
        assert exc.value.sqlstate == "08001", text
        assert "s3cr3t" not in text
    assert our_connections(conn) == []


def test_pdb_activity_shows_running_tasks(conn, admin):
    pid = conn.info.backend_pid
    result = {}

    def call():
        result["rows"] = conn.execute("SELECT count(*) FROM pdb_run(%s, 2)",
                                      (["SELECT pg_sleep(1.5)", "VACUUM pg_class", "SELECT pg_sleep(1.5)"],)).fetchone()

    t = threading.Thread(target=call)
    t.start()
    rows = wait_for(lambda: admin.execute(
        "SELECT task_id, total, query, running_for IS NOT NULL, caller_query LIKE '%%pdb_run%%'"
        " FROM pdb_activity WHERE caller_pid = %s AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'"
        " ORDER BY task_id", (pid,)).fetchall())
    t.join(20)
    assert result["rows"] == (3,)
    assert rows, "no running task seen in pdb_activity"
    task_id, total, query, has_duration, caller_seen = rows[0]
    assert task_id in (1, 3) and total == 3 and has_duration and caller_seen
    assert "pg_sleep(1.5)" in query
    assert admin.execute("SELECT count(*) FROM pdb_activity WHERE caller_pid = %s AND state = 'active'",
                         (pid,)).fetchone()[0] == 0 or workers_of(admin, pid) == []


def test_progress_notices(conn):
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.execute("SET client_min_messages = notice")
    conn.execute("SELECT count(*) FROM pdb_run(%s, 2, progress => true)",
                 (["SELECT pg_sleep(3)", "SELECT pg_sleep(5.5)", "SELECT 1/0"],)).fetchone()
    assert len(notices) >= 2, notices
    assert notices[-1].startswith("pdb_run: 3 of 3 tasks done (1 failed), 0 running"), notices
    assert any(" running" in n and "of 3 tasks done" in n for n in notices[:-1])
    notices.clear()
    conn.execute("SELECT count(*) FROM pdb_run(ARRAY['SELECT 1'])").fetchone()
    assert notices == [], "progress is off by default"


def caller_gone_after_client_killed(dsn, admin, tasks, options, progress=False, caller_only=False,
                                    call="pdb_run("):
    """Run pdb_run(tasks, 2[, progress => true]) (or `call` followed by the tasks: "pdb_query(NULL::t, ")
    from a psql client, SIGKILL that client once both tasks run, and return the seconds until the
    caller's backend and its workers are all gone (at most 40); with caller_only, until the caller's
    backend is gone (its workers are then ended)."""
    env = dict(os.environ, PGOPTIONS=options)
    sql = "SELECT * FROM %sARRAY[%s], 2%s)" % (call, ", ".join("'%s'" % t.replace("'", "''") for t in tasks),
                                               ", progress => true" if progress else "")
    client = subprocess.Popen(["psql", "-X", "-q", "-d", dsn, "-c", sql],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        caller = wait_for(lambda: admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE query = %s", (sql,)).fetchone())
        assert caller, "the call did not start"
        pid = caller[0]
        assert wait_for(lambda: len(admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name ~ %s AND state = 'active'",
            (label(pid),)).fetchall()) == 2)
        client.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        gone = wait_for(lambda: not admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s OR (application_name ~ %s AND NOT %s)",
            (pid, label(pid), caller_only)).fetchall(), timeout=40, step=0.1)
        took = time.monotonic() - killed
        assert gone, "the caller or a worker is still there 40 s after its client vanished"
        if caller_only:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ~ %s",
                          (label(pid),))
        return took
    finally:
        client.kill()
        client.wait()


def test_vanished_client(dsn, admin):
    """With client_connection_check_interval on for the caller's session (PostgreSQL 14+), within a
    few seconds of its client vanishing the caller's backend ends, and with it its connections, and the
    workers stop their tasks. Without the check (PostgreSQL 13, or the setting off) the caller only
    notices when it writes to its client: after every task has ended, or at its next progress notice
    with progress => true; then nothing is left behind."""
    if admin.info.server_version >= 140000:
        took = caller_gone_after_client_killed(dsn, admin, ["SELECT pg_sleep(25)", "SELECT pg_sleep(26)"],
                                               "-c client_connection_check_interval=1000")
        print(f"check on: {took:.1f} s to notice a vanished client")
        assert took < 5, f"{took:.1f} s to notice a vanished client"
    took = caller_gone_after_client_killed(dsn, admin, ["SELECT pg_sleep(4)", "SELECT pg_sleep(4.5)"], "")
    print(f"check off: {took:.1f} s, the tasks take 4.5 s")
    assert 3 < took < 20, f"{took:.1f} s"
    # on every version: progress => true sends a NOTICE every 5 seconds, and sending it finds the client gone
    # (on 13 the workers then run their task to its end: only the caller is timed there)
    took = caller_gone_after_client_killed(dsn, admin, ["SELECT pg_sleep(25)", "SELECT pg_sleep(26)"], "",
                                           progress=True, caller_only=admin.info.server_version < 140000)
    print(f"progress => true: {took:.1f} s")
    assert took < 10, f"{took:.1f} s to notice a vanished client through progress notices"


# A large result that keeps coming: 1,000,000 short rows, the worker sleeping a millisecond every 100th
# (about 12 s in all): whenever the test acts, the call is reading rows
def streaming_task(rows=1_000_000):
    return ("SELECT g, 'row ' || g || CASE WHEN g % 100 = 0 THEN pg_sleep(0.001)::text ELSE '' END"
            f" FROM generate_series(1, {rows}) AS g")


@pytest.fixture
def pair(conn):
    conn.execute("DROP TYPE IF EXISTS pair_q; CREATE TYPE pair_q AS (k integer, v text)")
    yield "pair_q"
    conn.execute("DROP TYPE pair_q")


def test_cancel_during_a_large_result(conn, admin, pair):
    """pdb_query cancelled while two workers send their rows: 57014 at once, nothing left."""
    pid = conn.info.backend_pid
    outcome = {}

    def call():
        try:
            outcome["rows"] = conn.execute(f"SELECT count(*) FROM pdb_query(NULL::{pair}, %s, 2)",
                                           ([streaming_task()] * 2,)).fetchone()
        except psycopg.Error as e:
            outcome["error"] = e

    t = threading.Thread(target=call)
    t.start()
    assert wait_for(lambda: len(admin.execute(
        "SELECT 1 FROM pg_stat_activity WHERE application_name ~ %s AND state = 'active'"
        " AND now() - query_start > interval '1 second' AND query LIKE '%%generate_series%%'",
        (label(pid),)).fetchall()) == 2), "the two tasks were not sending rows for a second"
    cancelled = time.monotonic()
    admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
    t.join(15)
    assert not t.is_alive(), "pdb_query did not return after the cancel"
    assert time.monotonic() - cancelled < 5, "the cancel took too long"
    assert isinstance(outcome.get("error"), errors.QueryCanceled), outcome
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def test_killed_worker_during_a_large_result(conn, admin, pair):
    """A worker killed while it sends its rows fails the call with its error: no silent gap."""
    pid = conn.info.backend_pid
    with pytest.raises(psycopg.Error) as exc:
        rows_with_a_worker_killed(conn, admin, f"SELECT count(*) FROM pdb_query(NULL::{pair}, %s, 2)",
                                  ([streaming_task(), "SELECT 1, 'one'"],), "%generate_series%")
    assert exc.value.sqlstate in ("57P01", "08006"), exc.value
    assert exc.value.diag.message_primary.startswith("pdb_query task 1: "), exc.value.diag.message_primary
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []


def test_vanished_client_during_a_large_result(dsn, admin, conn, pair):
    """The client of a pdb_query call vanishes while rows stream in: with client_connection_check_interval
    (PostgreSQL 14+) the caller and its workers are gone in seconds; without it the caller ends when it
    writes its rows, after the tasks: nothing is left either way."""
    call = f"pdb_query(NULL::{pair}, "
    if admin.info.server_version >= 140000:
        took = caller_gone_after_client_killed(dsn, admin, [streaming_task()] * 2,
                                               "-c client_connection_check_interval=1000", call=call)
        print(f"check on: {took:.1f} s to notice a vanished client during a large result")
        assert took < 5, f"{took:.1f} s to notice a vanished client"
    took = caller_gone_after_client_killed(dsn, admin, [streaming_task(300_000)] * 2, "", call=call)
    print(f"check off: {took:.1f} s to end after a vanished client, the tasks take about 4 s")
    assert took < 20, f"{took:.1f} s"
