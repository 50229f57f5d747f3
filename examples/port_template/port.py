#!/usr/bin/env python3
"""A minimal port written from docs/SPEC.md alone: start your own port from here.

Python 3.8+, standard library only (it does not use micrograd_ref). It speaks the
conformance protocol v1 (SPEC section 7) and implements two ops, `add` and `mul`;
it declares just those in its handshake, so the runner skips every graph that
needs another op. To grow it, add a row to OPS (forward and gradients, copied from
SPEC section 4) below the line "ADD ROWS HERE" and run the runner again: README.md,
section 2, has every row, op by op, select included, in the order to add them.

    python -m parity check-port -- python examples/port_template/port.py
"""

import json
import math
import sys

PROTOCOL = 1
NAME, VERSION, LANGUAGE = "port_template", "0.1.0", "Python"

# ---------------------------------------------------------------- SPEC section 4: ops
# name -> (forward(a, b), gradients(g, out, a, b) -> one gradient per input).
# For a unary op, take (a) and return [grad_a]; for pow_scalar the parameter k comes
# after the inputs. A bare 0 in the spec's formula is a masked gradient: return 0.0.
OPS = {
    "add": (lambda a, b: a + b, lambda g, out, a, b: [g, g]),
    "mul": (lambda a, b: a * b, lambda g, out, a, b: [g * b, g * a]),
}
# ADD ROWS HERE (README.md, section 2: one block per step, in order)


# ---------------------------------------------------------------- SPEC section 2: graphs
class Node:
    __slots__ = ("data", "grad", "op", "inputs", "params", "seq")
    made = 0  # creation order (SPEC section 3: backward runs nodes made later first)

    def __init__(self, data, op=None, inputs=(), params=()):
        self.data, self.grad, self.op, self.inputs, self.params = data, 0.0, op, inputs, params
        self.seq = Node.made
        Node.made += 1


def build(nodes):
    """The graph of a request's `nodes` (SPEC section 6: node i has "id": i, inputs < i)."""
    graph = []
    for i, spec in enumerate(nodes):
        if spec.get("id", i) != i:
            raise ValueError(f"node {i} has id {spec.get('id')}")
        if spec["op"] == "leaf":
            graph.append(Node(parse(spec["value"])))
            continue
        if spec["op"] not in OPS:
            raise ValueError(f"op {spec['op']!r} not implemented")
        inputs = []
        for j in spec["inputs"]:
            if not isinstance(j, int) or not 0 <= j < i:
                raise ValueError(f"node {i}: bad input {j!r}")
            inputs.append(graph[j])
        if spec["op"] == "select":  # SPEC section 2: not a new node but the chosen input itself
            choose = OPS["select"]  # choose(by, data, *params) -> the index of the chosen input
            graph.append(inputs[choose(spec["by"], [x.data for x in inputs], *spec.get("params", ()))])
            continue
        params = tuple(parse(p) for p in spec.get("params", ()))
        forward = OPS[spec["op"]][0]
        graph.append(Node(forward(*(x.data for x in inputs), *params), spec["op"], tuple(inputs), params))
    return graph


# ---------------------------------------------------------------- SPEC section 3: backward
def backward(output):
    seen, todo, order = {id(output)}, [output], []  # 1. every node the output depends on
    while todo:
        n = todo.pop()
        order.append(n)
        for x in n.inputs:
            if id(x) not in seen:
                seen.add(id(x))
                todo.append(x)
    order.sort(key=lambda n: n.seq, reverse=True)  # 2. made later first: consumers before their inputs
    upstream = {id(output): 1.0}  # the output's upstream gradient is 1.0
    for n in order:  # 3. add to grad, send each input its share, a's first
        g = upstream.pop(id(n))
        n.grad = n.grad + g if n.grad else g  # a zero grad takes g as is (-0.0 stays -0.0)
        if n.op is None:
            continue
        grads = OPS[n.op][1](g, n.data, *(x.data for x in n.inputs), *n.params)
        for x, gx in zip(n.inputs, grads):  # the first contribution as is, later ones added as they arrive
            upstream[id(x)] = upstream[id(x)] + gx if id(x) in upstream else gx


# ---------------------------------------------------------------- SPEC section 7: protocol
def parse(v):
    """A number of the wire: a JSON number, or "inf", "-inf", "nan"."""
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[v]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"not a number: {v!r}")
    return float(v)


def num(x):
    """A double for the wire: specials as strings (never bare NaN/Infinity)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def answer(request):
    graph = build(request["nodes"])
    out = request["output"]
    if not isinstance(out, int) or not 0 <= out < len(graph):
        raise ValueError(f"bad output {out!r}")
    backward(graph[out])
    return {"data": [num(n.data) for n in graph], "grad": [num(n.grad) for n in graph]}


def reply(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:  # one JSON object per line, until end of input
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg.get("type") == "start":
            # answer with the version we speak, whatever was asked; the runner decides
            reply({"type": "hello", "protocol": PROTOCOL, "name": NAME, "version": VERSION,
                   "language": LANGUAGE, "ops": list(OPS)})
        elif msg.get("type") == "graph":
            try:
                reply({"id": msg["id"], **answer(msg)})
            except Exception as exc:  # the graph's error; keep serving the next ones
                print(f"port_template: {msg.get('name')} [{msg.get('case')}]: {exc!r}", file=sys.stderr)
                reply({"id": msg.get("id"), "error": f"{type(exc).__name__}: {exc}"})
        else:
            print(f"port_template: ignoring a message of type {msg.get('type')!r}", file=sys.stderr)
    return 0  # end of input: exit 0


if __name__ == "__main__":
    sys.exit(main())
