"""Planted bugs, one at a time, in an engine written the way ports are written: a list of nodes, an upstream sum
per node, a walk over the nodes the output depends on (examples/port_template/port.py, in process). Each bug
is a switch; without one the engine is the spec's (torch's) bit for bit. tests/test_culprits.py runs them and
checks that the first culprit names the bug.

The bugs are the ways engines and ports were measured to go wrong (issue 22): the walk (its order, nodes that
send too early, from outside the output's graph, to no leaf), the sum (+0.0 start, `=`, a restart at zero, a
masked zero share not sent, `.grad` added to +0.0), storage and output (float32, a saturating integer
conversion, no gradient kept on op nodes), a stale second backward(), two ops (a forward, a backward), and a
select kept as a node of its own rather than as the input it chose.
"""

import math
import struct
from collections import deque

from micrograd_ref.ops import OPS

from parity import spec_eval
from parity.engines import Engine, Replay
from parity.formulas import ENGINE, compiled

MASKED = ("relu", "maximum", "minimum")


def _f32(x):
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _saturate(x):
    """A double written through a 64-bit integer conversion where it is not a finite double below 2^63."""
    if x != x:
        return x
    return math.copysign(2.0 ** 63, x) if abs(x) >= 2.0 ** 63 else x


class Planted(Engine):
    name = "planted"

    def __init__(self, bug=None, route="in-process"):
        self.bug, self.route = bug, route
        self.name = f"planted ({bug})" if bug else "planted"
        if bug == "stale":
            self.promises = frozenset({"backward twice"})

    def forward(self, tape):
        data = []
        for n in tape.nodes:
            if n.op is None:
                data.append(n.data)
            elif n.op == "select":
                data.append(data[n.inputs[spec_eval.select_index(n.by, [data[i] for i in n.inputs], n.params)]])
            elif n.op == "tanh" and self.bug == "tanh forward":
                x = data[n.inputs[0]]
                e = math.exp(2 * x) if x < 300 else math.inf
                data.append(1.0 if e == math.inf else (e - 1) / (e + 1))
            else:
                data.append(compiled(OPS[n.op], ENGINE)[0](*(data[i] for i in n.inputs), *n.params))
        return data

    def shares(self, node, g, data):
        s = list(compiled(OPS[node.op], ENGINE)[1](g, data[node.id], *(data[i] for i in node.inputs), *node.params))
        if self.bug == "mul backward" and node.op == "mul":
            s[1] = -s[1]
        return s

    def run(self, graph):
        tape, bug = graph.tape, self.bug
        data = self.forward(tape)
        alias = spec_eval.aliases(tape, data)
        if bug == "select its own node":  # its own gradient, which it then sends whole to the input it chose
            chosen, alias = {i: alias[i] for i in range(len(alias))}, list(range(len(alias)))
        n = len(tape.nodes)
        out = alias[tape.output]
        reached, stack = {out}, [tape.output]
        while stack:
            for j in tape.nodes[stack.pop()].inputs:
                if alias[j] not in reached or j not in reached:
                    reached |= {j, alias[j]}
                    stack.append(j)
        canonical = [i for i in range(n) if alias[i] == i]
        if bug == "increasing order":
            order = sorted(i for i in canonical if i in reached)
        elif bug == "breadth-first once":
            order, seen, queue = [], {out}, deque([out])
            while queue:
                i = queue.popleft()
                order.append(i)
                for j in tape.nodes[i].inputs if tape.nodes[i].op else ():
                    if alias[j] not in seen:
                        seen.add(alias[j])
                        queue.append(alias[j])
        elif bug == "outside sends":
            order = sorted(canonical, reverse=True)
        else:
            order = sorted((i for i in canonical if i in reached), reverse=True)
        grad = [0.0] * n
        upstream = {out: 1.0}
        for i in order:
            node = tape.nodes[i]
            if bug in ("increasing order", "breadth-first once", "outside sends"):
                g = upstream.get(i, 0.0)  # what it holds now: C ports start every gradient at 0.0
            elif bug == "select its own node" and i not in upstream:
                continue  # an input the select did not choose: it received nothing
            else:
                g = upstream.pop(i)
            if bug == "grad added to +0.0":
                grad[i] = grad[i] + g
            elif bug != "leaves get none" or node.op is not None:
                grad[i] = grad[i] + g if grad[i] else g
            if node.op is None:
                continue
            if node.op == "select":  # (bug "select its own node" only: otherwise a select is never walked)
                upstream[chosen[i]] = upstream[chosen[i]] + g if chosen[i] in upstream else g
                continue
            for k, (j, s) in enumerate(zip(node.inputs, self.shares(node, g, data))):
                t = alias[j]
                if bug == "masked share not sent" and node.op in MASKED and s == 0.0:
                    continue
                if t not in upstream:
                    upstream[t] = 0.0 + s if bug == "sum from +0.0" else s
                elif bug == "= instead of +=":
                    upstream[t] = s
                elif bug == "restart at zero":
                    upstream[t] = upstream[t] + s if upstream[t] else s
                else:
                    upstream[t] = upstream[t] + s
        if bug in ("increasing order", "breadth-first once", "outside sends"):
            grad = [upstream.get(i, 0.0) for i in range(n)]  # a node's gradient is all it received, in the end
        grads = [grad[alias[i]] for i in range(n)]
        if bug == "float32":
            data, grads = [_f32(x) for x in data], [_f32(x) for x in grads]
        elif bug == "saturating output":
            data, grads = [_saturate(x) for x in data], [_saturate(x) for x in grads]
        elif bug == "no op gradients":
            grads = [g if tape.nodes[i].op is None else math.nan for i, g in enumerate(grads)]
        extra = {"grads_twice": [g + 2.0 * g for g in grads]} if bug == "stale" else {}
        return Replay(data, grads, extra)


BUGS = ["increasing order", "breadth-first once", "outside sends", "leaves get none", "grad added to +0.0",
        "masked share not sent", "sum from +0.0", "= instead of +=", "restart at zero", "float32",
        "saturating output", "no op gradients", "stale", "tanh forward", "mul backward", "select its own node"]
