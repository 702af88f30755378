"""Fixtures for the tests that need several sessions (cancel, timeouts, faults).

The harness (tools/pdb.py test) starts a throwaway cluster and passes its
connection string in PDB_TEST_DSN; the database has nothing installed yet.
"""
import os
import shutil
import time

import psycopg
import pytest


@pytest.fixture(scope="session")
def dsn():
    value = os.environ.get("PDB_TEST_DSN")
    if not value:
        pytest.fail("PDB_TEST_DSN is not set: run these tests through `python3 tools/pdb.py test`")
    with psycopg.connect(value, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS parallel_dblink CASCADE")
    return value


@pytest.fixture
def conn(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        yield c


@pytest.fixture
def admin(dsn):
    """A second session, to watch, cancel and kill."""
    with psycopg.connect(dsn, autocommit=True) as c:
        yield c


def label(caller_pid):
    """A regular expression for the application_name of caller_pid's workers."""
    return f"^pdb_run:{caller_pid}(:| |$)"


def our_connections(conn):
    """The dblink connections of pdb_run and its kin still open in conn's session."""
    names = conn.execute("SELECT dblink_get_connections()").fetchone()[0] or []
    return [n for n in names if n.startswith(f"pdb_{conn.info.backend_pid}_")]


def workers_of(admin, caller_pid, timeout=10.0):
    """Worker backends of caller_pid still alive after waiting up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        rows = admin.execute(
            "SELECT pid, state, query FROM pg_stat_activity WHERE application_name ~ %s",
            (label(caller_pid),)).fetchall()
        if not rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def active_worker(admin, caller_pid, like):
    """The pid of a worker of caller_pid running a query LIKE like, waiting up to 10 s (None if none)."""
    row = wait_for(lambda: admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name ~ %s AND state = 'active' AND query LIKE %s",
        (label(caller_pid), like)).fetchone())
    return row[0] if row else None


def pgbench():
    """PostgreSQL's own benchmark client, the application of the tests."""
    found = shutil.which("pgbench")
    assert found, "pgbench is not installed (it comes with the PostgreSQL server package)"
    return found


def wait_for(predicate, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()
