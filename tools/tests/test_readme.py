"""Every SQL example of README.md runs as written, in order, on the tables it names.

The README's ```sql blocks run one after the other, each through psql with ON_ERROR_STOP, as the
superuser, in a database `app` of a cluster of their own, after readme_fixture.sql made what they
name (the reader's tables, schemas, role and shard servers). That cluster loads pg_cron, as a
reader's would for the pg_cron example, and asks app_worker for its password on 127.0.0.1. The
examples name the server's port 5432, as a reader's server has it; the cluster's own replaces it.
An example passes when psql runs it without an error and the server logs no ERROR or FATAL while it
runs: a task that fails (a table the example names that the reader has not) is logged by its worker.
Then the pg_cron job the README schedules is run by hand: its command must succeed.
"""
import os
import re
import subprocess
import sys

import psycopg
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness.cluster import Cluster  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readme_fixture.sql")


def sql_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        return re.findall(r"^```sql\n(.*?)^```", f.read(), re.M | re.S)


@pytest.fixture(scope="module")
def reader():
    settings = {"max_prepared_transactions": 10, "password_encryption": "'scram-sha-256'",
                "shared_preload_libraries": "'pg_cron'", "cron.database_name": "'app'"}
    with Cluster("pdb-readme", settings=settings, tcp=True,
                 hba=["host all app_worker 127.0.0.1/32 scram-sha-256"]) as cluster:
        cluster.psql("CREATE DATABASE app")
        psql(cluster, open(FIXTURE).read(), "-v", f"sock={cluster.sockdir}", "-v", f"port={cluster.port}")
        yield cluster


def psql(cluster, sql, *args):
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args, "-f", "-"],
                         input=sql, env=cluster.env("app"), capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


def test_every_sql_example_runs(reader):
    blocks = sql_blocks()
    assert len(blocks) >= 12, f"only {len(blocks)} SQL examples found in README.md"
    for i, block in enumerate(blocks, 1):
        sql = block.replace("port '5432'", f"port '{reader.port}'")
        logged = len(reader.server_log())
        rc, output = psql(reader, sql)
        assert rc == 0, f"README SQL example {i} failed:\n{block}\n--- psql said:\n{output}"
        errors = [line for line in reader.server_log()[logged:].splitlines() if re.search(r"\b(ERROR|FATAL):", line)]
        assert errors == [], f"README SQL example {i} ran, but the server logged:\n" + "\n".join(errors) + f"\n{block}"
    print(f"{len(blocks)} SQL examples of README.md ran")


def test_the_pg_cron_job_runs(reader):
    # (after the examples: the README schedules it, then drops parallel_dblink last; install it again)
    with psycopg.connect(reader.dsn("app"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS parallel_dblink CASCADE")
        row = conn.execute("SELECT command FROM cron.job WHERE jobname = 'nightly-vacuum'").fetchone()
        assert row, "the README's pg_cron example scheduled no job 'nightly-vacuum'"
        results = conn.execute(row[0]).fetchall()
        assert results and all(r[0].startswith("(") and ",ok," in r[0] for r in results), results
