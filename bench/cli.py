"""python -m bench: run the benchmarks, print the markdown table, write JSON, markdown and a PNG.

    python -m bench                  full run (~4 min): out/bench.json, out/bench.md, out/bench_scaling.png
    python -m bench -k 'seed or mlp' a subset (pytest -k expression over bench/test_bench.py ids)
    python -m bench --check          regression gate against bench/baseline.json (exit 1 on regression)
    python -m bench --save-baseline  measure the gate's ratios and rewrite bench/baseline.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def run_benchmarks(out_dir, keyword=None, max_time=0.25):
    import pytest

    from . import memory, registry, report
    from .check import machine_meta

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "bench.json"
    registry.clear()
    args = [
        str(BENCH / "test_bench.py"),
        f"--rootdir={ROOT}",
        "--benchmark-enable",
        f"--benchmark-json={json_path}",
        f"--benchmark-max-time={max_time}",
        "--benchmark-min-rounds=5",
        "--benchmark-quiet",  # its own table has a row per benchmark; ours follows
        "-p", "no:cacheprovider",
        "-q", "-rfE",
    ]
    if keyword:
        args += ["-k", keyword]
    t0 = time.perf_counter()
    code = pytest.main(args)
    t_pytest = time.perf_counter() - t0
    if not json_path.exists():
        print(f"bench: pytest wrote no {json_path} (exit {int(code)})", file=sys.stderr)
        return int(code) or 1
    data = json.loads(json_path.read_text())
    records = report.records_from_json(data, registry.STATUS)

    print("bench: memory per node (tracemalloc) ...", flush=True)
    mem = memory.measure() if not keyword else []
    meta = machine_meta()
    meta["gc"] = "on"
    meta["commit"] = _commit()
    text = report.full_report(records, mem, meta)
    print()
    print(text)
    (out_dir / "bench.md").write_text(text)
    sl = report.slopes(records)
    for s, es in sl.items():
        print(f"slope {s:6s} " + "  ".join(f"{e}={v:.2f}" for e, v in es.items() if v is not None))
    png = None
    try:
        png = report.plot_scaling(records, out_dir / "bench_scaling.png")
    except ImportError as exc:
        print(f"bench: no plot ({exc}); install the bench extra: pip install -e '.[test,bench]'")
    data["micrograd_ref_bench"] = {
        "status": [{**info, "status": s} for info, s in registry.STATUS],
        "slopes": sl,
        "memory": mem,
        "targets": [list(t) for t in report.targets(records, mem)],
        "meta": meta,
    }
    for b in data.get("benchmarks", []):  # per-round samples of the µs benchmarks: tens of MB
        b.get("stats", {}).pop("data", None)
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nbench: wrote {json_path}, {out_dir / 'bench.md'}" + (f", {png}" if png else "")
          + f" ({t_pytest:.0f} s of benchmarks)")
    return 0 if int(code) == 0 else 1


def _commit():
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "micrograd_ref"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + (" + uncommitted micrograd_ref changes" if dirty else "")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.strip().splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.strip().splitlines()[1:]))
    g = p.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="compare micrograd_ref/torch ratios with bench/baseline.json")
    g.add_argument("--save-baseline", action="store_true", help="measure the ratios and rewrite bench/baseline.json")
    p.add_argument("--margin", type=float, default=None,
                   help="allowed relative rise of a ratio (default: the baseline's, 0.25)")
    p.add_argument("-k", dest="keyword", help="pytest -k expression selecting benchmarks (full run only)")
    p.add_argument("--out", type=Path, default=ROOT / "out", help="output directory (default out/)")
    args = p.parse_args(argv)

    if args.check or args.save_baseline:
        from . import check

        if args.check:
            return check.run_check(margin=args.margin)
        print("bench --save-baseline: measuring micrograd_ref vs torch scalar ...")
        cur = check.measure()
        check.save_baseline(cur, margin=args.margin if args.margin is not None else check.DEFAULT_MARGIN)
        print(f"bench --save-baseline: wrote {check.BASELINE}; commit it")
        return 0
    return run_benchmarks(args.out, args.keyword)
