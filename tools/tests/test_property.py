"""Property-based test: random task arrays thrown at pdb_run.

Whatever the array (valid and invalid SQL, NULLs, blanks, huge or unicode
text, several statements, open transactions, options), every call either
returns exactly one row per task, with a known status, or fails with a
clear input error before anything runs; and it leaves no connection and no
worker behind. Bounded: a fixed number of examples, each task tiny.
"""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import errors

from conftest import our_connections, workers_of

STATEMENTS = st.sampled_from([
    "SELECT 1", "SELECT 1/0", "SELECT 1 WHERE false", "SELECT 1, 2", "SELEC oops", "VACUUM pg_class",
    "BEGIN; SELECT 1", "SET work_mem = '8MB'", "SELECT pg_sleep(0.01)", "INSERT INTO prop VALUES (1)",
    "SELECT 'a;b'", "-- only a comment", "DO $$BEGIN RAISE NOTICE 'x'; END$$", "SELECT txid_current()",
    "CREATE TEMP TABLE t (a int)", "SELECT 1; SELECT 2", "COMMIT", "SELECT repeat('x', 100000)",
    "SELECT length('" + "y" * 300_000 + "')",  # a huge task text
])
UNICODE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
TASK = st.one_of(STATEMENTS, UNICODE.map(lambda s: "SELECT '" + s.replace("'", "''") + "'"), UNICODE)
# most calls are valid; some get one bad input
BREAK = st.sampled_from(["", "", "", "", "", "null task", "blank task", "bad max_conns"])
BLANK = " \t\r\n\f"  # what pdb_run calls blank (btrim's characters in _pdb_tasks)
STATUSES = {"ok", "error", "timeout", "cancelled", "skipped"}
INPUT_ERRORS = {"22004", "22023"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tasks=st.lists(TASK, max_size=12), max_conns=st.integers(min_value=1, max_value=4),
       batch_size=st.sampled_from([1, 3]), fail_fast=st.booleans(), broken=BREAK, where=st.integers(0, 12))
def test_one_row_per_task_or_a_clear_error(conn, admin, tasks, max_conns, batch_size, fail_fast, broken, where):
    if broken == "null task":
        tasks.insert(where % (len(tasks) + 1), None)
    elif broken == "blank task":
        tasks.insert(where % (len(tasks) + 1), " \n\t ")
    elif broken == "bad max_conns":
        max_conns = -where
    conn.execute("CREATE TABLE IF NOT EXISTS prop (a int)")
    pid = conn.info.backend_pid
    try:
        rows = conn.execute(
            "SELECT task_id, status FROM pdb_run(%s::text[], %s, batch_size => %s, fail_fast => %s,"
            " task_timeout => '5 s')", (tasks, max_conns, batch_size, fail_fast)).fetchall()
    except errors.Error as e:
        assert e.sqlstate in INPUT_ERRORS, (e.sqlstate, str(e))
        bad_input = (max_conns < 1 or any(t is None or not t.strip(BLANK) for t in tasks))
        assert bad_input, f"unexpected error for valid input: {e}"
    else:
        assert [r[0] for r in rows] == list(range(1, len(tasks) + 1))
        assert {r[1] for r in rows} <= STATUSES
        assert all(t is not None and t.strip(BLANK) for t in tasks) and max_conns >= 1
    assert our_connections(conn) == []
    assert workers_of(admin, pid) == []
