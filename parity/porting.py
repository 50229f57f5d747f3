"""The porting kit's subcommands (python -m parity SUBCOMMAND --help for each).

  python -m parity spec                        the spec (docs/SPEC.md) generated from the op table
  python -m parity template DIR                the port template (port.py and its README) written into DIR
  python -m parity export DIR [graphs]         golden vectors of the catalogue (torch float64)
  python -m parity check-port [opts] [graphs] -- CMD ...
                                               a port process against the golden vectors: the same run as
                                               `python -m parity --engine port:CMD --reference golden`
  python -m parity check-port --engine micrograd:MODULE [--python PATH] [opts] [graphs]
                                               an engine with micrograd's API against the golden vectors
"""

import argparse
import sys


def main(argv):
    command, rest = argv[0], argv[1:]
    if command == "spec":
        p = argparse.ArgumentParser(prog="python -m parity spec",
                                    description="Print the spec (docs/SPEC.md), generated from the op table "
                                                "micrograd_ref/ops.py; `make spec` writes it to docs/SPEC.md.")
        p.parse_args(rest)
        from .spec import render

        sys.stdout.write(render())
        return 0
    if command == "export":
        return _export(rest)
    if command == "check-port":
        return _check_port(rest)
    if command == "conventions":
        from .conventions import main as conventions

        return conventions(rest)
    if command == "ports":
        from .ports import main as ports

        return ports(rest)
    if command == "frameworks":
        from .frameworks import main as frameworks

        return frameworks(rest)
    if command == "serve":
        from .serve import main as serve

        return serve(rest)
    if command == "accuracy":
        from .accuracy import main as accuracy

        return accuracy(rest)
    if command == "template":
        return _template(rest)
    raise AssertionError(command)


TEMPLATE_FILES = ("port.py", "README.md")


def _template(rest):
    p = argparse.ArgumentParser(prog="python -m parity template",
                                description="Write the port template (port.py, a two-op port to grow, and its README, "
                                            "'Port micrograd in an afternoon') into DIR, created if missing.")
    p.add_argument("directory", metavar="DIR")
    args = p.parse_args(rest)
    import os
    import shutil

    from .installed import template_dir
    from .usage import UsageError, check_output_dir

    source = template_dir()
    targets = [os.path.join(args.directory, f) for f in TEMPLATE_FILES]
    try:
        missing = [f for f in TEMPLATE_FILES if not os.path.exists(os.path.join(source, f))]
        if missing:
            raise UsageError(f"the port template is missing from this installation ({source}: no {missing[0]})")
        there = [t for t in targets if os.path.exists(t)]
        if there:
            raise UsageError(f"{there[0]} exists; choose another DIR (nothing is overwritten)")
        check_output_dir(args.directory, "DIR")
    except UsageError as exc:
        print(f"template: {exc}", file=sys.stderr)
        return 2
    os.makedirs(args.directory, exist_ok=True)
    for f, t in zip(TEMPLATE_FILES, targets):
        shutil.copyfile(os.path.join(source, f), t)
    print(f"wrote {targets[0]} and {targets[1]}; check it: python -m parity check-port -- "
          f"{sys.executable} {targets[0]}")
    return 0


def _export(rest):
    p = argparse.ArgumentParser(prog="python -m parity export",
                                description="Write the golden vectors (torch float64) of the catalogue to DIR.")
    p.add_argument("directory")
    p.add_argument("graphs", nargs="*")
    args = p.parse_args(rest)
    from .catalogue import CATALOGUE
    from .usage import UsageError, select
    from .engines import EngineUnavailable, import_torch
    from .golden import export

    try:
        names = select(CATALOGUE, args.graphs)
        import_torch()
    except (UsageError, EngineUnavailable) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    index = export(args.directory, set(names) if args.graphs else None)
    print(f"wrote {len(index['entries'])} entries, "
          f"{sum(e['nodes'] for e in index['entries'])} nodes to {args.directory}")
    return 0


CHECK_PORT_USAGE = ("usage: python -m parity check-port [options] [graphs ...] -- CMD [ARGS ...]\n"
                    "       python -m parity check-port --engine micrograd:MODULE [--python PATH] [options] [graphs ...]")


def _check_port(rest):
    from .run_command import run

    if rest and rest[0] in ("-h", "--help") and "--" not in rest:
        return run(["--help"], check_port_cmd=[])
    if "--list" in rest and "--" not in rest:  # listing the entries needs no port
        return run(rest, check_port_cmd=[])
    if "--" not in rest and any(a == "--engine" or a.startswith("--engine=") for a in rest):
        return run(rest, check_port_cmd=[])  # an engine by name (micrograd:MODULE) instead of a command
    if "--" not in rest:
        print(CHECK_PORT_USAGE + "\ncheck-port: the port command goes after -- (or give --engine micrograd:MODULE)",
              file=sys.stderr)
        return 2
    split = rest.index("--")
    return run(rest[:split], check_port_cmd=rest[split + 1:])
