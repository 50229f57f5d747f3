"""python -m parity: replay catalogue graphs in two engines and compare every node's data and grad.

Default: micrograd_ref against torch float64, every graph. Engines: micrograd_ref, torch, jax,
golden (the committed golden vectors), port:CMD (a process speaking the line protocol),
micrograd:MODULE (any engine with micrograd's API, no adapter code; --python PATH runs it in its
own interpreter), package.module:NAME (a Python adapter).

subcommands:
  check-port [options] [graphs] -- CMD   a port process against the golden vectors
                                         (shorthand for --engine port:CMD --reference golden)
  check-port --engine micrograd:MODULE [--python PATH] [options] [graphs]
                                         an engine with micrograd's API against the golden vectors
  conventions [-o FILE]                  every edge case in every installed engine -> docs/CONVENTIONS.md
                                         (installed from a wheel: ./CONVENTIONS.md)
  ports [--out FILE --json FILE]         the compliance report across ports -> docs/PORTS.md
                                         (installed from a wheel: ./PORTS.md, ./PORTS.json)
  serve ENGINE                           any engine as a port process speaking the line protocol
  spec                                   print the spec (docs/SPEC.md) generated from the op table
  export DIR [graphs]                    write golden vectors (the spec's correctly rounded answers)
  template DIR                           write the port template (port.py and its README) into DIR
  accuracy                               measure each engine's libm against correctly rounded -> docs/ACCURACY.json

Every entry runs in a worker process (also with -j 1): an engine that crashes (a segfault, an abort)
or hangs (a case over --timeout) makes that case ERROR, naming the signal or the limit; the worker is
restarted and the run goes on, every report written.

exit status: 0 every compared node agrees (declared differences and skips allowed; --strict: no
skips) and some node was compared, 1 a disagreement, an engine error, crash or timeout, an XPASS, or
nothing compared (every graph skipped), 2 a usage or setup error
(found before any graph runs), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

# The run that `python -m parity` and `python -m parity check-port` share: the command line, everything
# checked before any work (patterns, output paths, files, engines), the run and its report. Its docstring
# is the help of `python -m parity`.


import argparse
import math
import os
import shlex
import sys
import time

from .usage import USAGE_ERROR, UsageError, check_output_dir, check_output_file, select
from .workers import DEFAULT_TIMEOUT, run_all


# --- the command line ------------------------------------------------------------------------

def parser(prog="python -m parity", check_port=False):
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0] if not check_port else
                                "Run a port process against the golden vectors (protocol v1, docs/SPEC.md).",
                                epilog=None if check_port else __doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("graphs", nargs="*", help="entry names, their folders ('seed', 'pins') or globs ('seed/toy*'; 'edge/pow' is one entry, "
                        "'edge/pow*' also takes edge/pow_scalar); default all")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="leave out the entries matching PATTERN (name, folder or glob; repeatable)")
    if not check_port:
        p.add_argument("--engine", default="micrograd_ref", metavar="E", help="the engine checked (default micrograd_ref)")
        p.add_argument("--reference", default="torch", metavar="R", help="the engine it is checked against "
                       "(default torch; golden needs no torch)")
    else:
        p.add_argument("--name", help="what to call the port in reports (default: the name from its handshake)")
        p.add_argument("--engine", metavar="E", help="check this engine instead of a port command after --: "
                       "micrograd:MODULE (any engine with micrograd's API), or any other --engine name")
    p.add_argument("--golden", metavar="DIR", help="golden vectors directory for the golden engine "
                   "(default: the committed golden/, or the copy installed with the package)")
    p.add_argument("--op", action="append", default=[], metavar="NAME",
                   help="only the entries whose graphs use op NAME (repeatable: any of them), e.g. --op div; "
                        "the ops: " + ", ".join(_op_names()))
    p.add_argument("--level", action="append", default=[], metavar="NAME",
                   help="only the entries of level NAME (repeatable): core, edge, scale, training")
    p.add_argument("--list", action="store_true", help="list the entries (filtered by the graph patterns, --op and "
                   "--level) with their level, ops and the primitives their values round through, and exit")
    p.add_argument("--known-failures", metavar="FILE", help="TOML file of graphs expected to disagree "
                   "(XFAIL; one that agrees is XPASS and fails the run)")
    p.add_argument("--write-known-failures", metavar="FILE", help="write a known-failures file from this run: one "
                   "exact entry per failing case, with a reason to fill in (then run with --known-failures FILE); "
                   "every case is replayed again, and an entry whose bits vary is one nondeterministic entry")
    p.add_argument("--strict", action="store_true", help="a skipped graph fails the run")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds one case may take in either engine, a port's answer included (default "
                        f"{DEFAULT_TIMEOUT:g}; the slowest built-in case takes a few); a case over it is ERROR and "
                        f"its worker is restarted")
    p.add_argument("--tolerance", type=float, metavar="REL", help="judge every value within the relative "
                   "tolerance REL (math.isclose) instead of the exact level (bit for bit where IEEE allows, bounded "
                   "elsewhere); nan, inf and zero signs of data stay exact. For an engine that does not promise "
                   "torch's order of summing")
    p.add_argument("--python", metavar="PATH", help="run the micrograd:MODULE engine in this Python interpreter (3.8+, "
                   "the engine's own venv: nothing else needs installing there), over the line protocol")
    if not check_port:
        p.add_argument("--random", type=int, default=0, metavar="N",
                       help="also check N generated graphs drawn by hypothesis (a failure shrinks to a minimal "
                            "graph, printed as a runnable program)")
        p.add_argument("--seed", type=int, metavar="S", help="seed of --random (same seed, same graphs)")
    p.add_argument("--json", metavar="FILE", help="write a machine-readable report")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--html", metavar="FILE", help="write one self-contained HTML page of the run (the failing "
                   "graphs drawn, culprit marked)")
    if not check_port:
        p.add_argument("--dot", metavar="DIR", help="write a Graphviz drawing of each failing graph")
    p.add_argument("-q", "--quiet", action="store_true", help="only disagreements and the summary")
    p.add_argument("-j", "--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                   help="worker processes (default: the number of CPUs, at most 4; 1 runs in this process)")
    return p


def _op_names():
    from micrograd_ref.ops import OPS

    return [*OPS, "select"]


def list_entries(entries):
    """One line per entry: name, level, ops, and the primitives its values round through ("IEEE" when none:
    then every value is compared bit for bit by any two engines; elsewhere bit for bit only where both engines
    round those primitives correctly, within the entry's bound otherwise)."""
    w = max(len(e.name) for e in entries)
    print(f"{'entry':<{w}}  {'level':<8}  {'ops':<40}  {'rounds through':<22}  what it checks")
    for e in entries:
        print(f"{e.name:<{w}}  {e.level:<8}  {','.join(e.ops):<40}  {','.join(e.primitives) or 'IEEE':<22}  {e.doc}")
    return 0


def selected(catalogue, args):
    """The entry names the graph patterns, --exclude, --op and --level select (UsageError when one selects
    nothing)."""
    from .catalogue import LEVELS

    names = select(catalogue, args.graphs, exclude=args.exclude)
    for level in args.level:
        if level not in LEVELS:
            raise UsageError(f"--level {level}: no such level (the levels: {', '.join(LEVELS)})")
    for op in args.op:
        if op not in _op_names():
            raise UsageError(f"--op {op}: no such op (the ops: {', '.join(_op_names())})")
    if args.level:
        names = [n for n in names if catalogue[n].level in args.level]
    if args.op:
        names = [n for n in names if set(args.op) & set(catalogue[n].ops)]
    if not names:
        asked = " ".join([*args.graphs, *(f"--level {x}" for x in args.level), *(f"--op {x}" for x in args.op)])
        raise UsageError(f"no entry is selected by {asked} (--list shows the entries)")
    return names


def _engine(spec, args, python=None):
    from .engines import make
    from .engines.golden_engine import Golden

    if spec == "golden" and args.golden:
        return Golden(args.golden)
    return make(spec, timeout=args.timeout, python=python)


def prepare(args, engine=None):
    """Everything that can fail before a graph runs: patterns, paths, files, engines. Raises UsageError."""
    from . import expectations as exps
    from .catalogue import CATALOGUE
    from .engines import EngineUnavailable

    names = selected(CATALOGUE, args)
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise UsageError("--timeout takes S > 0 seconds")
    if args.tolerance is not None and not 0 < args.tolerance < 1:
        raise UsageError("--tolerance takes a relative tolerance REL with 0 < REL < 1 (e.g. 1e-9)")
    if args.random < 0:
        raise UsageError("--random takes N >= 0")
    if args.seed is not None and not args.random:
        raise UsageError("--seed chooses the graphs of --random N; give --random too")
    for opt in ("json", "junit", "html", "write_known_failures"):
        if getattr(args, opt):
            check_output_file(getattr(args, opt), "--" + opt.replace("_", "-"))
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
        eng = engine if engine is not None else _engine(args.engine, args, python=args.python)
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
    args.suite = "parity" if check_port_cmd is None else "check-port"
    if check_port_cmd is not None:
        args.reference, args.random, args.seed, args.dot = "golden", 0, None, None
    from .catalogue import CATALOGUE

    if args.list:
        try:
            return list_entries([CATALOGUE[n] for n in selected(CATALOGUE, args)])
        except UsageError as exc:
            return _usage(prog, exc)
    try:
        engine = None
        if check_port_cmd is not None and (args.engine is None or check_port_cmd):
            if args.engine is not None:
                raise UsageError("give the engine as --engine E or as a port command after --, not both")
            if not check_port_cmd:
                raise UsageError("no port command after -- (or give --engine micrograd:MODULE)")
            if args.python:
                raise UsageError("--python runs a micrograd:MODULE engine (--engine); a port command runs as given")
            from .engines.port_engine import Port

            engine = Port(check_port_cmd, timeout=args.timeout, name=args.name)
        entries, eng, ref, expectations = prepare(args, engine)
    except UsageError as exc:
        return _usage(prog, exc)
    if getattr(eng, "intro", ""):  # what the engine found when it started (micrograd:MODULE: the probe's line)
        print(eng.intro, flush=True)
    try:
        return _run(args, entries, eng, ref, expectations)
    finally:
        for x in (eng, ref):
            try:
                x.close()
            except Exception as exc:  # noqa: BLE001 (the candidate is never trusted, not even to close)
                print(f"parity: {x.name}.close() raised {type(exc).__name__}: {exc}", file=sys.stderr)


def _usage(prog, exc):
    print(f"{prog.split()[-1] if 'check-port' in prog else 'parity'}: {exc}", file=sys.stderr)
    return USAGE_ERROR


def _run(args, entries, eng, ref, expectations):
    from . import report

    t0 = time.perf_counter()
    results = run_all(entries, args.jobs, eng, ref, expectations, level=args.tolerance, timeout=args.timeout,
                      random=(args.random, args.seed or 0) if args.random else None,
                      replay_twice=bool(args.write_known_failures))
    gen = results[-1] if args.random else None
    seconds = time.perf_counter() - t0

    def reproducers():
        if gen is not None:
            for graph, tape, *_ in gen.failing_tapes[:1]:  # the minimal graph hypothesis shrank to
                print(f"\nReproduce {graph} (runnable micrograd_ref program):\n" + tape.to_python(graph))

    if args.dot:
        for path in report.write_dots(args.dot, results):
            print(f"wrote {path}")
    about = [{**_about(x), **({"grads": "leaves"} if getattr(x, "grads", "all") == "leaves" else {})}
             for x in (eng, ref)]
    if args.write_known_failures:
        _write_known_failures(args.write_known_failures, results[:len(entries)])
    status = report.emit(results, seconds, args.quiet, args.json, args.junit, engines=about,
                         expectations=expectations, strict=args.strict, after_failures=reproducers,
                         suite=args.suite)
    if args.html:
        from .report_html import write_html

        from .compare import level_name

        write_html(args.html, results, seconds, engines=about, expectations=expectations, strict=args.strict,
                   command=shlex.join(["python", "-m", "parity", *sys.argv[1:]]), status=status,
                   level=level_name(args.tolerance))
    return status


def _about(engine):
    try:
        about = engine.about()
        return dict(about) if isinstance(about, dict) else {"name": engine.name, "about": repr(about)[:200]}
    except Exception as exc:  # noqa: BLE001 (the candidate is never trusted)
        return {"name": engine.name, "about": f"about() raised {type(exc).__name__}: {exc}"}


def _write_known_failures(path, results):
    from .expectations import known_failures_toml

    text, n = known_failures_toml(results, "python -m parity " + " ".join(sys.argv[1:]))
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path}: {n} failing case(s), one entry each; fill in the reasons, then run with "
          f"--known-failures {path}")
