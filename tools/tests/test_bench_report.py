"""The benchmark's arithmetic and report, on made-up runs (no cluster): the goals
it prints as met or not must follow from the figures."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from harness import bench  # noqa: E402


def fake_workloads():
    m = bench.MODES["full"]
    return {w.name: w for w in bench.workloads(m, 2, True, ["ctid < '(10,0)'", "ctid >= '(10,0)'"])}


def runs_of(seconds, cpu=None):
    return [bench.Run(s, [], None if cpu is None else cpu * s) for s in seconds]


def test_stats_medians_speedups_and_skips():
    w = fake_workloads()["tiny_100000"]
    runs = {"serial": runs_of([8.0, 7.0, 9.0]), "pdb_run": runs_of([4.0, 5.0, 6.0], cpu=0.9),
            "batch": runs_of([1.0, 1.2, 1.1], cpu=0.5), "batch_large": runs_of([0.9, 1.0, 0.8], cpu=0.5),
            "bare": runs_of([2.5, 2.0, 3.0], cpu=0.9), "pool": runs_of([2.0, 3.0, 4.0], cpu=1.0)}
    out = bench.stats(w, runs, {})
    assert out["pdb_run"]["median_s"] == 5.0
    assert out["pdb_run"]["tasks_per_s"] == 20000.0
    assert out["pdb_run"]["speedup"] == 1.6
    assert out["pdb_run"]["cpu_pct"] == 90.0
    assert "skipped" in out["seed"] and "skipped" in out["parallel"]
    assert out["bare"]["median_s"] == 2.5 and out["bare"]["speedup"] == 3.2


def figures(tiny_pdb, tiny_pool, batch, mixed_cpu, agg_pdb, agg_native):
    doc = {}
    for n in (1000, 10000, 100000):
        doc[f"tiny_{n}"] = {"contenders": {
            "pdb_run": {"tasks_per_s": tiny_pdb, "median_s": n / tiny_pdb},
            "pool": {"tasks_per_s": tiny_pool},
            "batch": {"tasks_per_s": batch}, "batch_large": {"tasks_per_s": batch}}}
    doc["mixed"] = {"contenders": {"pdb_run": {"cpu_pct": mixed_cpu}}}
    doc["aggregate"] = {"contenders": {"pdb_run": {"median_s": agg_pdb}, "native": {"median_s": agg_native}}}
    return doc


def verdicts(doc):
    info = {"conns": 2, "cores": 2}
    return {g["goal"]: g["met"] for g in bench.goals(doc, info)}


def test_goals_follow_the_figures():
    good = verdicts(figures(tiny_pdb=40000, tiny_pool=30000, batch=100000, mixed_cpu=0.8, agg_pdb=1.2, agg_native=1.0))
    bad = verdicts(figures(tiny_pdb=10000, tiny_pool=30000, batch=80000, mixed_cpu=2.5, agg_pdb=1.4, agg_native=1.0))
    tiny = "tiny tasks (100000): pdb_run throughput / client pool throughput"
    batch = "tiny tasks (100000): pdb_run batch_size 200 throughput / client pool throughput"
    mixed = "coordinator CPU while tasks run (mixed): pdb_run backend"
    agg = "aggregate: pdb_run time / native parallel query time"
    for goal in (tiny, batch, mixed, agg):
        assert good[goal] is True, goal
        assert bad[goal] is False, goal
    linear = "pdb_run time(100k tiny) / time(10k tiny) (full mode only)"
    assert good[linear] is True  # the same rate at both sizes: 10x the time
    # what was not measured is said so, not counted as met or failed
    assert good["CPU-bound: pdb_run speedup / min(cores, N) = speedup / 2"] is None


def test_a_partial_run_reports_without_tiny_workloads():
    doc = {"aggregate": {"contenders": {"pdb_run": {"median_s": 1.0}, "native": {"median_s": 1.0}}}}
    assert verdicts(doc)["aggregate: pdb_run time / native parallel query time"] is True


def test_unknown_workload_is_refused_before_any_cluster_starts(capsys):
    assert bench.main(quick=True, conns=2, only=["no_such_workload"]) == 2
    assert "unknown workload no_such_workload" in capsys.readouterr().out


def test_aggregate_tasks_are_the_chunks_given():
    w = fake_workloads()["aggregate"]
    assert w.tasks == ["SELECT sum(v) FROM bench.agg WHERE ctid < '(10,0)'",
                       "SELECT sum(v) FROM bench.agg WHERE ctid >= '(10,0)'"]


def spin(seconds):
    """Use about seconds of CPU, then sleep briefly: the kernel updates a task's schedstat when it
    leaves the CPU, so a process reading its own must have slept since it last ran."""
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass
    time.sleep(0.02)


def test_backend_cpu_sources_agree_and_schedstat_is_finer():
    """Both sources see the same 0.2 s of CPU; schedstat (ns) also sees 3 ms, which ticks cannot
    tell from 0 or a whole tick."""
    pid = os.getpid()
    time.sleep(0.02)
    before = {src: bench.backend_cpu(pid, src) for src in ("schedstat", "stat")}
    spin(0.2)
    used = {src: bench.backend_cpu(pid, src) - before[src] for src in ("schedstat", "stat")}
    assert 0.19 < used["schedstat"] < 0.3, used
    assert abs(used["stat"] - used["schedstat"]) <= 2 / bench.CLK_TCK + 0.01, used
    start = bench.backend_cpu(pid, "schedstat")
    spin(0.003)
    sliver = bench.backend_cpu(pid, "schedstat") - start
    assert 0.0029 < sliver < 0.008, sliver


def test_report_names_the_cpu_source():
    assert "schedstat" in bench.cpu_source_text({"cpu_source": "schedstat", "clk_tck": 100})
    assert "1/100 s ticks" in bench.cpu_source_text({"cpu_source": "stat", "clk_tck": 100})
    assert "1/100 s ticks" in bench.cpu_source_text({"clk_tck": 100})  # results written before the source was kept


def test_update_ceiling_is_a_reference_in_full_mode_only():
    """Among the goals, the ceiling is a figure to read them by: reported, never met or not met."""
    full = fake_workloads()["update_ceiling"]
    assert full.tasks == ["UPDATE bench.ceil0 SET v = v + 1, h = md5(h)",
                          "UPDATE bench.ceil1 SET v = v + 1, h = md5(h)"]
    assert "update_ceiling" not in {w.name for w in bench.workloads(bench.MODES["quick"], 2, True, [])}
    doc = {"update_ceiling": {"contenders": {"pool": {"speedup": 1.53}}}}
    (ceiling,) = [g for g in bench.goals(doc, {"conns": 2, "cores": 2}) if g.get("reference")]
    assert ceiling["measured"] == "1.53" and ceiling["met"] is None
    report = bench.markdown({"machine": {"mode": "full", "date": "d", "cores": 2, "cpu_model": "c",
                                         "ram_gb": 1, "postgresql": "PostgreSQL 15", "extension_version": "0",
                                         "conns": 2, "reps": 3, "cpu_source": "schedstat", "clk_tck": 100},
                             "native_plan": "p", "workloads": {}, "ratios": {}, "goals": [ceiling]})
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in report.splitlines() if line.startswith("|")]
    assert [ceiling["goal"], "—", "1.53", "reference"] in cells


def test_rows_goals_follow_the_figures():
    def doc(query, run, speedup):
        return {"rows_large": {"contenders": {"dblink": {"median_s": 1.0}, "pdb_query": {"median_s": query},
                                              "pdb_run": {"median_s": run}}},
                "rows_cpu": {"contenders": {"pdb_query": {"speedup": speedup}}}}
    good, bad = verdicts(doc(1.4, 1.9, 1.7)), verdicts(doc(1.6, 2.1, 1.5))
    for name in ("one task's large result: pdb_query time / plain dblink time",
                 "one task's large result: pdb_run time / plain dblink time",
                 "4 CPU-heavy queries returning rows: pdb_query speedup over serial"):
        assert good[name] is True and bad[name] is False, name


def test_rows_workloads_agree_on_totals_and_pdb_run_on_nulls():
    """Serial digests each task's rows ("rows sum first"), pdb_query and dblink give totals, pdb_run
    NULL for rows of several columns: each is compared with serial's through its own summaries."""
    w = fake_workloads()["rows_cpu"]
    serial = ["3 6 1", "2 9 4"]
    assert w.summary(serial) == w.summary(["5 15"]) == (5, 15)
    assert w.summary(serial) != w.summary(["5 14"])
    own, of_serial = w.summaries["pdb_run"]
    assert own(["", ""]) == of_serial(serial) and own(["1", ""]) != of_serial(serial)
    assert own([""]) != of_serial(serial)  # a task left out
    assert bench.rows_digest([(1, "a"), (2, "b"), (3, "c")]) == "3 6 1"
    assert bench.rows_digest([]) == "0 0 "
    assert w.summary(["0 0 "]) == (0, 0)
