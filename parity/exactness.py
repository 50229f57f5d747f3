"""Which values two engines must agree on bit for bit: derived from the ops, never declared by hand.

IEEE 754 basic operations (+ - * /), comparisons and the special-value conventions give the same bits on
every machine; the primitives an op rounds through (ops.PRIMITIVES: sqrt, fma, tanh, exp, ...) do only
where both engines compute them correctly rounded. Each engine says which it does on the platform it
runs on (``Engine.correctly_rounded``: micrograd_ref sqrt, rsqrt and fma; torch on MKL neither sqrt nor,
without AVX2, fma; the golden vectors all of them). So, over the primitives both engines round correctly:

- a node's **data** is exact when its op's forward rounds through none other (formulas.rounds) and its
  inputs' data are exact (a leaf's always is);
- its **gradient** is exact when every share it receives is: the consumer's own gradient is exact, the
  consumer's backward rounds through no other primitive, and the values its formula for that input reads
  (formulas.reads: out, a, b) are exact. A node that receives nothing keeps 0.0, exactly.

A select node (builtin max/min/sorted) is exact when all its candidates are: only then is the choice the
same in both engines.
"""

from dataclasses import dataclass

from micrograd_ref.ops import OPS, PRIMITIVES

from .formulas import reads, rounds
from .spec_eval import aliases

ALL = frozenset(PRIMITIVES)
# IEEE 754 requires these to be correctly rounded, like + - * /: an engine that follows the spec does.
SPEC_CORRECTLY_ROUNDED = frozenset({"sqrt", "rsqrt", "fma"})


@dataclass(frozen=True)
class Exactness:
    data: list  # data[i]: node i's data must agree bit for bit
    grad: list  # grad[i]: likewise its gradient

    @property
    def everywhere(self):
        return all(self.data) and all(self.grad)


def derive(tape, correctly_rounded, data, own_data=False):
    """Exactness of every node of tape when both engines round correctly exactly the primitives in
    correctly_rounded. data (the reference's) decides which input each select node chose. own_data: every
    value a backward reads is taken as exact (the engine's own values, for the own-values oracle)."""
    nodes = tape.nodes
    cr = frozenset(correctly_rounded)
    rows = {}  # (op, params) -> (forward exact, backward exact, what the backward reads)

    def row(n):
        key = (n.op, n.params)
        r = rows.get(key)
        if r is None:
            op = OPS[n.op]
            r = rows[key] = (rounds(op, n.params) <= cr, rounds(op, n.params, "backward") <= cr, reads(op))
        return r

    d_ok = []
    for n in nodes:
        if n.op is None:
            d_ok.append(True)
        elif n.op == "select":
            d_ok.append(all(d_ok[i] for i in n.inputs))
        else:
            d_ok.append(row(n)[0] and all(d_ok[i] for i in n.inputs))
    seen = [True] * len(nodes) if own_data else d_ok
    alias = aliases(tape, data)
    g_ok = [True] * len(nodes)
    for n in nodes:  # an unsure choice: its candidates' gradients are unsure
        if n.op == "select" and not d_ok[n.id] and not own_data:
            for i in n.inputs:
                g_ok[alias[i]] = False
    for i in range(tape.output, -1, -1):
        n = nodes[i]
        if n.op is None or n.op == "select":
            continue
        _, backward_ok, read = row(n)
        ins = n.inputs
        for j, values in zip(ins, read):
            ok = g_ok[i] and backward_ok
            for v in values:
                if ok and not seen[i if v == "out" else (ins[0] if v == "a" else ins[-1])]:
                    ok = False
            if not ok:
                g_ok[alias[j]] = False
    return Exactness(d_ok, [g_ok[alias[i]] for i in range(len(nodes))])


def uses(tape, primitives):
    """Whether any op of tape rounds through one of these primitives, forward or backward."""
    ps = frozenset(primitives)
    keys = {(n.op, n.params) for n in tape.nodes if n.op is not None and n.op != "select"}
    return any(rounds(OPS[op], params) & ps or rounds(OPS[op], params, "backward") & ps for op, params in keys)
