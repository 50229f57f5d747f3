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

One pseudo-op is not a row of the op table: ``select`` records user code that picks
one of several values with Python's comparisons, ``max(y, z)``, ``min(z, 0)``,
``sorted([a, b, c])[k]`` and ``a if a < b else b`` (``Tape.max``, ``Tape.min``,
``Tape.sorted``, ``Tape.pick``). It makes no new node: its result *is* the chosen
input (the same node, data and gradient). Each engine's replay makes the choice
itself, with the builtin ``max``/``min``/``sorted`` or the comparison operator on its
own values (const inputs are passed as plain numbers, ``max(z, 0.0)``), so each
engine's comparison operators are what is tested; ``select_index`` is the same
choice on plain floats, as docs/SPEC.md states it for ports.
"""

import math
import numbers
import operator
import struct
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
    by: str = ""  # select only: "max", "min", "sorted" (params = (k,)) or a comparison "<", "<=", ">", ">="


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

    # builtin max/min/sorted and comparisons on values: the select pseudo-op (module docstring)
    def max(self, *args):
        """max(a, b, ...) as Python spells it: the first of the largest (a later value wins only if it is >)."""
        return self.select("max", *args)

    def min(self, *args):
        """min(a, b, ...): the first of the smallest (a later value wins only if it is <)."""
        return self.select("min", *args)

    def sorted(self, args, k):
        """sorted([a, b, ...])[k]: Python's stable sort by <."""
        return self.select("sorted", *args, params=(k,))

    def pick(self, a, cmp, b):
        """`a if a <cmp> b else b` for cmp in < <= > >=."""
        if cmp not in COMPARISONS:
            raise ValueError(f"pick compares with one of {sorted(COMPARISONS)}, got {cmp!r}")
        return self.select(cmp, a, b)

    def select(self, by, *args, params=()):
        if by not in SELECTS or len(args) < (1 if by == "sorted" else 2) or (by in COMPARISONS and len(args) != 2):
            raise TypeError(f"select {by!r} with {len(args)} arguments")
        ids = tuple(self._sym(x).id for x in args)
        node = Node(len(self.nodes), "select", ids, tuple(int(p) for p in params), by=by)
        self.nodes.append(node)
        return Sym(self, node.id)

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
            elif n.op == "select":
                vals.append(vals[n.inputs[select_index(n.by, [vals[i] for i in n.inputs], n.params)]])
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
                lines.append(f"n{n.id} = Value({literal(n.data)}{label})")
            elif n.op == "select":
                args = [literal(self.nodes[i].data) if self.nodes[i].const else f"n{i}" for i in n.inputs]
                lines.append(f"n{n.id} = {select_spelling(n.by, args, n.params)}")
            else:
                spec = OPS[n.op]
                env = dict(zip("ab", (f"n{i}" for i in n.inputs)))
                env.update(zip(spec.params, (literal(p) for p in n.params)))
                text = spec.spelling.replace("ns.", "")
                expr = "".join(env.get(tok, tok) for tok in _tokens(text))
                lines.append(f"n{n.id} = {expr}")
                if n.label:
                    lines.append(f"n{n.id}.label = {n.label!r}")
        lines.append(f"n{self.output}.backward()")
        lines.append("for i, n in enumerate([" + ", ".join(f"n{n.id}" for n in self.nodes) + "]):")
        lines.append("    print(i, n.data, n.grad)")
        return "\n".join(lines) + "\n"


COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
SELECTS = {"max", "min", "sorted", *COMPARISONS}


def select_index(by, xs, params=()):
    """Which argument a select picks, on plain floats (the spec's definition, Python's own semantics):
    max: the first argument, replaced by each later one that is > it; min: the same with <;
    sorted: index k of a stable sort by <; a comparison c: a if (a c b) else b."""
    if by == "max" or by == "min":
        best = 0
        for j in range(1, len(xs)):
            if (xs[j] > xs[best]) if by == "max" else (xs[j] < xs[best]):
                best = j
        return best
    if by == "sorted":
        order = list(range(len(xs)))
        for j in range(1, len(order)):  # insertion sort: stable, compares with < only
            i = j
            while i > 0 and xs[order[i]] < xs[order[i - 1]]:
                order[i], order[i - 1] = order[i - 1], order[i]
                i -= 1
        return order[int(params[0])]
    return 0 if COMPARISONS[by](xs[0], xs[1]) else 1


def select_spelling(by, args, params=()):
    if by in ("max", "min"):
        return f"{by}({', '.join(args)})"
    if by == "sorted":
        return f"sorted([{', '.join(args)}])[{int(params[0])}]"
    return f"{args[0]} if {args[0]} {by} {args[1]} else {args[1]}"


def replay_select(tape, node, vals):
    """An engine's own choice for a select node: the builtin (or comparison) applied to the engine's values
    (vals[i]; const inputs as fresh plain floats), mapped back to the chosen input's node by identity."""
    args = [_fresh(tape.nodes[i].data) if tape.nodes[i].const else vals[i] for i in node.inputs]
    by = node.by
    if by == "max":
        r = max(*args)
    elif by == "min":
        r = min(*args)
    elif by == "sorted":
        r = sorted(args)[int(node.params[0])]
    else:
        r = args[0] if COMPARISONS[by](args[0], args[1]) else args[1]
    j = next(j for j, x in enumerate(args) if x is r)
    return vals[node.inputs[j]]


def _fresh(x):
    """x as a float object of its own (the identity of the winner tells which argument won)."""
    return struct.unpack("<d", struct.pack("<d", x))[0]


def _tokens(text):
    import re

    return re.findall(r"[A-Za-z_]\w*|\S|\s+", text)


def literal(x):
    """x as Python source: repr of the double, or inf / -inf / nan (the names `from math import inf, nan` gives)."""
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
