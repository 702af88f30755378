#!/usr/bin/env python3
"""parallel_dblink harness.

    python3 tools/pdb.py test [--pg 13,15,17,18]
                                 everything: packages, throwaway cluster, make install,
                                 pgspot, make installcheck (pg_regress), make test (pg_prove),
                                 the Python tests, META.json check, update scripts, the PGXN
                                 zip install; on each version asked for (default: this
                                 machine's own; the others in Debian chroots); then the
                                 engine's coverage by the pgTAP files (plpgsql_check's
                                 profiler) and a table of version by check
    python3 tools/pdb.py demo    a short real workload, serial against pdb_run, on a
                                 throwaway cluster, with timings and speedup
    python3 tools/pdb.py bench [--quick]   pdb_run against serial, the seed dblink recipe,
                                 a client pool, GNU parallel and native parallel query;
                                 writes bench/results.json, results.md, chart.png;
                                 --only W1,W2 runs those workloads and prints their table
    python3 tools/pdb.py ab --base REV   pdb_run of revision REV against the working tree's,
                                 side by side on one throwaway cluster (no-loss check
                                 of a refactoring): wall time and coordinator CPU
    python3 tools/pdb.py backfill-bench [--rows N]   a backfill by one UPDATE, by a client's
                                 loop of 10,000-row transactions and by pdb_backfill on
                                 2 connections: time, table size, WAL, longest transaction;
                                 writes bench/backfill.md
    python3 tools/pdb.py fanout-bench   per call, from a long session: pdb_query_at over
                                 2 shards with and without keep_conns, PL/Proxy's RUN
                                 ON ALL, 2 dblink connections by hand, pdb_run of 2 tiny
                                 tasks; writes bench/fanout.md
    python3 tools/pdb.py mkupdate --from A   writes sql/updates/parallel_dblink--A--<version>.sql
                                 from released A and the sources (on a throwaway cluster)
    python3 tools/pdb.py check-meta   META.json against PGXN Meta Spec 1.0.0 and the control file
    python3 tools/pdb.py dist    make dist (git archive zip)

Run as root on Debian to let it install missing packages (Python packages go into
the project's virtual environment, .venv); the database server itself always runs
as the unprivileged 'postgres' user.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from harness import env  # noqa: E402  (stdlib only; psycopg is imported after setup)


def step(title):
    print(f"\n=== {title} ===", flush=True)


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=kw.pop("cwd", ROOT), **kw)


def check_meta():
    from harness import meta
    problems = meta.validate_files(os.path.join(ROOT, "META.json"),
                                   os.path.join(ROOT, "parallel_dblink.control"))
    for p in problems:
        print("META.json:", p)
    if not problems:
        print("META.json: valid PGXN Meta Spec 1.0.0, versions agree with the control file")
    return not problems


def show_diffs():
    path = os.path.join(ROOT, "regression.diffs")
    if os.path.exists(path):
        print("\n--- regression.diffs ---")
        with open(path) as f:
            sys.stdout.write(f.read())


def make_dist():
    if run(["make", "dist"]).returncode != 0:
        return None
    version = env_version()
    return os.path.join(ROOT, f"parallel_dblink-{version}.zip")


def env_version():
    from harness.meta import control_version
    with open(os.path.join(ROOT, "parallel_dblink.control")) as f:
        return control_version(f.read())


def zip_install(cluster):
    """Uninstall, install from the PGXN zip with pgxnclient, CREATE EXTENSION, one pdb_run."""
    zip_path = make_dist()
    if zip_path is None:
        return False
    if run(["make", "uninstall"], stdout=subprocess.DEVNULL).returncode != 0:
        return False
    try:
        if run(["pgxn", "install", "--yes", "--make", "make", "--nosudo", zip_path], stdout=subprocess.DEVNULL).returncode != 0:
            return False
        cluster.psql("CREATE DATABASE pdb_zip")
        got = cluster.psql("CREATE EXTENSION parallel_dblink CASCADE; "
                           "SELECT status || ':' || result FROM pdb_run(ARRAY['SELECT 40 + 2'], 1)",
                           dbname="pdb_zip")
        print("zip install: pdb_run returned", got)
        return got == "ok:42"
    finally:
        # leave the working tree's build installed, as before
        run(["make", "install"], stdout=subprocess.DEVNULL)


def cmd_test(args):
    """The test command on each version asked for (default: this machine's own), then one table."""
    host = env.pg_major()
    versions = args.pg.split(",") if args.pg else [host]
    from harness import matrix
    unknown = [v for v in versions if v != host and v not in matrix.SUITES]
    if unknown:
        print("no Debian suite here ships PostgreSQL", ", ".join(unknown),
              "- known:", ", ".join(sorted(set(matrix.SUITES) | {host}, key=int)))
        return 2
    table = {}
    if not args.report:   # a chroot's run (--report) leaves these to the run that started it
        table["any"] = script_checks()
    for version in versions:
        step(f"PostgreSQL {version}" + (" (this machine's own)" if version == host else " (chroot)"))
        table[version] = test_here() if version == host else matrix.run_tests(ROOT, version)
    if not args.report:
        step("coverage of the engine by the pgTAP files (plpgsql_check's profiler)")
        from harness import coverage
        table["any"]["coverage"] = (run(["make", "install"], stdout=subprocess.DEVNULL).returncode == 0
                                    and coverage.check())
    if args.report:
        with open(args.report, "w") as f:
            json.dump(table[host], f)
    return print_summary(table)


def print_summary(table):
    """Version by check: ok, FAILED, or - where it did not run (the checks that do not depend on the
    version run once, in the column 'any'; a run that ended early has none after its failure)."""
    checks = []
    for results in table.values():
        checks += [c for c in results if c not in checks]
    step("summary")
    print(f"{'check':14}" + "".join(f"{v if v == 'any' else 'PG ' + v:>10}" for v in table))
    for check in checks:
        cells = ["-" if check not in r else ("ok" if r[check] else "FAILED") for r in table.values()]
        print(f"{check:14}" + "".join(f"{c:>10}" for c in cells))
    passed = all(r and all(r.values()) for r in table.values())
    return 0 if passed else 1


def script_checks():
    """The checks that do not depend on the server's version: META.json, pgspot over the install script."""
    results = {}
    step("META.json")
    results["meta"] = check_meta()
    step("pgspot (the install script)")
    env.ensure_python_packages(env.SCRIPT_PACKAGES)
    results["pgspot"] = run(["make"], stdout=subprocess.DEVNULL).returncode == 0 and pgspot()
    return results


def test_here():
    """Every check on this machine's PostgreSQL; returns check -> ok."""
    from harness.cluster import TEST_HBA, TEST_SETTINGS, Cluster

    results = {}
    step("build and install")
    if run(["make", "clean"], stdout=subprocess.DEVNULL).returncode != 0 or \
       run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        results["install"] = False
        return results

    with Cluster("pdb-test", settings=TEST_SETTINGS, tcp=True, hba=TEST_HBA) as cluster:
        cenv = cluster.env()
        step("make installcheck (pg_regress)")
        rc = run(["make", "installcheck"], env=cenv).returncode
        results["installcheck"] = rc == 0
        if rc != 0:
            show_diffs()

        step("make test (pg_prove)")
        cluster.psql("CREATE DATABASE pdb_prove")
        results["pg_prove"] = run(["make", "test"], env=cluster.env("pdb_prove")).returncode == 0

        step("Python tests (pytest)")
        cluster.psql("CREATE DATABASE pdb_py")
        pyenv = dict(cluster.env("pdb_py"), PDB_TEST_DSN=cluster.dsn("pdb_py"))
        results["pytest"] = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 "tools/tests"], env=pyenv).returncode == 0

        step("released SQL and update scripts")
        from harness import updates
        results["updates"] = updates.check_frozen(ROOT) and updates.check_updates(ROOT, cluster)

        step("PGXN zip install")
        results["zip"] = zip_install(cluster)
    return results


# the one routine without SET search_path: PostgreSQL refuses COMMIT in a procedure with a SET clause;
# its body calls only schema-qualified functions of the extension (test/sql/00_catalog.sql checks it)
NO_SEARCH_PATH = ("extschema.pdb_job_exec(job_id bigint,max_conns integer,connstr text,fail_fast boolean,"
                  "task_timeout interval,retries integer,setup text[],progress boolean,strict boolean)",
                  "extschema._pdb_job_background(job_id bigint,max_conns integer,connstr text,fail_fast boolean,"
                  "task_timeout interval,retries integer,setup text[])")


def pgspot():
    """pgspot over the built install script: no error, no warning, nothing it cannot read, no PL/pgSQL
    variable it cannot follow (at the first, it reads no further: the rest of the script goes unchecked)."""
    script = os.path.join(ROOT, "sql", f"parallel_dblink--{env_version()}.sql")
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "pgspot"),
                          *[a for p in NO_SEARCH_PATH for a in ("--proc-without-search-path", p)], script],
                         capture_output=True, text=True)
    sys.stdout.write(out.stdout + out.stderr)
    return (out.returncode == 0 and re.search(r"Errors: 0 Warnings: 0 Unknown: 0", out.stdout) is not None
            and "is not a known variable" not in out.stdout + out.stderr)


def cmd_demo(args):
    from harness import demo
    if run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    return demo.main(scale=args.scale)


def cmd_bench(args):
    from harness import bench
    if args.install and run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    only = args.only.split(",") if args.only else None
    return bench.main(quick=args.quick, conns=args.conns, only=only)


def cmd_ab(args):
    from harness import ab
    return ab.main(args.base, reps=args.reps)


def cmd_backfill_bench(args):
    from harness import backfill_bench
    if run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    return backfill_bench.main(rows=args.rows, reps=args.reps)


def cmd_fanout_bench(args):
    from harness import fanout_bench
    if run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    return fanout_bench.main(calls=args.calls, reps=args.reps)


def cmd_mkupdate(args):
    from harness import mkupdate
    return mkupdate.main(args.from_version)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    test_p = sub.add_parser("test", help="run every test")
    test_p.add_argument("--pg", metavar="13,15,17,18", default=None,
                        help="PostgreSQL versions to test (default: this machine's own); others run in chroots")
    test_p.add_argument("--report", metavar="FILE", default=None,
                        help="write this machine's results as JSON and leave out the checks that do not "
                             "depend on the version (the chroot runs use it)")
    demo_p = sub.add_parser("demo", help="serial against pdb_run on a throwaway cluster")
    demo_p.add_argument("--scale", type=float, default=1.0, help="workload size factor (default 1)")
    bench_p = sub.add_parser("bench", help="pdb_run against the other ways to run statements in parallel")
    bench_p.add_argument("--quick", action="store_true", help="small sizes, 2 repetitions (about 2 minutes)")
    bench_p.add_argument("--conns", type=int, default=None, help="connections per contender (default: cores)")
    bench_p.add_argument("--only", metavar="W1,W2", default=None,
                         help="run only these workloads and print their table; bench/ is left as it is")
    bench_p.add_argument("--no-install", dest="install", action="store_false",
                         help="use the installed extension, skip make install")
    ab_p = sub.add_parser("ab", help="pdb_run of another revision against the working tree's, side by side")
    ab_p.add_argument("--base", required=True, metavar="REV", help="the git revision to compare with")
    ab_p.add_argument("--reps", type=int, default=7, help="runs of each workload on each (default 7)")
    bf_p = sub.add_parser("backfill-bench", help="one UPDATE, a client's serial loop and pdb_backfill, side by side")
    bf_p.add_argument("--rows", type=int, default=2_000_000, help="rows of the table (default 2,000,000)")
    bf_p.add_argument("--reps", type=int, default=3, help="runs of each (default 3)")
    fo_p = sub.add_parser("fanout-bench", help="small calls per call: pdb_query_at, keep_conns, PL/Proxy")
    fo_p.add_argument("--calls", type=int, default=500, help="calls per run (default 500)")
    fo_p.add_argument("--reps", type=int, default=5, help="runs of each (default 5)")
    mk_p = sub.add_parser("mkupdate", help="write the update script from a released version to this one")
    mk_p.add_argument("--from", dest="from_version", required=True, metavar="A", help="the released version")
    sub.add_parser("check-meta", help="validate META.json")
    sub.add_parser("dist", help="build the PGXN zip")
    sub.add_parser("freeze", help="freeze the install script of the control file's version as released")
    args = parser.parse_args()
    start = time.time()
    if args.command in ("test", "demo", "bench", "ab", "mkupdate", "backfill-bench", "fanout-bench"):
        env.ensure_debian_packages()
        if args.command == "fanout-bench":   # (PL/Proxy, a contender)
            env.ensure_debian_packages([f"postgresql-{env.pg_major()}-plproxy"])
        env.enter_venv()   # from here on, this program runs in the project's virtual environment
        env.ensure_python_packages(env.BENCH_PACKAGES if args.command == "bench" else env.PYTHON_PACKAGES)
    if args.command == "test":
        rc = cmd_test(args)
    elif args.command == "demo":
        rc = cmd_demo(args)
    elif args.command == "bench":
        rc = cmd_bench(args)
    elif args.command == "ab":
        rc = cmd_ab(args)
    elif args.command == "mkupdate":
        rc = cmd_mkupdate(args)
    elif args.command == "backfill-bench":
        rc = cmd_backfill_bench(args)
    elif args.command == "fanout-bench":
        rc = cmd_fanout_bench(args)
    elif args.command == "freeze":
        from harness import updates
        rc = 0 if run(["make"], stdout=subprocess.DEVNULL).returncode == 0 else 1
        if rc == 0:
            updates.freeze(ROOT)
    elif args.command == "check-meta":
        rc = 0 if check_meta() else 1
    else:
        rc = 0 if make_dist() else 1
    print(f"\n{args.command}: {'passed' if rc == 0 else 'FAILED'} in {time.time() - start:.0f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
