"""Classic micrograd 0.1.0 as a parity engine, in process:

    python -m parity --engine examples.micrograd_adapter:Micrograd

An engine says which ops it has and replays a graph (a tape of leaves and op nodes);
graphs using other ops are SKIPPED. Errors are the engine's own (micrograd's backward
recurses: RecursionError on deep graphs; 1 / 0 raises ZeroDivisionError) and show as
that graph's ERROR, never as a crash of the harness. micrograd keeps a node's inputs in a
set, so the order in which it sums gradients follows memory addresses; the adapter walks
them in creation order instead, so that two runs give the same bits.
"""

import itertools
from importlib.metadata import version

from micrograd.engine import Value

from parity.engines import Engine, Replay, replay_tape


class Micrograd(Engine):
    name = "micrograd"
    # micrograd 0.1.0 has + - * / (as b ** -1), unary - (as a * -1), a ** number and relu
    ops = frozenset({"add", "sub", "mul", "div", "neg", "pow_scalar", "relu"})

    def run(self, graph):
        tape = graph.tape
        # each op through micrograd's own operators: a + b, a.relu(), a ** k, ...
        vals = replay_tape(tape, leaf=lambda x, label: Value(x), ns=None)
        _creation_order(vals[tape.output])
        vals[tape.output].backward()
        return Replay([float(v.data) for v in vals], [float(v.grad) for v in vals])

    def about(self):
        return {"name": self.name, "version": version("micrograd")}


_made = itertools.count()
_init = Value.__init__
Value.__init__ = lambda self, *args, **kw: (_init(self, *args, **kw), setattr(self, "_n", next(_made)))[0]


def _creation_order(root):
    stack, seen = [root], {id(root)}
    while stack:
        v = stack.pop()
        v._prev = sorted(v._prev, key=lambda p: p._n)  # a list: build_topo visits inputs in creation order
        for p in v._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
