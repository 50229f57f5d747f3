"""Any engine behind the line protocol (protocol v1, docs/SPEC.md section 7): a port process made from an engine.

    python -m parity check-port -- python -m parity serve examples.micrograd_adapter:Micrograd

reads the runner's messages on stdin and answers on stdout: the handshake with the engine's
name, version and ops, then one answer per graph. An engine's error on a graph (micrograd's
RecursionError, its ZeroDivisionError) is that graph's {"error": ...}; the process keeps
serving. It exits 0 at end of input.
"""

import argparse
import json
import sys

PROTOCOL = 1


def serve(engine, stdin=sys.stdin, stdout=sys.stdout):
    from .engines import Graph
    from .golden import num, tape_from_nodes

    about = engine.about()
    hello = {"type": "hello", "protocol": PROTOCOL, "name": engine.name, "version": str(about.get("version", "0")),
             "language": "Python (parity serve)", "ops": sorted(engine.ops)}
    for line in stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as exc:
            answer = {"error": f"not a JSON line: {exc}"}
        else:
            if msg.get("type") == "start":
                answer = hello
            elif msg.get("type") != "graph":  # a line of another type is ignored (SPEC section 7)
                print(f"serve: ignoring a message of type {msg.get('type')!r}", file=sys.stderr)
                continue
            else:
                answer = {"id": msg.get("id")}
                try:
                    tape = tape_from_nodes(msg["nodes"], msg["output"])
                    out = engine.run(Graph(msg.get("name", ""), msg.get("case", ""), tape))
                    answer.update(data=[num(x) for x in out.data], grad=[num(x) for x in out.grad])
                except Exception as exc:  # the engine's failure on this graph: report it, keep serving
                    answer["error"] = f"{type(exc).__name__}: {exc}"
        stdout.write(json.dumps(answer, separators=(",", ":"), allow_nan=False) + "\n")
        stdout.flush()
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="python -m parity serve", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("engine", help="an engine as for --engine (micrograd_ref, torch, package.module:NAME, ...)")
    args = p.parse_args(argv)
    from .engines import EngineUnavailable, make

    try:
        engine = make(args.engine)
        engine.start()
    except EngineUnavailable as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    try:
        return serve(engine)
    finally:
        engine.close()
