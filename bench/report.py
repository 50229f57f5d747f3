"""From pytest-benchmark's JSON (+ the n/a / FAIL cells) to markdown tables, log-log slopes and a plot.

Everything here is plain data in, text out (no torch, no timing), so tests/test_bench_smoke.py can
run it on tiny inputs. A record is a dict: group, workload, engine, mode, nodes, series, size,
and either `time` (median seconds per call) or `status` ('n/a', 'FAIL (RecursionError)').
"""

import math

from .engines import ENGINE_LABEL, FRAMEWORKS, SERIES_DOC

# the targets
TARGET_SPEEDUP = 5.0  # MLP-100 fwd+bwd: micrograd_ref >= 5x faster than micrograd 0.1.0 and than torch scalar
TARGET_FLOAT_RATIO = 15.0  # micrograd_ref fwd+bwd within 15x of the plain-float forward
TARGET_SLOPE = 1.1  # log-log slope of time vs size, MLP and chain series
TARGET_BYTES = 200.0  # bytes per node of the forward graph


def records_from_json(data, status=()):
    """Records from a pytest-benchmark JSON dict plus [(info, status)] pairs."""
    out = []
    for b in data.get("benchmarks", []):
        info = dict(b.get("extra_info") or {})
        if "engine" not in info:
            continue
        st = b["stats"]
        info["time"] = st["median"]
        info["min"] = st["min"]
        info["rounds"] = st["rounds"]
        out.append(info)
    for info, s in status:
        r = dict(info)
        r["status"] = s
        out.append(r)
    return out


def fmt_time(t):
    if t is None:
        return "—"
    if isinstance(t, str):
        return t
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r < 0.1:
        return f"{r:.2g}x"
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def _cell(index, key):
    r = index.get(key)
    if r is None:
        return None
    return r.get("time", r.get("status"))


def _ratio(a, b):
    """a / b when both are timings."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
        return a / b
    return None


def index_records(records):
    """{(workload, engine, mode): record}; a timing wins over a status for the same key."""
    idx = {}
    for r in records:
        key = (r["workload"], r["engine"], r["mode"])
        if key in idx and "time" in idx[key] and "time" not in r:
            continue
        idx[key] = r
    return idx


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def catalogue_table(records):
    idx = index_records(records)
    names = []
    for r in records:
        if r.get("group") == "catalogue" and r["workload"] not in names:
            names.append(r["workload"])
    header = ["graph", "nodes", "ref fwd", "ref fwd+bwd", "torch fwd", "torch fwd+bwd", "micrograd fwd",
              "micrograd fwd+bwd", "torch/ref", "micrograd/ref", "torch-vec fwd+bwd", "torch-vec/ref"]
    rows = []
    for n in names:
        c = {(e, m): _cell(idx, (n, e, m)) for e in ("micrograd_ref", "torch", "micrograd", "torch-vec")
             for m in ("fwd", "fwd+bwd")}
        nodes = max((r.get("nodes") or 0) for r in records if r["workload"] == n)
        ref = c["micrograd_ref", "fwd+bwd"]
        rows.append([
            f"`{n}`", nodes,
            fmt_time(c["micrograd_ref", "fwd"]), fmt_time(ref),
            fmt_time(c["torch", "fwd"]), fmt_time(c["torch", "fwd+bwd"]),
            fmt_time(c["micrograd", "fwd"]), fmt_time(c["micrograd", "fwd+bwd"]),
            fmt_ratio(_ratio(c["torch", "fwd+bwd"], ref)), fmt_ratio(_ratio(c["micrograd", "fwd+bwd"], ref)),
            fmt_time(c["torch-vec", "fwd+bwd"]) if c["torch-vec", "fwd+bwd"] is not None else "",
            fmt_ratio(_ratio(c["torch-vec", "fwd+bwd"], ref)) if c["torch-vec", "fwd+bwd"] is not None else "",
        ])
    return md_table(header, rows)


def loglog_slope(sizes, times):
    """Least-squares slope of log(time) against log(size); None with fewer than two timed points."""
    pts = [(math.log(s), math.log(t)) for s, t in zip(sizes, times)
           if isinstance(t, (int, float)) and t > 0 and s > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


def series_data(records, stat="time"):
    """{series: {engine: [(size, time or status)]}} (fwd+bwd), sizes ascending; stat 'time' (median) or 'min'."""
    out = {}
    for r in records:
        if r.get("series") is None or r["mode"] != "fwd+bwd":
            continue
        val = r.get(stat, r.get("time", r.get("status")))
        out.setdefault(r["series"], {}).setdefault(r["engine"], {})
        prev = out[r["series"]][r["engine"]].get(r["size"])
        if prev is None or isinstance(val, float):
            out[r["series"]][r["engine"]][r["size"]] = val
    return {s: {e: sorted(d.items()) for e, d in es.items()} for s, es in out.items()}


def slopes(records, stat="time"):
    """{series: {engine: slope or None}} of the median times (stat='min': of the fastest rounds)."""
    return {s: {e: loglog_slope([n for n, _ in pts], [t for _, t in pts]) for e, pts in es.items()}
            for s, es in series_data(records, stat).items()}


ENGINE_ORDER = ("micrograd_ref", "torch", "micrograd", "torch-vec")


def series_table(records):
    data = series_data(records)
    sl = slopes(records)
    slm = slopes(records, "min")
    parts = []
    for s, es in data.items():
        engs = [e for e in ENGINE_ORDER if e in es]
        sizes = sorted({n for e in engs for n, _ in es[e]})
        header = ["size"] + [ENGINE_LABEL.get(e, e) for e in engs]
        if "micrograd_ref" in engs and "torch" in engs:
            header.append("torch/ref")
        rows = []
        for n in sizes:
            cells = {e: dict(es[e]).get(n) for e in engs}
            row = [n] + [fmt_time(cells[e]) for e in engs]
            if "micrograd_ref" in engs and "torch" in engs:
                row.append(fmt_ratio(_ratio(cells["torch"], cells["micrograd_ref"])))
            rows.append(row)
        slope_row = ["**slope**"] + [f"**{sl[s][e]:.2f}**" if sl[s][e] is not None else "—" for e in engs]
        min_row = ["slope of min"] + [f"{slm[s][e]:.2f}" if slm[s].get(e) is not None else "—" for e in engs]
        if "micrograd_ref" in engs and "torch" in engs:
            slope_row.append("")
            min_row.append("")
        rows += [slope_row, min_row]
        parts.append(f"**{s}** ({SERIES_DOC.get(s, '')}), fwd+bwd, median per call\n\n" + md_table(header, rows))
    return "\n\n".join(parts)


def floats_table(records):
    idx = index_records(records)
    w = "mlp/2_16_16_1_x100"
    ref_fb = _cell(idx, (w, "micrograd_ref", "fwd+bwd"))
    ref_f = _cell(idx, (w, "micrograd_ref", "fwd"))
    rows = []
    for e in ("floats-hand", "floats-table"):
        t = _cell(idx, (w, e, "fwd"))
        if t is None:
            continue
        rows.append([ENGINE_LABEL[e], fmt_time(t), fmt_ratio(_ratio(ref_f, t)), fmt_ratio(_ratio(ref_fb, t))])
    if not rows:
        return ""
    return md_table(["plain-float forward of MLP-100", "time", "ref fwd / it", "ref fwd+bwd / it"], rows)


def lock_table(records):
    """backward() with and without its lock, side by side (bench/test_bench.py::test_backward_lock_cost)."""
    idx = index_records(records)
    rows = []
    for w in sorted({r["workload"] for r in records if r.get("group") == "lock"}, reverse=True):
        locked, free = _cell(idx, (w, "with-lock", "fwd+bwd")), _cell(idx, (w, "no-lock", "fwd+bwd"))
        diff = locked - free if isinstance(locked, float) and isinstance(free, float) else None
        rows.append([f"`{w}`", fmt_time(locked), fmt_time(free),
                     "—" if diff is None else ("-" if diff < 0 else "+") + fmt_time(abs(diff)),
                     "—" if diff is None else f"{100 * diff / free:+.1f}%"])
    if not rows:
        return ""
    return md_table(["workload", "with lock", "without lock", "difference", "relative"], rows)


def memory_table(mem):
    """mem: [{workload, engine, nodes, bytes}]"""
    if not mem:
        return ""
    rows = [[f"`{m['workload']}`", ENGINE_LABEL.get(m["engine"], m["engine"]), m["nodes"],
             f"{m['bytes'] / 1e6:.1f} MB", f"{m['bytes'] / m['nodes']:.0f}"] for m in mem]
    return md_table(["graph (forward only)", "engine", "nodes", "traced", "bytes/node"], rows)


def targets(records, mem):
    """[(target, measured, verdict)] against the issue's targets."""
    idx = index_records(records)
    w = "mlp/2_16_16_1_x100"
    ref = _cell(idx, (w, "micrograd_ref", "fwd+bwd"))
    out = []

    def verdict(ok):
        return "—" if ok is None else ("met" if ok else "**not met**")

    for e, label in (("micrograd", "micrograd 0.1.0"), ("torch", "torch scalar")):
        r = _ratio(_cell(idx, (w, e, "fwd+bwd")), ref)
        out.append((f"MLP-100 fwd+bwd: micrograd_ref >= {TARGET_SPEEDUP:g}x faster than {label}",
                    fmt_ratio(r), verdict(None if r is None else r >= TARGET_SPEEDUP)))
    for e in ("floats-hand", "floats-table"):
        r = _ratio(ref, _cell(idx, (w, e, "fwd")))
        out.append((f"MLP-100 fwd+bwd within {TARGET_FLOAT_RATIO:g}x of the plain-float forward ({ENGINE_LABEL[e]})",
                    fmt_ratio(r), verdict(None if r is None else r <= TARGET_FLOAT_RATIO)))
    sl = slopes(records)
    for s in ("mlp", "chain"):
        v = sl.get(s, {}).get("micrograd_ref")
        out.append((f"slope <= {TARGET_SLOPE} for the {s} series (micrograd_ref, gc on)",
                    "—" if v is None else f"{v:.2f}", verdict(None if v is None else v <= TARGET_SLOPE)))
    for m in mem or ():
        if m["engine"] == "micrograd_ref":
            b = m["bytes"] / m["nodes"]
            out.append((f"<= {TARGET_BYTES:g} bytes per node (`{m['workload']}`)", f"{b:.0f}",
                        verdict(b <= TARGET_BYTES)))
    return out


def frameworks_table(records):
    """The catalogue's graphs, fwd+bwd, every framework engine measured in the same run: time / micrograd_ref's."""
    idx = index_records(records)
    engs = [e for e in FRAMEWORKS if any(r.get("engine") == e for r in records)]
    if not engs:
        return ""
    names = []
    for r in records:
        if r.get("group") == "catalogue" and r.get("engine") in engs and r["workload"] not in names:
            names.append(r["workload"])
    rows = []
    for n in names:
        ref = _cell(idx, (n, "micrograd_ref", "fwd+bwd"))
        cells = [_cell(idx, (n, e, "fwd+bwd")) for e in engs]
        rows.append([f"`{n}`"] + [fmt_ratio(_ratio(c, ref)) if isinstance(c, (int, float)) else (c or "")
                                  for c in cells])
    return md_table(["graph"] + [f"{ENGINE_LABEL.get(e, e)}/ref" for e in engs], rows)


def full_report(records, mem=(), meta=None):
    parts = ["## Benchmarks"]
    if meta:
        parts.append(", ".join(f"{k}: {v}" for k, v in meta.items()))
    parts.append("Median time per call (gc on; leaf creation and freeing the graph included). "
                 "`ref` = micrograd_ref, `torch` = torch scalar (one 0-d float64 tensor per scalar), "
                 "`micrograd` = micrograd 0.1.0; ratios `x/ref` > 1 mean micrograd_ref is faster. "
                 "n/a: the engine lacks an op of the graph; FAIL: it raised (micrograd's recursive "
                 "topological sort: RecursionError past ~1000 chained ops; Python float errors on special values).")
    t = targets(records, mem)
    if t:
        parts.append("### Targets\n\n" + md_table(["target", "measured", "verdict"], t))
    parts.append("### Catalogue graphs\n\n" + catalogue_table(records))
    fw = frameworks_table(records)
    if fw:
        parts.append("### Frameworks (fwd+bwd through the engine interface, same run; x/ref > 1: slower than "
                     "micrograd_ref; n/a: an op it lacks or a graph over its measured budget)\n\n" + fw)
    f = floats_table(records)
    if f:
        parts.append("### MLP-100 against plain Python floats\n\n" + f)
    s = series_table(records)
    if s:
        parts.append("### Scaling (log-log slope: 1.00 is linear)\n\n" + s)
    lk = lock_table(records)
    if lk:
        parts.append("### backward()'s lock (concurrent backward() is serialized)\n\n" + lk)
    m = memory_table(mem)
    if m:
        parts.append("### Memory per node (tracemalloc, after building the forward graph)\n\n" + m)
    return "\n\n".join(parts) + "\n"


SIZE_UNIT = {  # the x axis of each series, with its unit (bench/engines.py SERIES_DOC says how each is built)
    "mlp": "batch size (points through MLP 2-16-16-1)",
    "chain": "chain length (ops)",
    "wide": "leaves summed (one add per leaf)",
}


def scaling_figure(records):
    """The log-log figure of time vs size, one panel per series, one line per engine; None without series.
    Each panel's legend sits below its axes, so it hides no line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = series_data(records)
    sl = slopes(records)
    if not data:
        return None
    fig, axes = plt.subplots(1, len(data), figsize=(5 * len(data), 5.2), squeeze=False)
    for ax, (s, es) in zip(axes[0], data.items()):
        for e in ENGINE_ORDER:
            pts = [(n, t) for n, t in es.get(e, []) if isinstance(t, float)]
            if not pts:
                continue
            slope = sl[s].get(e)
            label = ENGINE_LABEL.get(e, e) + (f": slope {slope:.2f}" if slope is not None else "")
            ax.plot([n for n, _ in pts], [t for _, t in pts], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        sizes = sorted({n for pts in es.values() for n, _ in pts})
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
        ax.minorticks_off()
        ax.set_title(f"{s}: forward + backward", fontsize=10)
        ax.set_xlabel(SIZE_UNIT.get(s, "size") + ", log scale")
        ax.set_ylabel("seconds per forward + backward (median), log scale")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False,
                      title="log-log slope (1 = linear in size)", title_fontsize=8)
    fig.tight_layout()
    return fig


def plot_scaling(records, path):
    """PNG of scaling_figure (matplotlib Agg); the path, or None without series."""
    import matplotlib.pyplot as plt

    fig = scaling_figure(records)
    if fig is None:
        return None
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
