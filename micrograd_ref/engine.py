"""Value: a scalar that records the graph of ops that made it, and backpropagates.

Every op's forward and backward live in ``ops.py``; this module only builds
nodes from that table and runs the one backward loop over them.

The public attributes are micrograd's: ``Value(data, _children=(), _op='', label='')``,
``data``, ``grad``, ``label``, ``_prev`` (the inputs) and ``_op`` (the op's symbol as
micrograd and the seed notes spell it: '+', '*', 'ReLU', 'tanh', '**2' ...). The op-table
row a node applies in backward is kept in ``_row``.
"""

import itertools
import numbers
import operator
import threading

from .ops import ADD, DIV, EXP, LOG, MAXIMUM, MINIMUM, MUL, NEG, OPS, POW, POW_SCALAR, RELU, SIGMOID, SUB, TANH, Op


def _type_error(what, other):
    return TypeError(
        f"{what} needs a Value or a real number (int, float or numpy real scalar), "
        f"got {type(other).__name__}: {other!r}"
    )


def _as_float(x, what):
    """x as a Python float, or TypeError naming what was passed."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        # bool is an int in Python, but Value(True) is almost always a bug.
        raise _type_error(what, x)
    return float(x)


class Value:
    """A scalar node: data, grad, the op that made it and the nodes it was made from."""

    # Inputs are two slots, not a tuple: one GC-tracked object per node instead of two
    # halves the garbage collector's work while a graph is built (see README, Performance).
    __slots__ = ("data", "grad", "label", "_op", "_row", "_a", "_b", "_up", "_seen", "_seq")
    __array_ufunc__ = None  # numpy scalars and arrays defer to Value's reflected operators

    def __init__(self, data, _children=(), _op="", label=""):
        # micrograd's signature. Value(x) and Value(x, label=...) make a leaf; nodes made by
        # this library's ops are built by _node() below, which sets the same slots.
        # Value(out, (a, b), 'op') is the lecture's way to add an op: see _custom() below.
        self.data = data if type(data) is float else _as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._op = _op  # the op's symbol ('' for a leaf), for drawings and micrograd's code
        self._row = None  # the ops.Op row backward applies (bound to k for v ** k); None for a leaf
        self._a = None  # first input node (None for a leaf)
        self._b = None  # second input node (None for a leaf or a one-input op)
        self._seen = 0  # backward's scratch: reached in the current backward()
        self._seq = _next_seq()  # creation order: backward runs later nodes first, as torch
        # (and _up, backward's other scratch slot: the gradient received so far, set by backward)
        if _children or type(_op) is not str or type(label) is not str:
            _custom(self, _children, _op, label)

    @property
    def op(self):
        """Name of the op-table op that made this node ('' for a leaf, 'custom' for a node made
        with Value(data, _children, _op) and a _backward closure)."""
        return self._row.name if self._a is not None else ""

    @property
    def _prev(self):
        """The input nodes, in the op's argument order."""
        if self._b is not None:
            return (self._a, self._b)
        return (self._a,) if self._a is not None else ()

    @property
    def params(self):
        """Plain-number parameters of the op (the k of v ** k), else ()."""
        return self._row.args if self._row is not None else ()

    @property
    def _backward(self):
        """micrograd's per-node backward step: add this node's share of self.grad to each
        input's .grad. backward() does not need it; it is there for code written against
        micrograd that walks the graph itself (`for v in reversed(topo): v._backward()`)."""
        row = self._row
        if isinstance(row, CustomRow):
            return row.fn if row.fn is not None else row.missing
        if self._a is None:
            return _no_backward
        return lambda: _step(self)

    @_backward.setter
    def _backward(self, fn):
        # out._backward = closure: the lecture's way to add an op (see CustomRow)
        if not callable(fn):
            raise TypeError(f"_backward must be a function of no arguments, got {type(fn).__name__}")
        row = self._row
        if isinstance(row, CustomRow):
            row.fn = fn
        else:
            self._row = CustomRow(self, fn)

    # -- pickle and copy.deepcopy: flat, so a 200,000-node chain does not recurse ------

    def __reduce_ex__(self, protocol):
        state = (self.data, self.grad, self.label, self._op, self._row, self._a, self._b, self._seq)
        if self._a is None or _PICKLE_PLAIN.pop(id(self), False):
            return _blank, (), state
        # Pickle and deepcopy recurse into each object's inputs, so a deep graph would hit
        # the recursion limit. This node's ancestors go first, each after its own inputs,
        # marked to save themselves plainly: every input is then already in the pickler's
        # memo when a node is saved. Identity is kept: a node shared with other pickled
        # objects (a parameter) is one object after loading.
        ancestors = _ancestors(self)
        _PICKLE_PLAIN.clear()  # a previous pickle's leftovers (nodes already in its memo)
        _PICKLE_PLAIN.update(dict.fromkeys(map(id, ancestors), True))
        return _blank, (ancestors,), state

    def __setstate__(self, state):
        self.data, self.grad, self.label, self._op, self._row, self._a, self._b = state[:7]
        # a restored node keeps its place in creation order (pickles from before _seq get a new one)
        self._seq = _restore_seq(state[7]) if len(state) > 7 else _next_seq()
        self._seen = 0

    def __copy__(self):
        # copy.copy: a new node over the same inputs (no ancestor list needed)
        node = _new(Value)
        node.__setstate__((self.data, self.grad, self.label, self._op, self._row, self._a, self._b))  # made now
        return node

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic: every operator applies one row of the op table ------------------
    # (spelled out per operator, without a generic helper: this is the engine's hot path)

    def __add__(self, other):
        if type(other) is not Value:
            other = _value(other, "+")
        return _node(ADD.forward(self.data, other.data), ADD, self, other)

    def __radd__(self, other):
        other = _value(other, "+")
        return _node(ADD.forward(other.data, self.data), ADD, other, self)

    def __sub__(self, other):
        if type(other) is not Value:
            other = _value(other, "-")
        return _node(SUB.forward(self.data, other.data), SUB, self, other)

    def __rsub__(self, other):
        other = _value(other, "-")
        return _node(SUB.forward(other.data, self.data), SUB, other, self)

    def __mul__(self, other):
        if type(other) is not Value:
            other = _value(other, "*")
        return _node(MUL.forward(self.data, other.data), MUL, self, other)

    def __rmul__(self, other):
        other = _value(other, "*")
        return _node(MUL.forward(other.data, self.data), MUL, other, self)

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _value(other, "/")
        return _node(DIV.forward(self.data, other.data), DIV, self, other)

    def __rtruediv__(self, other):
        other = _value(other, "/")
        return _node(DIV.forward(other.data, self.data), DIV, other, self)

    def __pow__(self, other):
        if isinstance(other, Value):
            return _node(POW.forward(self.data, other.data), POW, self, other)
        op = POW_SCALAR.bind(_as_float(other, "**"))  # v ** 2: the exponent is a parameter, not a node
        return _node(op.forward(self.data), op, self)

    def __rpow__(self, other):
        other = _value(other, "**")
        return _node(POW.forward(other.data, self.data), POW, other, self)

    def __neg__(self):
        return _node(NEG.forward(self.data), NEG, self)

    def relu(self):
        return _node(RELU.forward(self.data), RELU, self)

    def tanh(self):
        return _node(TANH.forward(self.data), TANH, self)

    def exp(self):
        return _node(EXP.forward(self.data), EXP, self)

    def log(self):
        return _node(LOG.forward(self.data), LOG, self)

    def sigmoid(self):
        return _node(SIGMOID.forward(self.data), SIGMOID, self)

    # -- comparisons by data, so builtin max()/min()/sorted() work on Values ---------
    # (== stays identity: nodes are hashable and used as dict keys)

    def __lt__(self, other):
        return self.data < _data(other, "<")

    def __le__(self, other):
        return self.data <= _data(other, "<=")

    def __gt__(self, other):
        return self.data > _data(other, ">")

    def __ge__(self, other):
        return self.data >= _data(other, ">=")

    __hash__ = object.__hash__

    # -- reverse mode ---------------------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to node.grad for every node self depends on.

        The seed gradient of self is 1.0. Gradients are summed over every path
        (a node used twice receives both contributions) and a node passes its
        gradient to its inputs only once all of its consumers have reported,
        i.e. in reverse topological order. The walk is iterative (no recursion
        limit) and depends only on the graph's structure and each node's input
        order, never on memory addresses, so results are bit-identical across
        runs. Each call adds freshly computed gradients to .grad, so calling
        backward() twice adds exactly twice the gradients (like torch with
        retain_graph=True); set .grad = 0.0 (Module.zero_grad()) to start over.
        """
        # Outside backward() every node's _seen is 0 (it ends at 0 when a node has
        # received from all its consumers, and is reset if an op raises midway).
        # The walk keeps its scratch (_seen, _up) in the nodes, and adds to .grad with a
        # read-modify-write: two walks through shared nodes at once would corrupt both.
        # One lock serializes every backward() in the process, reset included, so
        # concurrent calls give exactly what the same calls give one after another.
        with _backward_lock:
            try:
                _propagate(self)
            except BaseException:
                _reset(self)
                raise


# Held for the whole of each backward() (see Value.backward). Costs one acquire and release per call
# (well under a microsecond; bench/RESULTS.md, "Backward lock"). Not reentrant: no op's backward calls backward().
_backward_lock = threading.Lock()


def _propagate(root):
    # torch's order (docs/SPEC.md, section 3): every node root depends on sends its gradient once all its
    # consumers have sent theirs, nodes made later first. Since a node is always made after its inputs,
    # that is simply every reachable op node in decreasing order of creation (_seq), which is what torch's
    # autograd does: of the nodes ready to run, it runs the one created last. A node's contributions are
    # summed in the order they arrive, the first taken as is (not added to +0.0), as torch's input buffer.
    #
    # Pass 1: reach every node root depends on, once each; nothing received yet (_up None).
    root._seen = 1
    root._up = 1.0
    order, leaves = [root], []
    stack = [root]
    push, pop, keep, keep_leaf = stack.append, stack.pop, order.append, leaves.append
    while stack:
        node = pop()
        p = node._a
        if p is not None and not p._seen:
            p._seen = 1
            p._up = None
            if p._a is not None:
                push(p)
                keep(p)
            else:
                keep_leaf(p)
        p = node._b
        if p is not None and not p._seen:
            p._seen = 1
            p._up = None
            if p._a is not None:
                push(p)
                keep(p)
            else:
                keep_leaf(p)
    if root._a is None:
        order, leaves = [], [root]
    order.sort(key=_creation, reverse=True)
    # Pass 2: each op node, latest first, adds what it received to .grad and sends each input its
    # share (ops.py), a's before b's. A .grad of 0.0 takes the gradient as is, as torch's .grad of None.
    for node in order:
        node._seen = 0
        g = node._up
        gr = node.grad
        node.grad = gr + g if gr else g
        a = node._a
        b = node._b
        if b is not None:
            ga, gb = node._row.backward(g, node.data, a.data, b.data)
            u = a._up
            a._up = ga if u is None else u + ga
            u = b._up
            b._up = gb if u is None else u + gb
        else:
            (ga,) = node._row.backward(g, node.data, a.data)
            u = a._up
            a._up = ga if u is None else u + ga
    for node in leaves:
        node._seen = 0
        g = node._up
        gr = node.grad
        node.grad = gr + g if gr else g


_creation = operator.attrgetter("_seq")

# Creation order: each node's _seq, from one process-wide counter (itertools.count is atomic under the GIL).
# A node restored from a pickle keeps its _seq, and the counter moves past it, so nodes made afterwards
# still come later (_restore_seq).
_next_seq = itertools.count().__next__


def _restore_seq(seq):
    global _next_seq
    if _next_seq() <= seq:
        _next_seq = itertools.count(seq + 1).__next__
    return seq


def _reset(root):
    stack, done = [root], {id(root)}
    while stack:
        node = stack.pop()
        node._seen = 0
        for parent in node._prev:
            if id(parent) not in done:
                done.add(id(parent))
                stack.append(parent)


class CustomRow:
    """The backward of a node made the lecture's way, instead of an op-table row:

        out = Value(t, (x,), 'tanh')
        def _backward():
            x.grad += (1 - t ** 2) * out.grad
        out._backward = _backward

    backward() calls the closure with out.grad set to the gradient out received in this
    backward() and each input's .grad set to 0.0, reads what the closure added to each
    input, and restores every .grad: so the closure's gradients join the engine's sums
    like an op-table row's (a node used twice still receives both contributions, and
    backward() twice still adds twice). The closure may only touch out and its inputs.
    """

    __slots__ = ("node", "fn")
    name = "custom"
    args = ()

    def __init__(self, node, fn=None):
        self.node = node
        self.fn = fn  # the assigned out._backward, or None while there is none

    @property
    def symbol(self):
        return self.node._op

    def missing(self):
        node = self.node
        what = repr(node.label or node._op or node)
        raise RuntimeError(
            f"backward(): node {what} was made with Value(data, _children, _op) and has no _backward. "
            "Assign one as the lecture does (out._backward = a function adding to each input's .grad, "
            "reading out.grad), or add the op to micrograd_ref's op table (README: 'Adding an op')."
        )

    def backward(self, g, out, *inputs):
        node, fn = self.node, self.fn
        if fn is None:
            self.missing()
        a, b = node._a, node._b
        saved = (node.grad, a.grad, b.grad if b is not None else 0.0)
        node.grad = g
        a.grad = 0.0
        if b is not None:
            b.grad = 0.0
        try:
            fn()
            ga = a.grad
            gb = 0.0 if b is a else (b.grad if b is not None else 0.0)  # x * x: one node, both shares in a
        finally:
            node.grad = saved[0]
            if b is not None:
                b.grad = saved[2]
            a.grad = saved[1]
        return (ga, gb) if b is not None else (ga,)

    def __reduce__(self):
        if self.fn is not None:
            _PICKLE_PLAIN.clear()  # this pickle stops here: forget its ancestor list
            raise TypeError(
                f"cannot pickle or deep-copy node {self.node.label or self.node._op!r}: its _backward is a closure "
                "over the original nodes; build the graph from micrograd_ref's ops to pickle or copy it"
            )
        return CustomRow, (self.node,)


def _custom(node, children, op, label):
    """Value(data, _children, _op, label): check the arguments, link the inputs."""
    if isinstance(children, str):
        raise TypeError(
            f"Value(data, _children=(), _op='', label=''): the second argument is the node's inputs, as in "
            f"micrograd, not a label; got the string {children!r}. Pass a label by keyword: "
            f"Value({node.data!r}, label={children!r})"
        )
    if type(op) is not str:
        raise TypeError(f"Value(): _op is the op's symbol, a string such as '*', got {type(op).__name__}: {op!r}")
    try:
        children = tuple(children)
    except TypeError:
        raise TypeError(f"Value(): _children must be a tuple of Values, got {type(children).__name__}") from None
    for c in children:
        if not isinstance(c, Value):
            raise TypeError(f"Value(): _children must be Values, got {type(c).__name__}: {c!r}")
    if len(children) > 2:
        raise ValueError(
            f"Value(): a node here has at most two inputs, got {len(children)}; "
            "build the op from two-input ops, or add it to the op table (README: 'Adding an op')"
        )
    if children:
        node._a = children[0]
        node._b = children[1] if len(children) == 2 else None
        node._row = CustomRow(node)


def _no_backward():
    return None


def _step(node):
    """micrograd's node._backward() for an op-table node: inputs' .grad += share of node.grad."""
    a, b = node._a, node._b
    if b is None:
        (ga,) = node._row.backward(node.grad, node.data, a.data)
        a.grad += ga
    else:
        ga, gb = node._row.backward(node.grad, node.data, a.data, b.data)
        a.grad += ga
        b.grad += gb


def _ancestors(root):
    """Every node root depends on, root excluded, each after its inputs (iterative)."""
    order, visited = [], {id(root)}
    stack = [(root, True)]
    for p in (root._b, root._a):
        if p is not None:
            stack.append((p, False))
    push, pop = stack.append, stack.pop
    while stack:
        node, done = pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        push((node, True))
        for p in (node._b, node._a):
            if p is not None and id(p) not in visited:
                push((p, False))
    order.pop()  # root, finished last
    order.append(_EndOfAncestors())
    return order


# ids of nodes to pickle plainly: the ancestors of the node being pickled (see __reduce_ex__).
# Not thread-safe in the sense that two threads pickling at once may pickle deeper than
# needed; the pickled graph is the same either way.
_PICKLE_PLAIN = {}


class _EndOfAncestors:
    """Last item of a pickled ancestor list: pickling it means the list is done."""

    __slots__ = ()

    def __reduce__(self):
        _PICKLE_PLAIN.clear()
        return _no_backward, ()


def _blank(*_ancestors):
    # unpickling: the ancestors were restored before this node (the argument is only there
    # to make pickle save them first); __setstate__ fills the slots
    return _new(Value)


_new = object.__new__


def _node(data, op, a, b=None):
    """A node made by an op from its inputs' data: Value() without the argument checks
    (an op's forward always returns a float), the engine's most frequent call."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op.symbol
    node._row = op
    node._a = a
    node._b = b
    node._seen = 0
    node._seq = _next_seq()
    return node


def _data(x, what):
    if isinstance(x, Value):
        return x.data
    return _as_float(x, what)


def _value(x, what):
    """x as a node: Values pass through, numbers become constant leaves."""
    if isinstance(x, Value):
        return x
    return Value(_as_float(x, what))


def maximum(a, b):
    """max(a, b) as a graph node; a and b may be Values or numbers. Ties split the gradient."""
    a, b = _value(a, "maximum()"), _value(b, "maximum()")
    return _node(MAXIMUM.forward(a.data, b.data), MAXIMUM, a, b)


def minimum(a, b):
    """min(a, b) as a graph node; a and b may be Values or numbers. Ties split the gradient."""
    a, b = _value(a, "minimum()"), _value(b, "minimum()")
    return _node(MINIMUM.forward(a.data, b.data), MINIMUM, a, b)


def apply(op, *inputs, params=()):
    """Apply an op from the table by name or Op, e.g. apply('mul', a, b); inputs may be numbers."""
    if not isinstance(op, Op):
        op = OPS[op]
    if len(inputs) != op.arity or len(params) != len(op.params):
        raise TypeError(
            f"{op.name} takes {op.arity} input(s) and {len(op.params)} parameter(s), "
            f"got {len(inputs)} input(s) and {len(params)} parameter(s)"
        )
    nodes = tuple(_value(x, op.name) for x in inputs)
    if params:
        op = op.bind(*(_as_float(p, op.name) for p in params))
    return _node(op.forward(*(n.data for n in nodes)), op, *nodes)
