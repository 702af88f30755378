"""same_snapshot: parallel reads of a table that changes meanwhile add up to what
one query at the start would have seen."""
import random
import threading
import time

import psycopg

ROWS = 20_000
TOTAL = ROWS * 100


def test_parallel_sums_on_one_snapshot_while_money_moves(conn, dsn):
    conn.execute("DROP TABLE IF EXISTS accounts")
    conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
    conn.execute("INSERT INTO accounts SELECT g, 100 FROM generate_series(1, %s) g", (ROWS,))
    stop = threading.Event()
    moves = [0]

    def mover():
        rnd = random.Random(7)
        with psycopg.connect(dsn, autocommit=True) as w:
            while not stop.is_set():
                a, b = rnd.randint(1, ROWS), rnd.randint(1, ROWS)
                with w.transaction():
                    w.execute("UPDATE accounts SET balance = balance - 10 WHERE id = %s", (a,))
                    w.execute("UPDATE accounts SET balance = balance + 10 WHERE id = %s", (b,))
                moves[0] += 1

    t = threading.Thread(target=mover)
    t.start()
    try:
        time.sleep(0.2)
        # eight ranges, each read slowly so that money moves between the reads
        tasks = [f"SELECT pg_sleep(0.2); SELECT sum(balance) FROM accounts WHERE id > {i * ROWS // 8} "
                 f"AND id <= {(i + 1) * ROWS // 8}" for i in range(8)]
        rows = conn.execute("SELECT status, result FROM pdb_run(%s, 2, same_snapshot => true)", (tasks,)).fetchall()
    finally:
        stop.set()
        t.join(10)
    assert moves[0] > 10, "the writer did not run meanwhile"
    assert all(r[0] == "ok" for r in rows), rows
    assert sum(int(r[1]) for r in rows) == TOTAL
