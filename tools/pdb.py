#!/usr/bin/env python3
"""parallel_dblink harness.

    python3 tools/pdb.py test    everything: packages, throwaway cluster, make install,
                                 make installcheck (pg_regress), make test (pg_prove),
                                 the Python tests, META.json check, the PGXN zip install
    python3 tools/pdb.py demo    a short real workload, serial against pdb_run, on a
                                 throwaway cluster, with timings and speedup
    python3 tools/pdb.py bench [--quick]   pdb_run against serial, the seed dblink recipe,
                                 a client pool, GNU parallel and native parallel query;
                                 writes bench/results.json, results.md, chart.png;
                                 --only W1,W2 runs those workloads and prints their table
    python3 tools/pdb.py check-meta   META.json against PGXN Meta Spec 1.0.0 and the control file
    python3 tools/pdb.py dist    make dist (git archive zip)

Run as root on Debian to let it install missing packages; the database server
itself always runs as the unprivileged 'postgres' user.
"""
import argparse
import os
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
    env.ensure_debian_packages()
    env.ensure_python_packages()
    from harness.cluster import Cluster

    results = {}
    step("META.json")
    results["meta"] = check_meta()

    step("build and install")
    if run(["make", "clean"], stdout=subprocess.DEVNULL).returncode != 0 or \
       run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1

    # TCP on 127.0.0.1 with passwords for the roles of test/sql/88_non_superuser.sql
    hba = ["host all pdb_alice,pdb_bob 127.0.0.1/32 scram-sha-256"]
    with Cluster("pdb-test", settings={"max_prepared_transactions": 10}, tcp=True, hba=hba) as cluster:
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

    step("summary")
    for name, ok in results.items():
        print(f"{name:14} {'ok' if ok else 'FAILED'}")
    return 0 if all(results.values()) else 1


def cmd_demo(args):
    env.ensure_debian_packages()
    env.ensure_python_packages()
    from harness import demo
    if run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    return demo.main(scale=args.scale)


def cmd_bench(args):
    env.ensure_debian_packages()
    env.ensure_python_packages()
    from harness import bench
    if args.install and run(["make", "install"], stdout=subprocess.DEVNULL).returncode != 0:
        print("make install failed")
        return 1
    only = args.only.split(",") if args.only else None
    return bench.main(quick=args.quick, conns=args.conns, only=only)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("test", help="run every test")
    demo_p = sub.add_parser("demo", help="serial against pdb_run on a throwaway cluster")
    demo_p.add_argument("--scale", type=float, default=1.0, help="workload size factor (default 1)")
    bench_p = sub.add_parser("bench", help="pdb_run against the other ways to run statements in parallel")
    bench_p.add_argument("--quick", action="store_true", help="small sizes, 2 repetitions (about 2 minutes)")
    bench_p.add_argument("--conns", type=int, default=None, help="connections per contender (default: cores)")
    bench_p.add_argument("--only", metavar="W1,W2", default=None,
                         help="run only these workloads and print their table; bench/ is left as it is")
    bench_p.add_argument("--no-install", dest="install", action="store_false",
                         help="use the installed extension, skip make install")
    sub.add_parser("check-meta", help="validate META.json")
    sub.add_parser("dist", help="build the PGXN zip")
    sub.add_parser("freeze", help="freeze the install script of the control file's version as released")
    args = parser.parse_args()
    start = time.time()
    if args.command == "test":
        rc = cmd_test(args)
    elif args.command == "demo":
        rc = cmd_demo(args)
    elif args.command == "bench":
        rc = cmd_bench(args)
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
