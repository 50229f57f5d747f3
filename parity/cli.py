"""python -m parity: replay catalogue graphs in two engines and compare every node's data and grad.

Default: micrograd_ref against torch float64, every graph. Engines: micrograd_ref, torch, jax,
golden (the committed golden vectors), port:CMD (a process speaking the line protocol),
package.module:NAME (a Python adapter).

subcommands:
  check-port [options] [graphs] -- CMD   a port process against the golden vectors
                                         (shorthand for --engine port:CMD --reference golden)
  conventions                            every edge case in every installed engine -> docs/CONVENTIONS.md
  ports                                  the compliance report across ports -> docs/PORTS.md
  frameworks                             every framework engine against torch -> docs/FRAMEWORKS.md
  serve ENGINE                           any engine as a port process speaking the line protocol
  spec                                   print the spec (docs/SPEC.md) generated from the op table
  export DIR [graphs]                    write golden vectors (torch float64) of the catalogue

exit status: 0 every compared node agrees (declared differences and skips allowed; --strict: no
skips), 1 a disagreement, an engine error or an XPASS, 2 a usage or setup error (found before
any graph runs), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

import argparse
import difflib
import fnmatch
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor

USAGE_ERROR = 2
SUBCOMMANDS = ("check-port", "conventions", "ports", "frameworks", "serve", "spec", "export")


class UsageError(Exception):
    """A command line that cannot be honoured: one line on stderr, exit 2, before any work."""


# --- selecting graphs ---------------------------------------------------------------------

def _matches(name, pattern):
    return fnmatch.fnmatchcase(name, pattern) or name == pattern or name.startswith(pattern.rstrip("/") + "/")


def select(names, patterns, what="graph"):
    """Names matching any pattern (all when none); every pattern must match something."""
    names = list(names)
    if not patterns:
        return names
    for p in patterns:
        if not any(_matches(n, p) for n in names):
            close = difflib.get_close_matches(p, names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else " (python -m parity --list shows them)"
            raise UsageError(f"no {what} matches {p!r}{hint}")
    return [n for n in names if any(_matches(n, p) for p in patterns)]


# --- checking output paths before any work ------------------------------------------------------

def check_output_file(path, option):
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path}: not writable")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot create a file in {parent}")


def check_output_dir(path, option):
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path}: exists and is not a directory")
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(os.path.abspath(probe))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {probe}")


# --- the command line ------------------------------------------------------------------------

def parser(prog="python -m parity", check_port=False):
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0] if not check_port else
                                "Run a port process against the golden vectors (protocol v1, docs/SPEC.md).",
                                epilog=None if check_port else __doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("graphs", nargs="*", help="entry names, prefixes or globs ('seed/*', 'edge/pow*'); default all")
    if not check_port:
        p.add_argument("--engine", default="micrograd_ref", metavar="E", help="the engine checked (default micrograd_ref)")
        p.add_argument("--reference", default="torch", metavar="R", help="the engine it is checked against "
                       "(default torch; golden needs no torch)")
    else:
        p.add_argument("--name", help="what to call the port in reports (default: the name from its handshake)")
    p.add_argument("--golden", metavar="DIR", help="golden vectors directory for the golden engine "
                   "(default: the committed golden/, or the copy installed with the package)")
    p.add_argument("--list", action="store_true", help="list the entries (filtered by the graph patterns) with "
                   "their level and ops, and exit")
    p.add_argument("--known-failures", metavar="FILE", help="TOML file of graphs expected to disagree "
                   "(XFAIL; one that agrees is XPASS and fails the run)")
    p.add_argument("--strict", action="store_true", help="a skipped graph fails the run")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds a port may take per graph")
    if not check_port:
        p.add_argument("--random", type=int, default=0, metavar="N",
                       help="also check N generated graphs drawn by hypothesis (a failure shrinks to a minimal "
                            "graph, printed as a runnable program)")
        p.add_argument("--seed", type=int, metavar="S", help="seed of --random (same seed, same graphs)")
    p.add_argument("--json", metavar="FILE", help="write a machine-readable report")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    if not check_port:
        p.add_argument("--dot", metavar="DIR", help="write a Graphviz drawing of each failing graph")
    p.add_argument("-q", "--quiet", action="store_true", help="only disagreements and the summary")
    p.add_argument("-j", "--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                   help="worker processes (default: the number of CPUs, at most 4; 1 runs in this process)")
    return p


def list_entries(entries):
    w = max(len(e.name) for e in entries)
    for e in entries:
        print(f"{e.name:<{w}}  {e.level:<8}  {','.join(e.ops):<40}  {e.doc}")
    return 0


def _engine(spec, args):
    from .engines import make
    from .engines.golden_engine import Golden

    if spec == "golden" and args.golden:
        return Golden(args.golden)
    return make(spec, timeout=args.timeout)


def prepare(args, engine=None):
    """Everything that can fail before a graph runs: patterns, paths, files, engines. Raises UsageError."""
    from . import expectations as exps
    from .catalogue import CATALOGUE
    from .engines import EngineUnavailable

    names = select(CATALOGUE, args.graphs)
    if args.random < 0:
        raise UsageError("--random takes N >= 0")
    if args.seed is not None and not args.random:
        raise UsageError("--seed chooses the graphs of --random N; give --random too")
    for opt in ("json", "junit"):
        if getattr(args, opt):
            check_output_file(getattr(args, opt), f"--{opt}")
    if args.dot:
        check_output_dir(args.dot, "--dot")
    if args.jobs < 1:
        raise UsageError("--jobs takes N >= 1")
    known = exps.Expectations()
    if args.known_failures:
        try:
            known = exps.load(args.known_failures, strict=True)
        except exps.ExpectationsError as exc:
            raise UsageError(f"--known-failures: {exc}") from None
        for e in known.entries:
            if not any(e.matches_entry(n) for n in names):
                raise UsageError(f"--known-failures: entry {e.match!r} matches no graph of this run")
    started = []
    try:
        eng = engine if engine is not None else _engine(args.engine, args)
        ref = _engine(args.reference, args)
        for x in (ref, eng):
            x.start()
            started.append(x)
        declared = exps.Expectations()
        if getattr(eng, "differences", None):
            declared = exps.load(eng.differences)
    except EngineUnavailable as exc:
        for x in started:
            x.close()
        raise UsageError(str(exc)) from None
    except exps.ExpectationsError as exc:
        for x in started:
            x.close()
        raise UsageError(f"declared differences of {eng.name}: {exc}") from None
    return [CATALOGUE[n] for n in names], eng, ref, declared + known


def run(argv=None, check_port_cmd=None):
    prog = "python -m parity check-port" if check_port_cmd is not None else "python -m parity"
    args = parser(prog, check_port=check_port_cmd is not None).parse_args(argv)
    if check_port_cmd is not None:
        args.engine, args.reference, args.random, args.seed, args.dot = None, "golden", 0, None, None
    from .catalogue import CATALOGUE

    if args.list:
        try:
            return list_entries([CATALOGUE[n] for n in select(CATALOGUE, args.graphs)])
        except UsageError as exc:
            return _usage(prog, exc)
    try:
        engine = None
        if check_port_cmd is not None:
            if not check_port_cmd:
                raise UsageError("no port command after --")
            from .engines.port_engine import Port

            engine = Port(check_port_cmd, timeout=args.timeout, name=args.name)
        entries, eng, ref, expectations = prepare(args, engine)
    except UsageError as exc:
        return _usage(prog, exc)
    try:
        return _run(args, entries, eng, ref, expectations)
    finally:
        for x in (eng, ref):
            x.close()


def _usage(prog, exc):
    print(f"{prog.split()[-1] if 'check-port' in prog else 'parity'}: {exc}", file=sys.stderr)
    return USAGE_ERROR


def _run(args, entries, eng, ref, expectations):
    from . import report

    t0 = time.perf_counter()
    results = _run_all(entries, args.jobs, eng, ref, expectations)
    gen = None
    if args.random:
        from .harness import run_generated

        gen = run_generated(args.random, args.seed or 0, eng, ref)
        results.append(gen)
    seconds = time.perf_counter() - t0

    def reproducers():
        if gen is not None:
            for graph, tape, *_ in gen.failing_tapes[:1]:  # the minimal graph hypothesis shrank to
                print(f"\nReproduce {graph} (runnable micrograd_ref program):\n" + tape.to_python(graph))

    if args.dot:
        for path in report.write_dots(args.dot, results):
            print(f"wrote {path}")
    about = [x.about() for x in (eng, ref)]
    return report.emit(results, seconds, args.quiet, args.json, args.junit, engines=about,
                       expectations=expectations, strict=args.strict, after_failures=reproducers,
                       suite="check-port" if args.reference == "golden" and args.engine is None else "parity")


# --- running entries in worker processes, stoppable by SIGINT / SIGTERM ----------------------------

_FORKED = {}  # set before forking: workers inherit the run and the entries and receive only indices


def _worker_init():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    run = _FORKED["run"]
    run.engine.after_fork()
    run.reference.after_fork()


def _die_with_parent():
    """Linux: this process gets SIGTERM when its parent dies, so nothing outlives a killed run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run_one(i):
    return _FORKED["run"].entry(_FORKED["entries"][i])


class Interrupted(BaseException):
    def __init__(self, signum):
        self.signum = signum


def _on_signal(signum, frame):
    raise Interrupted(signum)


def _run_all(entries, jobs, eng, ref, expectations):
    """Run entries, in `jobs` forked worker processes when there are several (largest entries first)."""
    from .harness import Run

    run = Run(eng, ref, expectations)
    if jobs <= 1 or len(entries) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [run.entry(e) for e in entries]
    _FORKED.update(run=run, entries=entries)
    order = sorted(range(len(entries)), key=lambda i: entries[i].level != "scale" and not entries[i].name.startswith("mlp/"))
    pool = ProcessPoolExecutor(min(jobs, len(entries)), mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init)
    try:
        done = dict(zip(order, pool.map(_run_one, order)))
    except BaseException:
        for p in list(getattr(pool, "_processes", {}).values()):
            try:
                p.kill()
            except (OSError, AttributeError):
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return [done[i] for i in range(len(entries))]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _dispatch(argv)
    except Interrupted as exc:
        print("interrupted", file=sys.stderr)
        return 128 + exc.signum
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _dispatch(argv):
    if argv and argv[0] in SUBCOMMANDS:
        from . import porting

        return porting.main(argv)
    return run(argv)
