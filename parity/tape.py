"""Engine-neutral graphs: a Tape is a list of nodes, each a leaf or an op row of micrograd_ref.ops.

Graphs in the catalogue are written once, in ordinary Python, against ``Sym``
values that only *record* what is done to them. Every engine then replays the
recorded tape through its own public API (``Op.spelling``: ``a - b``,
``a.relu()``, ``ns.maximum(a, b)``), so a graph is never written twice and the
engine's operator dispatch is exercised as a user would exercise it.

A plain number used as an operand becomes a leaf node marked ``const`` (it is
a node in micrograd_ref too, and torch replays it as a leaf tensor), so every
node of both engines is compared. The exponent of ``v ** k`` is the one
exception: it is a parameter of the ``pow_scalar`` op, as in torch.
"""

import math
import numbers
from dataclasses import dataclass, field

from micrograd_ref.ops import OPS


@dataclass
class Node:
    id: int
    op: str | None  # None for a leaf
    inputs: tuple = ()
    params: tuple = ()
    label: str = ""
    data: float | None = None  # leaves only
    const: bool = False  # a leaf made from a plain number operand


@dataclass
class Tape:
    nodes: list = field(default_factory=list)
    output: int | None = None

    # -- recording ---------------------------------------------------------
    def leaf(self, data, label="", const=False):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"a leaf needs a real number, got {type(data).__name__}: {data!r}")
        node = Node(len(self.nodes), None, label=label, data=float(data), const=const)
        self.nodes.append(node)
        return Sym(self, node.id)

    def leaves(self, *pairs):
        """tape.leaves(('a', 2.0), ('b', -3.0)) -> Syms."""
        return [self.leaf(v, lab) for lab, v in pairs]

    def op(self, name, *inputs, params=(), label=""):
        spec = OPS[name]
        if len(inputs) != spec.arity or len(params) != len(spec.params):
            raise TypeError(f"{name} takes {spec.arity} inputs and {len(spec.params)} params")
        ids = tuple(self._sym(x).id for x in inputs)
        node = Node(len(self.nodes), name, ids, tuple(float(p) for p in params), label)
        self.nodes.append(node)
        return Sym(self, node.id)

    def _sym(self, x):
        if isinstance(x, Sym):
            if x.tape is not self:
                raise ValueError("a Sym from another tape")
            return x
        return self.leaf(x, "", const=True)

    # the module-level functions of the engine's API, spelled the same way
    def maximum(self, a, b):
        return self.op("maximum", a, b)

    def minimum(self, a, b):
        return self.op("minimum", a, b)

    # -- reading -----------------------------------------------------------
    def __len__(self):
        return len(self.nodes)

    def copy(self):
        """A snapshot: later changes to this tape's leaf data do not reach the copy."""
        return Tape([Node(**vars(n)) for n in self.nodes], self.output)

    def set_output(self, sym):
        self.output = self._sym(sym).id
        return self

    def name_of(self, i):
        node = self.nodes[i]
        what = node.op or ("const" if node.const else "leaf")
        return f"#{i} {node.label!r} ({what})" if node.label else f"#{i} ({what})"

    def evaluate(self, leaf_data=None):
        """Forward in plain floats with the op table's forward functions (the finite-difference oracle)."""
        leaf_data = leaf_data or {}
        vals = []
        for n in self.nodes:
            if n.op is None:
                vals.append(leaf_data.get(n.id, n.data))
            else:
                vals.append(OPS[n.op].forward(*(vals[i] for i in n.inputs), *n.params))
        return vals

    def to_python(self, name="graph"):
        """The tape as a runnable micrograd_ref program (printed for a failing generated graph)."""
        lines = [
            f"# {name}: {len(self.nodes)} nodes",
            "from math import inf, nan",
            "from micrograd_ref import Value, maximum, minimum",
            "",
        ]
        for n in self.nodes:
            if n.op is None:
                label = f", label={n.label!r}" if n.label else ""
                lines.append(f"n{n.id} = Value({_lit(n.data)}{label})")
            else:
                spec = OPS[n.op]
                env = dict(zip("ab", (f"n{i}" for i in n.inputs)))
                env.update(zip(spec.params, (_lit(p) for p in n.params)))
                text = spec.spelling.replace("ns.", "")
                expr = "".join(env.get(tok, tok) for tok in _tokens(text))
                lines.append(f"n{n.id} = {expr}")
                if n.label:
                    lines.append(f"n{n.id}.label = {n.label!r}")
        lines.append(f"n{self.output}.backward()")
        lines.append("for i, n in enumerate([" + ", ".join(f"n{n.id}" for n in self.nodes) + "]):")
        lines.append("    print(i, n.data, n.grad)")
        return "\n".join(lines) + "\n"


def _tokens(text):
    import re

    return re.findall(r"[A-Za-z_]\w*|\S|\s+", text)


def _lit(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


class Sym:
    """A recorded value: operators append nodes to its tape (mirrors micrograd_ref.Value's API)."""

    __slots__ = ("tape", "id")

    def __init__(self, tape, id):
        self.tape = tape
        self.id = id

    @property
    def node(self):
        return self.tape.nodes[self.id]

    def label(self, text):
        self.node.label = text
        return self

    def _other(self, x):
        return self.tape._sym(x)

    def __add__(self, o): return self.tape.op("add", self, self._other(o))
    def __radd__(self, o): return self.tape.op("add", self._other(o), self)
    def __sub__(self, o): return self.tape.op("sub", self, self._other(o))
    def __rsub__(self, o): return self.tape.op("sub", self._other(o), self)
    def __mul__(self, o): return self.tape.op("mul", self, self._other(o))
    def __rmul__(self, o): return self.tape.op("mul", self._other(o), self)
    def __truediv__(self, o): return self.tape.op("div", self, self._other(o))
    def __rtruediv__(self, o): return self.tape.op("div", self._other(o), self)
    def __neg__(self): return self.tape.op("neg", self)
    def __rpow__(self, o): return self.tape.op("pow", self._other(o), self)

    def __pow__(self, o):
        if isinstance(o, Sym):
            return self.tape.op("pow", self, o)
        return self.tape.op("pow_scalar", self, params=(o,))

    def relu(self): return self.tape.op("relu", self)
    def tanh(self): return self.tape.op("tanh", self)
    def exp(self): return self.tape.op("exp", self)
    def log(self): return self.tape.op("log", self)
    def sigmoid(self): return self.tape.op("sigmoid", self)
