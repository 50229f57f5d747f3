"""Regression gate: micrograd_ref's time relative to torch scalar, against bench/baseline.json.

Absolute times on a shared, noisy 2-core machine move by tens of percent from run to run; the
ratio micrograd_ref / torch measured in the same process, rounds interleaved (ref, torch, ref,
torch, ...), moves much less, because both engines see the same load. The gate fails when a
ratio is more than `margin` (default 25%) above the baseline's, i.e. when micrograd_ref got
slower relative to torch. Refresh the baseline with `python -m bench --save-baseline` after an
intended change (or on a new kind of machine), and commit bench/baseline.json.
"""

import datetime
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from . import engines

BASELINE = Path(__file__).with_name("baseline.json")
DEFAULT_MARGIN = 0.25
# name -> (how to build the tapes, rounds)
CHECKS = {
    "mlp/2_16_16_1_x100 fwd+bwd": (lambda: engines.catalogue_tapes("mlp/2_16_16_1_x100"), 5),
    "chain/10000 fwd+bwd": (lambda: [engines.series_tape("chain", 10_000)], 9),
}
PAIR = ("micrograd_ref", "torch")


def measure(rounds_scale=1.0, log=print):
    """{check name: {"micrograd_ref": median s, "torch": median s, "ratio": ref/torch}}."""
    out = {}
    for name, (make, rounds) in CHECKS.items():
        tapes = make()
        fns = {e: engines.workload(tapes, e, "fwd+bwd") for e in PAIR}
        del tapes
        times = {e: [] for e in PAIR}
        for fn in fns.values():  # warm-up
            fn()
        gc.collect()  # once: a collect before every round would hide the collector's real cost (gc stays on)
        for _ in range(max(1, round(rounds * rounds_scale))):
            for e, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                times[e].append(time.perf_counter() - t0)
        med = {e: statistics.median(ts) for e, ts in times.items()}
        out[name] = {**med, "ratio": med["micrograd_ref"] / med["torch"]}
        log(f"  {name}: micrograd_ref {med['micrograd_ref'] * 1e3:.1f} ms, torch {med['torch'] * 1e3:.1f} ms, "
            f"ratio ref/torch {out[name]['ratio']:.3f} ({len(times['torch'])} rounds)")
    return out


def compare(current, baseline, margin=None):
    """(ok, [message]) comparing {name: {"ratio": r}} with the baseline dict ({"margin", "ratios": {name: r}})."""
    if margin is None:
        margin = baseline.get("margin", DEFAULT_MARGIN)
    ok = True
    msgs = []
    base_ratios = baseline.get("ratios", {})
    for name, base in base_ratios.items():
        cur = current.get(name)
        if cur is None:
            ok = False
            msgs.append(f"FAIL {name}: in the baseline but not measured")
            continue
        r = cur["ratio"] if isinstance(cur, dict) else cur
        change = r / base - 1.0
        if change > margin:
            ok = False
            msgs.append(f"FAIL {name}: micrograd_ref/torch = {r:.3f}, baseline {base:.3f}: "
                        f"{change:+.0%} slower relative to torch (margin {margin:.0%})")
        elif change < -margin:
            msgs.append(f"ok   {name}: micrograd_ref/torch = {r:.3f}, baseline {base:.3f}: {change:+.0%} "
                        f"(faster; refresh the baseline with `python -m bench --save-baseline`)")
        else:
            msgs.append(f"ok   {name}: micrograd_ref/torch = {r:.3f}, baseline {base:.3f}: {change:+.0%} "
                        f"(margin {margin:.0%})")
    for name in current:
        if name not in base_ratios:
            msgs.append(f"note {name}: measured but not in the baseline (refresh it to gate on it)")
    if not base_ratios:
        ok = False
        msgs.append("FAIL the baseline has no ratios")
    return ok, msgs


def machine_meta():
    meta = {"python": platform.python_version(), "machine": platform.machine(), "system": platform.system()}
    try:
        from .engines import import_torch

        torch = import_torch()
        meta["torch"] = torch.__version__
        meta["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    try:
        import os

        meta["cpus"] = os.cpu_count()
    except Exception:
        pass
    return meta


def load_baseline(path=BASELINE):
    with open(path) as f:
        return json.load(f)


def save_baseline(current, path=BASELINE, margin=DEFAULT_MARGIN):
    data = {
        "what": "median time ratio micrograd_ref / torch scalar (fwd+bwd), rounds interleaved; "
                "`python -m bench --check` fails when a ratio rises more than `margin` above these",
        "margin": margin,
        "ratios": {k: round(v["ratio"], 4) for k, v in current.items()},
        "seconds": {k: {e: round(v[e], 6) for e in PAIR} for k, v in current.items()},
        "measured": datetime.date.today().isoformat(),
        "meta": machine_meta(),
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    return data


def run_check(margin=None, path=BASELINE, log=print):
    """Exit status: 0 within the margin, 1 regression, 2 no usable baseline."""
    try:
        baseline = load_baseline(path)
    except FileNotFoundError:
        log(f"bench --check: no baseline at {path}; create it with `python -m bench --save-baseline`")
        return 2
    except json.JSONDecodeError as exc:
        log(f"bench --check: {path} is not valid JSON ({exc}); recreate it with `python -m bench --save-baseline`")
        return 2
    log(f"bench --check: micrograd_ref vs torch scalar, ratios against {path.name} "
        f"(measured {baseline.get('measured', '?')}, margin {(margin or baseline.get('margin', DEFAULT_MARGIN)):.0%})")
    current = measure(log=log)
    ok, msgs = compare(current, baseline, margin)
    for m in msgs:
        log("  " + m)
    if ok:
        log("bench --check: OK")
        return 0
    log("bench --check: REGRESSION: micrograd_ref is slower relative to torch than the baseline allows. "
        "If this is intended (or the machine changed), refresh with `python -m bench --save-baseline`.")
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_check())
