"""What the pgTAP files reach in the engine, by plpgsql_check's profiler (the check 'coverage').

The test command runs it once, on this machine's PostgreSQL, in the column 'any': it measures the
tests, not the server. (It needs plpgsql_check 2: the profiler of 1.15, Debian bullseye's for
PostgreSQL 13, breaks EXECUTE ... USING in the functions it profiles: "there is no parameter $1".)

A cluster of its own loads plpgsql_check (shared_preload_libraries, so that the profiles of every
session are kept together) with its profiler on, and runs every pgTAP file with pg_prove. Then:
- every state transition of _pdb_step's connections (each assignment of a slot state, line by line)
  ran at least once;
- its statement coverage is high: the figure is printed with the lines that took the most time, so
  that the inline code's cost can be read (they are not written into comments, where they would age).
Two transitions are left out, by what precedes them: 'dead', a lost connection that cannot be
opened again (a target server that stops in the middle: tools/tests/test_servers.py reaches it),
and the 'lost' of a connection that keeps answering "no rows" past one result per statement of its
task, a safety net that no test has provoked (dblink would have to misbehave).
"""
import os
import re
import subprocess

import psycopg

from .cluster import TEST_HBA, TEST_SETTINGS, Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIN_STATEMENTS = 0.90   # the share of _pdb_step's lines with statements the pgTAP files run
# what the lines before a transition the pgTAP files do not reach say (see above)
LEFT_OUT = [("'dead'", "_pdb_try_open"), ("'lost'", "s_zero[v_slot] >")]


def transitions(source):
    """body line number -> the state a line of _pdb_step assigns to a slot, for those not left out."""
    lines = source.split("\n")
    out = {}
    for n, line in enumerate(lines, 1):
        m = re.search(r"s_state\[v_slot\]\s*:=\s*(.*?);", line)
        before = "\n".join(lines[max(0, n - 8):n - 1])
        if m and not any(m.group(1) == state and mark in before for state, mark in LEFT_OUT):
            out[n] = m.group(1)
    return out


def check():
    """True when every transition ran and the coverage is high enough; prints what it found."""
    try:
        measure()
    except AssertionError as e:
        print(f"coverage: FAILED: {e}")
        return False
    return True


def measure():
    settings = dict(TEST_SETTINGS, shared_preload_libraries="'plpgsql_check'")
    settings["plpgsql_check.profiler"] = "on"
    with Cluster("pdb-coverage", settings=settings, tcp=True, hba=TEST_HBA) as cluster:
        cluster.psql("CREATE DATABASE pdb_cov")
        tests = sorted(f"test/sql/{f}" for f in os.listdir(os.path.join(ROOT, "test", "sql")))
        out = subprocess.run(["pg_prove", "--ext", ".sql", *tests], cwd=ROOT, env=cluster.env("pdb_cov"),
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
        with psycopg.connect(cluster.dsn("pdb_cov"), autocommit=True) as conn:
            fn = conn.execute("SELECT '_pdb_step'::regproc::oid, prosrc FROM pg_proc WHERE proname = '_pdb_step'").fetchone()
            rows = conn.execute("SELECT lineno, exec_stmts, total_time FROM plpgsql_profiler_function_tb(%s::regprocedure)",
                                (fn[0],)).fetchall()
    # (by lines with statements: plpgsql_coverage_statements and the per-statement profile fail on a
    # polymorphic function, "cache lookup failed for type 0"; the per-line profile works)
    ran = {line: execs for line, execs, _ in rows if execs is not None}
    share = sum(1 for n in ran.values() if n > 0) / len(ran)
    hot = sorted((r for r in rows if r[2]), key=lambda r: -r[2])[:8]
    print(f"coverage: _pdb_step: {share:.1%} of its lines with statements ran in the pgTAP files; the lines that took longest "
          f"(line, statements run, ms): {[(r[0], r[1], round(r[2], 1)) for r in hot]}")
    reached = {}
    for line, state in transitions(fn[1]).items():
        reached.setdefault(state, []).append((line, ran.get(line, 0)))
    assert len(reached) >= 6, f"the slot states found in _pdb_step: {sorted(reached)}"
    missed = [(line, state) for state, lines in reached.items() for line, n in lines if n == 0]
    assert missed == [], f"transitions (body line, state) the pgTAP files never ran: {missed}"
    assert share >= MIN_STATEMENTS, f"only {share:.1%} of _pdb_step's statements ran"
    print(f"coverage: every slot-state transition of _pdb_step ran ({sum(len(v) for v in reached.values())} "
          f"assignments of {len(reached)} kinds)")
