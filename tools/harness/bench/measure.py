"""Measuring: every contender of a workload, rotated, and the figures of its runs."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import statistics

import psycopg

from .contenders import RUNNERS, store_row_type, store_tasks
from .model import ContenderFailed

# -- measuring

FAST_S = 0.1    # a median run shorter than this is noisy ...
FAST_REPS = 9   # ... so such a contender runs this many times in all


def measure(bench, w, reps):
    """Run every contender of w reps times, rotated, and the fast ones FAST_REPS times in all;
    returns contender -> runs, and failures."""
    active = [c for c in w.contenders if c not in w.skipped]
    runs = {c: [] for c in active}
    store_tasks(bench.admin, w)
    if w.rows:
        store_row_type(bench.admin, w)
    failed = {}
    for rep in range(max(reps, w.runs or 0)):
        run_rotated(bench, w, active, rep, runs, failed)
    # (not where every run first rebuilds tables: that takes seconds a run)
    fast = [c for c in active if not w.prepare and c not in failed and runs[c]
            and statistics.median(r.seconds for r in runs[c]) < FAST_S]
    for rep in range(max(reps, w.runs or 0), FAST_REPS if fast else 0):
        run_rotated(bench, w, fast, rep, runs, failed)
    if not runs.get("serial"):
        return runs, failed
    serial = runs["serial"][0].results
    for c, rs in runs.items():
        summary, of_serial = w.summaries.get(c, (w.summary, w.summary))
        expected = of_serial(serial)
        if c not in failed and any(summary(r.results) != expected for r in rs):
            failed[c] = f"results differ from serial's ({summary(rs[0].results)!r:.80} != {expected!r:.80})"
            print(f"    {c}: FAILED: {failed[c]}", flush=True)
    return runs, failed


def run_rotated(bench, w, contenders, rep, runs, failed):
    """One repetition: each contender once, the order rotated by rep; a failure is recorded, not raised."""
    for c in contenders[rep % len(contenders):] + contenders[:rep % len(contenders)]:
        if c in failed:
            continue
        if w.prepare:
            w.prepare(bench.admin)
        try:
            run = RUNNERS[c](bench, w)
            wrong = w.verify(bench.admin) if w.verify else None
            if wrong:
                raise ContenderFailed(f"after the run: {wrong}")
        except (ContenderFailed, psycopg.Error, OSError) as e:
            failed[c] = str(e)
            print(f"    {c}: FAILED: {e}", flush=True)
            continue
        runs[c].append(run)
        print(f"    rep {rep + 1} {c:9} {run.seconds:8.3f} s", flush=True)


def stats(w, runs, failed):
    """Per contender: medians and derived figures, or why it did not run."""
    out = {}
    serial = statistics.median(r.seconds for r in runs["serial"]) if runs.get("serial") else None
    for c in w.contenders:
        if c in w.skipped:
            out[c] = {"skipped": w.skipped[c]}
        elif c in failed:
            out[c] = {"failed": failed[c]}
        else:
            rs = runs[c]
            median = statistics.median(r.seconds for r in rs)
            entry = {"seconds": [round(r.seconds, 4) for r in rs], "median_s": round(median, 4),
                     "tasks_per_s": round(len(w.tasks) / median, 1),
                     "speedup": round(serial / median, 3) if serial else None}
            if rs[0].cpu is not None:
                entry["cpu_seconds"] = [round(r.cpu, 3) for r in rs]
                entry["cpu_pct"] = round(100 * statistics.median(r.cpu / r.seconds for r in rs), 2)
            out[c] = entry
    return out


