"""python -m parity: replay every catalogue graph in micrograd_ref and torch, compare every node.

Exit status: 0 all agree, 1 any mismatch, 2 usage or setup error.
"""

import argparse
import fnmatch
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

USAGE_ERROR = 2


def _select(names, patterns):
    if not patterns:
        return list(names)
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) or n == p or n.startswith(p.rstrip("/") + "/")
                                      for p in patterns)]
    return chosen


def run(argv=None):
    p = argparse.ArgumentParser(prog="python -m parity", description=__doc__.strip().splitlines()[0])
    p.add_argument("graphs", nargs="*", help="graph names or globs (e.g. 'seed/*', 'edge/pow*'); default all")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.add_argument("--random", type=int, default=0, metavar="N",
                   help="also check N generated graphs, drawn by hypothesis (a failure shrinks to a minimal graph, "
                        "printed as a runnable program); without hypothesis installed, XorShift64* seeds S..S+N-1")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of --random (same seed, same graphs)")
    p.add_argument("--json", metavar="FILE", help="write a machine-readable report")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--dot", metavar="DIR", help="write a Graphviz drawing of each failing graph")
    p.add_argument("-q", "--quiet", action="store_true", help="only failures and the summary")
    p.add_argument("-j", "--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                   help="worker processes (default: the number of CPUs, at most 4; 1 runs in this process)")
    args = p.parse_args(argv)

    from .catalogue import CATALOGUE, Entry, generated_cases
    from .engines import TorchMissing, import_torch

    if args.list:
        for name, e in CATALOGUE.items():
            print(f"{name:36s} {e.doc}")
        return 0
    names = _select(CATALOGUE, args.graphs)
    if args.graphs and not names:
        print(f"parity: no graph matches {' '.join(args.graphs)} (see python -m parity --list)", file=sys.stderr)
        return USAGE_ERROR
    if args.random < 0:
        print("parity: --random takes N >= 0", file=sys.stderr)
        return USAGE_ERROR
    try:
        import_torch()
    except TorchMissing as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return USAGE_ERROR

    from . import report
    from .harness import run_entry

    entries = [CATALOGUE[n] for n in names]
    use_hypothesis = False
    if args.random:
        try:
            import hypothesis  # noqa: F401

            use_hypothesis = True
        except ImportError:
            seeds = range(args.seed, args.seed + args.random)
            entries.append(Entry(f"random/seeds_{seeds.start}..{seeds.stop - 1}",
                                 lambda: generated_cases(seeds), "cases", tags=("random",)))
    t0 = time.perf_counter()
    results = _run_all(entries, args.jobs)
    if use_hypothesis:
        from .harness import run_generated

        entries.append(None)
        results.append(run_generated(args.random, args.seed))
    if args.dot or any(not r.ok and r.name.startswith("random/") for r in results):
        # workers do not send engine values back: redo the failing graphs here for drawings and reproducers
        results = [run_entry(e) if e is not None and not r.ok else r for e, r in zip(entries, results)]
    seconds = time.perf_counter() - t0

    def reproducers():
        for r in results:
            if r.name.startswith("random/"):
                for graph, tape, _, _ in r.failing_tapes:
                    print(f"\nReproduce {graph} (runnable micrograd_ref program):\n" + tape.to_python(graph))
                    break  # the first (for hypothesis: the minimal) graph is enough

    if args.dot:
        for path in report.write_dots(args.dot, results):
            print(f"wrote {path}")
    return report.emit(results, seconds, args.quiet, args.json, args.junit, after_failures=reproducers)


_FORKED_ENTRIES = []  # set before forking: workers inherit the entries and receive only indices


def _run_entry_lean(i):
    from .harness import run_entry

    return run_entry(_FORKED_ENTRIES[i], keep_failing=False)


def _run_all(entries, jobs):
    """Run entries, in `jobs` forked worker processes when there are several CPUs (largest graphs first)."""
    from .harness import run_entry

    if jobs <= 1 or len(entries) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [run_entry(e) for e in entries]
    _FORKED_ENTRIES[:] = entries
    order = sorted(range(len(entries)), key=lambda i: not entries[i].name.startswith("mlp/"))
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        done = dict(zip(order, pool.map(_run_entry_lean, order)))
    return [done[i] for i in range(len(entries))]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("spec", "export", "check-port"):
        from . import porting

        return porting.main(argv)
    return run(argv)
