"""The report: ratios, the goals, the markdown (tabulate), the chart and the files of bench/."""
from __future__ import annotations  # X | None annotations on Python 3.9 (Debian 11)

import json
import os

from tabulate import tabulate

from .measure import FAST_REPS, FAST_S
from .model import BATCH_SIZES, CPU_SOURCE, LABELS, OUT_DIR

# -- ratios and goals

def figure(results, workload, contender, key):
    return results.get(workload, {}).get("contenders", {}).get(contender, {}).get(key)


def goal(name, target, value, ok, unit=""):
    if value is None:
        return {"goal": name, "target": target, "measured": None, "met": None}
    return {"goal": name, "target": target, "measured": f"{value:.3g}{unit}", "met": bool(ok(value))}


def reference(name, value):
    """A figure shown among the goals to read them by, not a goal: neither met nor not."""
    return {"goal": name, "target": "—", "measured": None if value is None else f"{value:.3g}",
            "met": None, "reference": True}


def goals(results, info):
    n = info["conns"]
    ideal = min(info["cores"], n)
    tiny = [w for w in results if w.startswith("tiny_")]
    largest = tiny[-1] if tiny else None
    size = largest[5:] if largest else "largest"
    out = []
    for w in tiny:
        pdb, pool = figure(results, w, "pdb_run", "tasks_per_s"), figure(results, w, "pool", "tasks_per_s")
        out.append(goal(f"tiny tasks ({w[5:]}): pdb_run throughput / client pool throughput", ">= 1",
                        pdb / pool if pdb and pool else None, lambda v: v >= 1))
    t10k, t100k = figure(results, "tiny_10000", "pdb_run", "median_s"), figure(results, "tiny_100000", "pdb_run", "median_s")
    out.append(goal("pdb_run time(100k tiny) / time(10k tiny) (full mode only)", "<= 10.5",
                    t100k / t10k if t10k and t100k else None, lambda v: v <= 10.5))
    cpu = figure(results, "cpu", "pdb_run", "speedup")
    out.append(goal(f"CPU-bound: pdb_run speedup / min(cores, N) = speedup / {ideal}", ">= 0.93",
                    cpu / ideal if cpu else None, lambda v: v >= 0.93))
    for w in ("sleep", "cpu", "mixed"):
        out.append(goal(f"coordinator CPU while tasks run ({w}): pdb_run backend", "<= 1 % of a core",
                        figure(results, w, "pdb_run", "cpu_pct"), lambda v: v <= 1, " %"))
    out.append(goal("UPDATE in key ranges with pdb_run: speedup over one UPDATE", ">= 1.7",
                    figure(results, "update", "pdb_run", "speedup"), lambda v: v >= 1.7))
    out.append(reference(f"the UPDATE ceiling here: {n} UPDATEs of separate tables at once (client pool) "
                         "over one after the other (full mode only)",
                         figure(results, "update_ceiling", "pool", "speedup")))
    pdb, native = figure(results, "aggregate", "pdb_run", "median_s"), figure(results, "aggregate", "native", "median_s")
    out.append(goal("aggregate: pdb_run time / native parallel query time", "<= 1.3",
                    pdb / native if pdb and native else None, lambda v: v <= 1.3))
    single = figure(results, "chunked_update", "serial", "median_s")
    for c, how in (("chunk_ctid", "ctid"), ("chunk_key", "key")):
        chunked = figure(results, "chunked_update", c, "median_s")
        out.append(goal(f"chunked UPDATE ({how}) / single UPDATE: wall time of pdb_run(pdb_tasks(...)) / of one UPDATE",
                        "<= 0.59 (speedup >= 1.7)", chunked / single if chunked and single else None,
                        lambda v: v <= 1 / 1.7))
    out += rows_goals(results)
    pool = figure(results, largest, "pool", "tasks_per_s")
    for c, batch_size in BATCH_SIZES.items():
        batch = figure(results, largest, c, "tasks_per_s")
        out.append(goal(f"tiny tasks ({size}): pdb_run batch_size {batch_size} throughput / client pool throughput",
                        ">= 3", batch / pool if batch and pool else None, lambda v: v >= 3))
    return out


def rows_goals(results):
    """Issue 19: reading a task's rows as fast as dblink does, and row-returning tasks in parallel."""
    dblink = figure(results, "rows_large", "dblink", "median_s")
    out = []
    for c, most in (("pdb_query", 1.5), ("pdb_run", 2)):
        t = figure(results, "rows_large", c, "median_s")
        out.append(goal(f"one task's large result: {c} time / plain dblink time", f"<= {most}",
                        t / dblink if t and dblink else None, lambda v, most=most: v <= most))
    out.append(goal("4 CPU-heavy queries returning rows: pdb_query speedup over serial", ">= 1.6",
                    figure(results, "rows_cpu", "pdb_query", "speedup"), lambda v: v >= 1.6))
    return out


def ratios_to_pdb_run(results):
    """workload -> contender -> its median time / pdb_run's (> 1: pdb_run is faster)."""
    out = {}
    for w, r in results.items():
        base = figure(results, w, "pdb_run", "median_s")
        if base:
            out[w] = {c: round(e["median_s"] / base, 3) for c, e in r["contenders"].items()
                      if "median_s" in e and c != "pdb_run"}
    return out


# -- output

def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def table(headers, rows, align):
    """A GitHub markdown table; align: one letter per column, l or r."""
    # (tabulate before 0.10 fails on colalign without rows)
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True,
                    colalign=["right" if a == "r" else "left" for a in align] if rows else None)


def cpu_source_text(info):
    if info.get("cpu_source", "stat") == "schedstat":
        return "Backend CPU is the time on CPU from /proc/<pid>/schedstat, in ns."
    return f"Backend CPU comes from /proc/<pid>/stat in 1/{info['clk_tck']} s ticks."


def markdown(doc):
    info = doc["machine"]
    lines = [f"# parallel_dblink benchmark ({info['mode']} mode)", "",
             f"{info['date']}; {info['cores']} cores ({info['cpu_model']}), {info['ram_gb']} GB RAM; "
             f"{info['postgresql'].split(',')[0]}; parallel_dblink {info['extension_version']}; "
             f"N = {info['conns']} connections; median of {info['reps']} runs, contenders rotated "
             f"within each repetition ({FAST_REPS} runs for those whose median is under {FAST_S} s). "
             "Timings are noisy (a shared machine): read the ratios, not the digits.", "",
             "Cluster: fsync off, autovacuum off, JIT off, max_parallel_workers_per_gather = 0 and "
             "max_parallel_maintenance_workers = 0 (each statement on one core: PostgreSQL would otherwise "
             "build one index, or scan one table, with parallel workers itself); the native contender sets "
             f"max_parallel_workers_per_gather = {info['conns']} ({doc['native_plan']}).", "",
             "Coordinator CPU = CPU seconds / wall seconds of the coordinating process, in % of one core: "
             + "; ".join(f"{LABELS[c]}: {s}" for c, s in CPU_SOURCE.items())
             + ". " + cpu_source_text(info), ""]
    for name, r in doc["workloads"].items():
        rows, notes = [], []
        label = {**LABELS, **r.get("labels", {})}
        for c, e in r["contenders"].items():
            if "median_s" in e:
                rate = format(e["tasks_per_s"], ",.0f" if e["tasks_per_s"] >= 10 else ".1f")
                rows.append([label[c], f"{e['median_s']:.3f}", rate, fmt(e["speedup"], ".2f"),
                             fmt(e.get("cpu_pct"), ".2f"), ", ".join(f"{s:.3f}" for s in e["seconds"])])
            elif "failed" in e:
                rows.append([label[c], "FAILED", "", "", "", ""])
                notes.append(f"{label[c]} failed: {e['failed']}")
            else:
                notes.append(f"{label[c]} skipped: {e['skipped']}")
        lines += [f"## {name}: {r['description']}", "",
                  table(["contender", "median wall (s)", "tasks/s", "speedup over serial (x)",
                         "coordinator CPU (% of a core)", "runs (s)"], rows, "lrrrrl"), ""]
        lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    lines += ["## Ratios: contender time / pdb_run time (> 1: pdb_run is faster)", ""]
    cols = [c for c in LABELS if c != "pdb_run" and any(c in v for v in doc["ratios"].values())]
    lines += [table(["workload"] + [LABELS[c] for c in cols],
                    [[w] + [fmt(v.get(c), ".2f") for c in cols] for w, v in doc["ratios"].items()],
                    "l" + "r" * len(cols))]
    rows = [[g["goal"], g["target"], g["measured"] or "—",
             "reference" if g.get("reference") else {True: "met", False: "**not met**", None: "not measured"}[g["met"]]]
            for g in doc["goals"]]
    lines += ["", "## Goals (issues 3 and 19)", "", table(["goal", "target", "measured", ""], rows, "llrl")]
    return "\n".join(lines) + "\n"


def chart(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [w for w, r in doc["workloads"].items() if "median_s" in r["contenders"].get("serial", {})]
    contenders = [c for c in LABELS if c != "serial"]
    colors = {c: f"C{i}" for i, c in enumerate(contenders)}
    # per workload, the bars of the contenders it measured, side by side around its tick
    groups = {w: [c for c in contenders if doc["workloads"][w]["contenders"].get(c, {}).get("speedup")]
              for w in names}
    width = 0.8 / max([len(g) for g in groups.values()] + [1])
    fig, ax = plt.subplots(figsize=(15, 5.5))
    bars = {c: ([], []) for c in contenders}
    for j, w in enumerate(names):
        for i, c in enumerate(groups[w]):
            bars[c][0].append(j + (i - (len(groups[w]) - 1) / 2) * width)
            bars[c][1].append(doc["workloads"][w]["contenders"][c]["speedup"])
    for c, (xs, ys) in bars.items():
        if xs:
            ax.bar(xs, ys, width, label=LABELS[c], color=colors[c])
    ax.axhline(1, color="black", linewidth=0.8)
    ax.axhline(min(doc["machine"]["cores"], doc["machine"]["conns"]), color="grey", linestyle="--",
               linewidth=0.8, label="min(cores, N)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("speedup over serial (log scale)")
    ax.set_title(f"parallel_dblink bench, {doc['machine']['mode']} mode, N = {doc['machine']['conns']}, "
                 f"{doc['machine']['cores']} cores (median of {doc['machine']['reps']}, or {FAST_REPS})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(doc):
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    text = markdown(doc)
    with open(os.path.join(OUT_DIR, "results.md"), "w") as f:
        f.write(text)
    chart(doc, os.path.join(OUT_DIR, "chart.png"))
    return text


