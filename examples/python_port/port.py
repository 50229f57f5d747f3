"""micrograd_ref behind the conformance protocol v1 (docs/SPEC.md, section 7).

    python -m parity check-port -- python examples/python_port/port.py

Answers the runner's start message with a hello declaring every op of the table,
then reads one graph per line on stdin, replays it with micrograd_ref's public API,
runs backward() from the output and prints one line: the request's id and the data
and grad of every node. Exits 0 at end of input.
"""

import json
import math
import operator
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import micrograd_ref  # noqa: E402
from micrograd_ref import OPS, Value  # noqa: E402


def num(x):
    return "nan" if math.isnan(x) else ("inf" if x == math.inf else "-inf" if x == -math.inf else x)


def parse(v):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[v] if isinstance(v, str) else float(v)


COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def select(nodes, node, vals):
    """The select pseudo-op (SPEC section 2) as user code writes it: builtin max/min/sorted or a comparison on
    the Values (const inputs as plain numbers, max(z, 0.0)); the node is the chosen input itself."""
    args = [struct.unpack("<d", struct.pack("<d", parse(nodes[i]["value"])))[0] if nodes[i].get("const") else vals[i]
            for i in node["inputs"]]
    by = node["by"]
    if by == "max":
        r = max(*args)
    elif by == "min":
        r = min(*args)
    elif by == "sorted":
        r = sorted(args)[int(node["params"][0])]
    else:
        r = args[0] if COMPARE[by](args[0], args[1]) else args[1]
    return vals[node["inputs"][next(j for j, x in enumerate(args) if x is r)]]


def run(graph):
    vals = []
    for node in graph["nodes"]:
        if node["op"] == "leaf":
            vals.append(Value(parse(node["value"]), label=node.get("label", "")))
        elif node["op"] == "select":
            vals.append(select(graph["nodes"], node, vals))
        else:
            op = OPS[node["op"]]
            params = [parse(p) for p in node.get("params", [])]
            vals.append(op.call(micrograd_ref, *(vals[i] for i in node["inputs"]), *params))
    vals[graph["output"]].backward()
    return {"data": [num(v.data) for v in vals], "grad": [num(v.grad) for v in vals]}


HELLO = {"type": "hello", "protocol": 1, "name": "micrograd_ref", "version": micrograd_ref.__version__,
         "language": "Python", "ops": [*OPS, "select"]}  # select: SPEC section 2


def respond(msg):
    """The answer to one message, or None for a message that needs none."""
    if not isinstance(msg, dict):
        return {"error": f"expected a JSON object, got {type(msg).__name__}"}
    kind = msg.get("type")
    if kind == "start":
        return HELLO  # the version we speak, whatever was asked: the runner decides
    if kind != "graph":  # SPEC section 7: a line of any other type (or none) is ignored
        print(f"python_port: ignoring a message of type {kind!r}", file=sys.stderr)
        return None
    head = {"id": msg.get("id")}
    try:
        return {**head, **run(msg)}
    except Exception as exc:  # report, keep serving
        return {**head, "error": f"{type(exc).__name__}: {exc}"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = respond(json.loads(line))
        except ValueError as exc:
            answer = {"error": f"not a JSON line: {exc}"}
        if answer is not None:
            sys.stdout.write(json.dumps(answer, separators=(",", ":"), allow_nan=False) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
