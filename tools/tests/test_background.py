"""pdb_job_start: a durable job run by pg_cron with nobody connected, on a cluster of its own that
preloads pg_cron (its socket as cron.host: the cluster listens on no TCP address). The server crashes
(immediate stop) while a run is going on; after the restart pg_cron resumes the job at the next time of
its schedule, every row is changed exactly once, and the schedule removes itself. A job whose task fails
for good ends its schedule too, and waits for its owner; a job cancelled ends it without running.

The schedule is '5 seconds' where pg_cron takes seconds (1.5 and later), else every minute: the test
then waits up to two minutes."""
import os
import re
import sys

import psycopg
import pytest

from conftest import wait_for

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness.cluster import Cluster  # noqa: E402


def schedule(conn):
    version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").fetchone()[0]
    major, minor = (int(re.match(r"\d+", p).group()) for p in version.split(".")[:2])   # ('1.4-1')
    return "5 seconds" if (major, minor) >= (1, 5) else "* * * * *"


@pytest.fixture(scope="module")
def cron():
    with Cluster("pdb-cron", settings={"shared_preload_libraries": "'pg_cron'",
                                       "cron.database_name": "'postgres'"}) as cluster:
        # pg_cron logs in through its own socket (the cluster has no TCP address), as the README says
        cluster.psql(f"ALTER SYSTEM SET cron.host = '{cluster.sockdir}'")
        cluster.restart()
        with psycopg.connect(cluster.dsn(), autocommit=True) as c:
            c.execute("CREATE EXTENSION pg_cron")
            c.execute("CREATE EXTENSION parallel_dblink CASCADE")
        yield cluster


def scheduled(conn, job):
    return conn.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (f"pdb_job_{job}",)).fetchone()[0]


def test_background_jobs(cron):
    """Three jobs started at once (so that they share pg_cron's first times): one that a crash
    interrupts, one whose task fails, one cancelled before its first run."""
    with psycopg.connect(cron.dsn(), autocommit=True) as c:
        every = schedule(c)
        c.execute("CREATE TABLE bg (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        c.execute("INSERT INTO bg (id) SELECT generate_series(1, 2000)")
        job = c.execute("SELECT pdb_job_submit(pdb_tasks('UPDATE bg SET v = v + 1 WHERE {chunk} "
                        "AND pg_sleep(0.005) IS NOT NULL', 'bg', 40), 'background')").fetchone()[0]
        fails = c.execute("SELECT pdb_job_submit(ARRAY['SELECT 1', 'SELECT 1/0'], 'fails')").fetchone()[0]
        cancelled = c.execute("SELECT pdb_job_submit(ARRAY['SELECT 1'], 'cancelled')").fetchone()[0]
        cron_id = c.execute("SELECT pdb_job_start(%s, 2, schedule => %s)", (job, every)).fetchone()[0]
        assert c.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (f"pdb_job_{job}",)).fetchone()[0] == cron_id
        c.execute("SELECT pdb_job_start(%s, 1, schedule => %s)", (fails, every))
        c.execute("SELECT pdb_job_start(%s, 1, schedule => %s)", (cancelled, every))
        c.execute("SELECT pdb_job_cancel(%s)", (cancelled,))
        assert wait_for(lambda: c.execute("SELECT done > 2 FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0],
                        timeout=90, step=0.1), "pg_cron never ran the job"
        # the failed job and the cancelled one: their schedules end at their first run
        assert wait_for(lambda: scheduled(c, fails) + scheduled(c, cancelled) == 0, timeout=10, step=0.1)
        done_before = c.execute("SELECT done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0]
    cron.crash()
    cron.restart()
    with psycopg.connect(cron.dsn(), autocommit=True) as c:
        after_crash = c.execute("SELECT done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()[0]
        assert wait_for(lambda: scheduled(c, job) == 0, timeout=150, step=0.5), "the schedule is still there"
        status, done = c.execute("SELECT status, done FROM pdb_jobs WHERE job_id = %s", (job,)).fetchone()
        print(f"background job: {done_before} of 40 done at the crash, {after_crash} after it, then {status}")
        assert after_crash < 40, "the crash came after the end: it proves nothing"
        assert (status, done) == ("done", 40)
        assert c.execute("SELECT array_agg(DISTINCT v) FROM bg").fetchone()[0] == [1], "a row changed other than once"
        assert c.execute("SELECT status, done, failed FROM pdb_jobs WHERE job_id = %s",
                         (fails,)).fetchone() == ("failed", 1, 1), "a failed task: the job waits for its owner"
        assert c.execute("SELECT status, attempts FROM pdb_job_tasks WHERE job_id = %s",
                         (cancelled,)).fetchone() == ("pending", 0), "the cancelled job ran"


def test_refusals(cron):
    with psycopg.connect(cron.dsn(), autocommit=True) as c:
        job = c.execute("SELECT pdb_job_submit(ARRAY['SELECT 1'])").fetchone()[0]
        with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification) as e:
            c.execute("SELECT pdb_job_start(%s, 1, 'dbname=postgres password=s3cret')", (job,))
        assert "s3cret" not in str(e.value)
        with pytest.raises(psycopg.errors.UndefinedObject):
            c.execute("SELECT pdb_job_start(-1)")
        c.execute("CREATE DATABASE nocron")
    with psycopg.connect(cron.dsn(dbname="nocron"), autocommit=True) as c:
        c.execute("CREATE EXTENSION parallel_dblink CASCADE")
        job = c.execute("SELECT pdb_job_submit(ARRAY['SELECT 1'])").fetchone()[0]
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as e:
            c.execute("SELECT pdb_job_start(%s)", (job,))
        assert e.value.diag.message_primary == "pg_cron is not installed in this database"
        assert "cron.schedule_in_database('pdb_job_1'" in e.value.diag.message_hint
        assert "cron.unschedule('pdb_job_1') once pdb_jobs says the job is done" in e.value.diag.message_hint
