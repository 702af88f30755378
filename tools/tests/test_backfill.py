"""pdb_backfill under real conditions: a backfill of pgbench's 1,000,000 accounts while pgbench writes to
them, cancelled and its caller killed part way, resumed until done (every row changed once, pgbench's
TPC-B invariant holding, progress and eta seen while it ran); ranges that follow rows made costlier by a
trigger and cheaper again; a second runner refused while the first goes on.
Each test is bounded: pgbench runs for a fixed time, every wait has a limit."""
import statistics
import time

import psycopg
import pytest

from conftest import wait_for
from test_job_exec import Caller
from test_live import Traffic, bank_tables, invariant, touched

SCALE = 10              # 1,000,000 accounts
PGBENCH_SECONDS = 20    # longer than the backfill takes, with its interruptions (12 s here)


@pytest.fixture
def big_bank(dsn):
    yield from bank_tables(dsn, SCALE)


def job_state(conn, job):
    return conn.execute("SELECT status, progress, eta, done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()


def test_backfill_under_pgbench_interrupted_and_resumed(big_bank, conn, admin):
    job = conn.execute("SELECT pdb_backfill('UPDATE pgbench_accounts SET touched = touched + 1 WHERE {chunk}', "
                       "'pgbench_accounts', chunk_time => '300 ms', name => 'live backfill')").fetchone()[0]
    traffic = Traffic(big_bank, seconds=PGBENCH_SECONDS)
    time.sleep(1)   # pgbench's clients are writing
    seen = []
    start = time.monotonic()
    # a cancel at 15%, then a killed caller at 45%, then runs until it is done
    for stop, percent in (("SELECT pg_cancel_backend(%s)", 15), ("SELECT pg_terminate_backend(%s)", 45)):
        caller = Caller(big_bank, "CALL pdb_job_exec(%s, 2, retries => 3)", (job,))
        assert wait_for(lambda: job_state(admin, job)[1] >= percent, timeout=60), "the backfill made no progress"
        seen.append(job_state(admin, job))
        admin.execute(stop, (caller.pid,))
        caller.join()
        assert caller.error is not None, "the interruption came after the end: it proves nothing"
        assert traffic.running(), "pgbench ended before the interruption: the test proves nothing"
    for _ in range(5):
        conn.execute("CALL pdb_job_exec(%s, 2, retries => 3)", (job,))
        if job_state(conn, job)[0] == "done":
            break
    took = time.monotonic() - start
    assert traffic.running(), "pgbench ended before the backfill did: the test proves nothing"
    out = traffic.finish()
    status, progress, eta, _ = job_state(conn, job)
    assert (status, progress, eta) == ("done", 100, None)
    assert all(0 < p < 100 and e is not None for _, p, e, _ in seen), f"progress and eta while it ran: {seen}"
    assert touched(conn) == ([1], SCALE * 100000), "a row was changed other than once"
    a, b, t, h, n = invariant(conn)
    assert a == b == t == h and n > 0, out
    ranges = conn.execute("SELECT count(*), max(rows) FROM pdb_job_range WHERE job_id = %s", (job,)).fetchone()
    print(f"backfill of {SCALE * 100000} rows under pgbench: {took:.1f} s, {ranges[0]} ranges, the largest {ranges[1]} rows; "
          f"seen while running: {[(s, float(p)) for s, p, _, _ in seen]}")


def test_ranges_follow_costlier_and_cheaper_rows(conn):
    """Rows 6001 to 16000 cost 0.2 ms each (a trigger sleeps 1 ms on every fifth): the ranges shrink there
    and grow again after."""
    conn.execute("DROP TABLE IF EXISTS costly")
    conn.execute("CREATE TABLE costly (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
    conn.execute("INSERT INTO costly (id) SELECT generate_series(1, 30000)")
    conn.execute("""CREATE FUNCTION pg_temp.slow() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.id BETWEEN 6001 AND 16000 AND NEW.id % 5 = 0 THEN PERFORM pg_sleep(0.001); END IF;
                          RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER slow BEFORE UPDATE ON costly FOR EACH ROW EXECUTE FUNCTION pg_temp.slow()")
    job = conn.execute("SELECT pdb_backfill('UPDATE costly SET v = v + 1 WHERE {chunk}', 'costly', "
                       "chunk_time => '20 ms', chunk_rows => 100)").fetchone()[0]
    conn.execute("CALL pdb_job_exec(%s, 2)", (job,))
    assert conn.execute("SELECT array_agg(DISTINCT v) FROM costly").fetchone()[0] == [1]
    ranges = conn.execute("SELECT lo, coalesce(hi, 30001), rows FROM pdb_job_range WHERE job_id = %s "
                          "ORDER BY task_id", (job,)).fetchall()
    before = max(r for lo, hi, r in ranges if hi <= 6001)
    inside = statistics.median(r for lo, hi, r in ranges if lo >= 6001 and hi <= 16001)
    after = max(r for lo, hi, r in ranges if lo >= 16001)
    print(f"rows per range: at most {before} before the costly rows, {inside} (median) among them, "
          f"at most {after} after; {len(ranges)} ranges")
    assert inside * 4 < before, "the ranges did not shrink where rows cost more"
    assert after > 4 * inside, "the ranges did not grow again where rows got cheaper"
    conn.execute("DROP TABLE costly")


def test_second_runner_refused_while_first_goes_on(dsn, conn, admin):
    conn.execute("DROP TABLE IF EXISTS twice")
    conn.execute("CREATE TABLE twice (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
    conn.execute("INSERT INTO twice (id) SELECT generate_series(1, 2000)")
    job = conn.execute("SELECT pdb_backfill('UPDATE twice SET v = v + 1 WHERE {chunk} AND pg_sleep(0.001) IS NOT NULL', "
                       "'twice', chunk_time => NULL, chunk_rows => 50)").fetchone()[0]
    first = Caller(dsn, "CALL pdb_job_exec(%s, 2)", (job,))
    assert wait_for(lambda: admin.execute("SELECT running FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0])
    with pytest.raises(psycopg.errors.ObjectInUse):
        conn.execute("SELECT count(*) FROM pdb_job_run(%s, 2)", (job,))
    first.join()
    assert first.error is None, first.error
    assert conn.execute("SELECT array_agg(DISTINCT v) FROM twice").fetchone()[0] == [1]
    assert conn.execute("SELECT status FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0] == "done"
    conn.execute("DROP TABLE twice")
