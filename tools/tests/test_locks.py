"""DDL on a live table, the way the README says: a long reader holds the table, the application keeps
reading it, and pdb_run runs an ALTER TABLE with a short lock_timeout and retries. Each attempt waits
at most lock_timeout in the lock queue (so the application's reads queue behind it no longer than
that), the ALTER is retried until the reader ends, then takes effect. Without lock_timeout, the
application's reads wait behind the ALTER for as long as the reader holds the table: the same test
shows the difference."""
import threading
import time

import psycopg

READER_SECONDS = 3.0


class App:
    """The application: a read of the table every 50 ms, each one's duration kept."""

    def __init__(self, dsn):
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.waits = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            self.conn.execute("SELECT count(*) FROM hot")
            self.waits.append(time.monotonic() - start)
            time.sleep(0.05)

    def finish(self):
        self.stop.set()
        self.thread.join(30)
        self.conn.close()
        return max(self.waits)


def alter_behind_a_reader(dsn, admin, setup):
    """The ALTER by pdb_run while a reader holds the table for READER_SECONDS; returns the task's row,
    the application's longest read, and how long after the reader ended the ALTER did."""
    admin.execute("DROP TABLE IF EXISTS hot")
    admin.execute("CREATE TABLE hot AS SELECT g AS id FROM generate_series(1, 1000) AS g")
    reader = psycopg.connect(dsn)  # (a transaction: its lock lasts until it ends)
    reader.execute("SELECT count(*) FROM hot")
    app = App(dsn)
    out = {}

    def run():
        with psycopg.connect(dsn, autocommit=True) as c:
            out["row"] = c.execute("SELECT status, sqlstate, attempts, finished_at FROM pdb_run("
                                   "ARRAY['ALTER TABLE hot ADD COLUMN note text'], 1, retries => 100, setup => %s)",
                                   (setup,)).fetchone()
    caller = threading.Thread(target=run)
    caller.start()
    time.sleep(READER_SECONDS)
    reader.commit()
    ended = admin.execute("SELECT clock_timestamp()").fetchone()[0]
    reader.close()
    caller.join(60)
    longest = app.finish()
    status, sqlstate, attempts, finished = out["row"]
    return (status, sqlstate, attempts), longest, (finished - ended).total_seconds()


def test_ddl_with_lock_timeout_and_retries(dsn, admin):
    row, longest, after = alter_behind_a_reader(dsn, admin, ["SET lock_timeout = '200ms'"])
    print(f"ALTER behind a {READER_SECONDS} s reader, lock_timeout 200ms: {row[2]} attempts, done {after:.2f} s "
          f"after the reader ended; the application's longest read {longest:.3f} s")
    assert row[:2] == ("ok", None) and row[2] > 2, row
    assert longest < 0.6, f"the application waited {longest:.2f} s behind the ALTER"
    assert after < 2.0, f"the ALTER took {after:.2f} s to follow the reader"
    assert admin.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'hot'::regclass "
                         "AND attname = 'note'").fetchone()[0] == 1


def test_ddl_without_lock_timeout_blocks_the_application(dsn, admin):
    row, longest, _ = alter_behind_a_reader(dsn, admin, [])
    print(f"without lock_timeout: the application's longest read {longest:.2f} s")
    assert row == ("ok", None, 1)
    assert longest > READER_SECONDS / 2, "the application's reads did not queue behind the waiting ALTER"
