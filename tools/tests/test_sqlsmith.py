"""Random queries from sqlsmith (Debian's package) as tasks: run alone and in batches, each gives one
row, the same outcome both ways, nothing hangs and nothing is left behind.

sqlsmith writes queries against every table and function it finds in the database, the extension's
own included. Left out, because they act on other sessions, the server or lasting state rather than
answer a query: the functions below (signals, configuration reload, log rotation, WAL and backup
control, statistics resets, replication slots and origins, notifications, advisory locks, sleeps,
large objects, dblink, the extension's own functions, sequences, files, catalog imports, exported
snapshots: a file in pg_snapshots per call, per row when it stands in a WHERE clause) and every
query that writes (INSERT, UPDATE, DELETE, MERGE), whose effects would differ between the two runs.

The same queries through pdb_query(NULL::jsonb, ...): its rows are those of the query it sends
(`WITH q AS (<task>) SELECT to_jsonb(q) FROM q`) run in the test's own session, and a query that
fails there makes the call fail with the same SQLSTATE and message.

And two at a time on kept connections (parallel_dblink.keep_conns), where a small call skips the
engine (_pdb_lean_run): the same outcome as the engine gave each, call after call, a failing
query's error included, and nothing left behind.
"""
import re
import subprocess
import time

import psycopg
import pytest

from conftest import our_connections, workers_of

QUERIES = 4000   # generated; about two thirds are kept
SEED = 7
LEFT_OUT = ["pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile\\w*", "pg_promote",
            "pg_wal_replay_\\w+", "pg_switch_wal", "pg_create_restore_point", "\\w*backup\\w*", "pg_stat_reset\\w*",
            "pg_log_backend_memory_contexts", "\\w*replication\\w*", "pg_logical_\\w+", "pg_notify", "\\w*advisory\\w*",
            "pg_sleep\\w*", "lo_\\w+", "dblink\\w*", "_?pdb_\\w+", "pg_extension_config_dump", "binary_upgrade_\\w+",
            "pg_file_\\w+", "pg_import_system_collations", "nextval", "setval", "pg_export_snapshot"]
LEFT_OUT_RE = re.compile(r"\b(?:%s)\s*\(|\b(?:insert|update|delete|merge)\b" % "|".join(LEFT_OUT), re.I)
# what may give another outcome on another run: random samples and values, clocks, backend ids, WAL
# positions, statistics counters, views of what runs now (pdb_activity and
# pg_stat_activity show the call's own other tasks), and of the session's own state, which a worker
# that ran other tasks has otherwise than this session (settings, memory contexts, prepared statements,
# cursors, sequences' last values, configuration load time, files and their times, its snapshot and the
# age of transaction ids; pdb_jobs reads the clock)
# a query that takes a good part of task_timeout can end on either side of it on a loaded machine
NEAR_LIMIT = 1.0   # seconds, a fifth of task_timeout
NONDETERMINISTIC = re.compile(r"\b(?:tablesample|random|timeofday|clock_timestamp|now|statement_timestamp|"
                              r"transaction_timestamp|current_timestamp|localtimestamp|current_time|localtime|"
                              r"gen_random_\w+|pg_backend_pid|txid_\w+|pg_current_xact_id\w*|"
                              r"pg_current_wal_\w+|pg_last_wal_\w+|pg_log_standby_snapshot|pg_switch_wal|"
                              r"uuidv\d|pdb_activity|pg_stat_\w+|pg_locks|current_query|pg_settings|"
                              r"pg_show_all_settings|current_setting|pg_\w*memory_contexts|pg_prepared_statements|"
                              r"pg_cursors|pg_sequences|pg_sequence_last_value|pg_conf_load_time|"
                              r"pg_postmaster_start_time|pg_ls_\w+|pg_read_\w+|pg_current_snapshot|pg_snapshot_\w+|"
                              r"pg_visible_in_snapshot|age|mxid_age|pdb_jobs)\b", re.I)


def generate(dsn):
    out = subprocess.run(["sqlsmith", f"--target={dsn}", "--dry-run", f"--max-queries={QUERIES}", f"--seed={SEED}",
                          "--exclude-catalog"], capture_output=True, text=True, timeout=300, check=True).stdout
    return [q.strip() for q in out.split(";\n") if q.strip()]


def outcomes(conn, tasks, batch_size):
    start = time.monotonic()
    rows = conn.execute("SELECT task_id, status, sqlstate, started_at, "
                        "extract(epoch FROM finished_at - started_at)::float8 FROM pdb_run(%s, 2, batch_size => %s, "
                        "task_timeout => '5s') ORDER BY task_id", (tasks, batch_size)).fetchall()
    # the tasks of a batch that went through share their start
    seconds = {r[0]: r[4] for r in rows}
    return [r[:3] for r in rows], time.monotonic() - start, len({r[3] for r in rows}), seconds


def whole_batches(tags, size):
    """How many units pdb_run makes of batchable tasks with these tags (see _pdb_step): a unit holds
    up to size tasks; one that starts with a tag (it goes through _pdb_batch) ends before a task
    without one (WITH ..., RETURNING: sent as a query string)."""
    units, i = 0, 0
    while i < len(tags):
        last = i
        while last + 1 < len(tags) and last - i + 1 < size and (tags[i] is None or tags[last + 1] is not None):
            last += 1
        units, i = units + 1, last + 1
    return units


def near_limit(a, b, seconds_a, seconds_b):
    """One run timed out, the other succeeded but took a good part of the limit."""
    return ((a[1], b[1]) == ("timeout", "ok") and seconds_b[b[0]] >= NEAR_LIMIT
            or (a[1], b[1]) == ("ok", "timeout") and seconds_a[a[0]] >= NEAR_LIMIT)


@pytest.fixture(scope="module")
def smith(dsn):
    """A schema of a table and a view for sqlsmith, and the queries it writes: (generated, kept)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP SCHEMA IF EXISTS smith CASCADE")
        c.execute("CREATE SCHEMA smith")
        c.execute("CREATE TABLE smith.orders (id int PRIMARY KEY, item int, qty int, note text, at timestamptz)")
        c.execute("INSERT INTO smith.orders SELECT g, g % 100, g % 7, md5(g::text), "
                  "timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, 1000) AS g")
        c.execute("CREATE VIEW smith.big_orders AS SELECT * FROM smith.orders WHERE qty > 3")
        c.execute("ANALYZE smith.orders")
        try:
            generated = generate(dsn)
            yield generated, [q for q in generated
                              if q.split()[0].lower() in ("select", "with") and not LEFT_OUT_RE.search(q)]
        finally:
            c.execute("DROP SCHEMA smith CASCADE")


def test_random_queries_alone_and_batched(smith, conn, admin):
    generated, tasks = smith
    print(f"sqlsmith: {len(generated)} queries generated, {len(tasks)} kept")
    assert len(generated) >= QUERIES * 0.9 and len(tasks) >= QUERIES / 2
    alone, alone_s, _, alone_t = outcomes(conn, tasks, 1)
    batched, batched_s, units, batched_t = outcomes(conn, tasks, 50)
    ids = list(range(1, len(tasks) + 1))
    assert [r[0] for r in alone] == ids, "not one row per task, alone"
    assert [r[0] for r in batched] == ids, "not one row per task, batched"
    differ = [(a, b) for a, b in zip(alone, batched) if a[1:] != b[1:]]
    ok = sum(1 for r in alone if r[1] == "ok")
    print(f"alone {alone_s:.1f} s, batched {batched_s:.1f} s; {ok} ok, {len(tasks) - ok} errors; "
          f"{len(tasks) - len(differ)} agree, {len(differ)} differ; batched, {units} starts for "
          f"{len(tasks)} tasks (a failed batch runs again task by task)")
    assert units < len(tasks), "nothing ran in a batch"
    unexplained = [(a, b, tasks[a[0] - 1]) for a, b in differ
                   if not NONDETERMINISTIC.search(tasks[a[0] - 1]) and not near_limit(a, b, alone_t, batched_t)]
    assert unexplained == [], f"alone and batched disagree: {unexplained}"
    assert not [r for r in alone + batched if r[1] not in ("ok", "error", "timeout")]
    # most batches above hold a failing query, so they ran again task by task, and a query with a
    # word such as END (of CASE ... END) is never batched (pdb_run reads task text cautiously):
    # the batchable, deterministic queries that succeeded alone go through in whole batches
    good = [t for t, r in zip(tasks, alone) if r[1] == "ok" and not NONDETERMINISTIC.search(t)]
    flags, tags = conn.execute("SELECT c.batchable, c.tag FROM _pdb_classify(%s) AS c", (good,)).fetchone()
    good, tags = [t for t, b in zip(good, flags) if b], [g for g, b in zip(tags, flags) if b]
    rows, good_s, good_units, _ = outcomes(conn, good, 50)
    print(f"{len(good)} batchable ones that succeeded alone, batched: {good_s:.2f} s, {good_units} starts")
    assert good and [r[1] for r in rows] == ["ok"] * len(good)
    assert good_units == whole_batches(tags, 50), "they did not run in whole batches"
    assert our_connections(conn) == []
    assert workers_of(admin, conn.info.backend_pid) == []


QUERY_TASKS = 2000   # at most, of the kept deterministic queries (many fail: sqlsmith mixes types freely)
GOOD = 40            # at least, of those that succeed (they follow the catalog, the tables earlier tests
                     # leave included, and the words counted nondeterministic: 75 on 15 in CI once pdb_jobs
                     # and age() counted, 128 before)
FAILING = 40         # at most, of those that fail, each in a call of its own ...
FAILING_MIN = 20     # ... and at least (the queries differ by version: 32 fail on PostgreSQL 13)


def jsonb_query(task):
    """What pdb_query(NULL::jsonb, ...) sends for task (see README, pdb_query)."""
    return f"WITH q AS ({task}) SELECT to_jsonb(q) FROM q"


def local_outcome(conn, task):
    """The rows (jsonb text) of task's jsonb query in this session, or its error's (sqlstate, message);
    None when it runs out of time."""
    try:
        return sorted(r[0] for r in conn.execute(f"SELECT j::text FROM ({jsonb_query(task)}) AS s (j)").fetchall())
    except psycopg.errors.QueryCanceled:
        return None
    except psycopg.Error as e:
        return (e.sqlstate, e.diag.message_primary)


def test_random_queries_through_pdb_query(smith, conn, admin):
    _, kept = smith
    tasks = [t for t in kept if not NONDETERMINISTIC.search(t)][:QUERY_TASKS]
    # (a LIMIT without ORDER BY takes other rows of a large table when two scans of it run at once and
    # the second joins the first: the same rows everywhere, whatever runs beside)
    conn.execute("SET synchronize_seqscans = off")
    conn.execute("SET statement_timeout = '5s'")
    local = [local_outcome(conn, t) for t in tasks]
    conn.execute("RESET statement_timeout")
    good = [(t, rows) for t, rows in zip(tasks, local) if isinstance(rows, list)]
    failing = [(t, err) for t, err in zip(tasks, local) if isinstance(err, tuple)][:FAILING]
    start = time.monotonic()
    got = sorted(r[0] for r in conn.execute(
        "SELECT j::text FROM pdb_query(NULL::jsonb, %s, 2, task_timeout => '10s', "
        "setup => ARRAY['SET synchronize_seqscans = off']) AS j", ([t for t, _ in good],)))
    took = time.monotonic() - start
    want = sorted(r for _, rows in good for r in rows)
    print(f"pdb_query: {len(good)} queries that succeed here, {len(want)} rows, in {took:.2f} s; "
          f"{len(failing)} failing ones, each alone")
    assert len(good) >= GOOD and len(failing) >= FAILING_MIN
    if got != want:
        # (say which queries: run each alone through pdb_query)
        differ = [t for t, rows in good if sorted(r[0] for r in conn.execute(
            "SELECT j::text FROM pdb_query(NULL::jsonb, ARRAY[%s], setup => ARRAY['SET synchronize_seqscans = off']) "
            "AS j", (t,)).fetchall()) != rows]
        assert differ == [], "pdb_query's rows are not those of these queries run here: " + "\n\n".join(differ)
    if got != want:
        # each alone gave its rows: say which rows the run of all of them gave otherwise (the test fails)
        extra, missing = sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3]
        print(f"rows only through pdb_query: {extra}\nrows only here: {missing}")
    assert got == want, "pdb_query's rows are not those of the queries run here"
    differ = []
    for task, (sqlstate, message) in failing:
        try:
            conn.execute("SELECT count(*) FROM pdb_query(NULL::jsonb, ARRAY[%s], task_timeout => '10s')",
                         (task,)).fetchone()
            differ.append((task, "no error"))
        except psycopg.Error as e:
            if (e.sqlstate, e.diag.message_primary) != (sqlstate, f"pdb_query task 1: {message}"):
                differ.append((task, e.sqlstate, e.diag.message_primary, sqlstate, message))
    assert differ == [], f"pdb_query failed otherwise than the query here: {differ}"
    assert our_connections(conn) == []
    assert workers_of(admin, conn.info.backend_pid) == []


SHORT_CALLS = 400   # at most, calls of two queries each on kept connections


def test_random_queries_the_short_way(smith, conn, admin):
    """The deterministic queries that ended within a second through the engine, two at a time on kept
    connections with a third task that shows the call took the short way: each gets the engine's
    status and SQLSTATE."""
    _, kept = smith
    tasks = [t for t in kept if not NONDETERMINISTIC.search(t)][:2 * SHORT_CALLS * 2]
    engine, _, _, seconds = outcomes(conn, tasks, 1)
    quick = [(t, r[1:]) for t, r in zip(tasks, engine) if r[1] in ("ok", "error") and seconds[r[0]] < 1.0]
    quick = quick[:2 * SHORT_CALLS]
    me = conn.info.backend_pid
    conn.execute("SET parallel_dblink.keep_conns = '1min'")
    differ, short, start = [], 0, time.monotonic()
    try:
        for i in range(0, len(quick) - 1, 2):
            (a, want_a), (b, want_b) = quick[i], quick[i + 1]
            rows = conn.execute("SELECT status, sqlstate, result FROM pdb_run(%s, 3) ORDER BY task_id",
                                ([a, b, "SHOW application_name"],)).fetchall()
            short += rows[2][2] == f"pdb_run:{me} kept"
            for task, want, got in ((a, want_a, rows[0]), (b, want_b, rows[1])):
                if tuple(got[:2]) != tuple(want):
                    differ.append((task, want, got[:2]))
        calls = len(quick) // 2
        print(f"{calls} calls of two sqlsmith queries on kept connections in {time.monotonic() - start:.2f} s, "
              f"{short} the short way; {sum(1 for _, w in quick if w[0] == 'error')} of the queries fail")
        assert len(quick) >= GOOD
        # (the first call opens the connections; a call after one whose worker went away opens one again)
        assert short >= calls * 0.9, f"only {short} of {calls} calls took the short way"
        assert differ == [], f"the short way gave another outcome than the engine: {differ[:5]}"
    finally:
        conn.execute("RESET parallel_dblink.keep_conns")
        closed = conn.execute("SELECT pdb_close_conns()").fetchone()[0]
    assert closed == 3
    assert our_connections(conn) == []
    assert workers_of(admin, me) == []
