"""Value: a scalar that records the graph of ops that made it, and backpropagates.

Every op's forward and backward live in ``ops.py``; this module only builds
nodes from that table and runs the one backward loop over them.
"""

import numbers

from . import ops as _ops
from .ops import OPS, Op


def _type_error(what, other):
    return TypeError(
        f"{what} needs a Value or a real number (int, float or numpy real scalar), "
        f"got {type(other).__name__}: {other!r}"
    )


def _as_float(x, what):
    """x as a Python float, or TypeError naming what was passed."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        # bool is an int in Python, but Value(True) is almost always a bug.
        raise _type_error(what, x)
    return float(x)


class Value:
    """A scalar node: data, grad, the op that made it and the nodes it was made from."""

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_params")
    __array_ufunc__ = None  # numpy scalars and arrays defer to Value's reflected operators

    def __init__(self, data, label="", _prev=(), _op=None, _params=()):
        self.data = data if type(data) is float else _as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._prev = _prev  # input nodes, in the op's argument order
        self._op = _op  # the ops.Op that made this node; None for a leaf
        self._params = _params  # plain-number op parameters (the k of v ** k)

    @property
    def op(self):
        """Name of the op that made this node ('' for a leaf)."""
        return self._op.name if self._op is not None else ""

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic: every operator is one row of the op table -----------------

    def __add__(self, other):
        return _apply2(_ops.ADD, self, other, "+")

    def __radd__(self, other):
        return _apply2(_ops.ADD, other, self, "+")

    def __sub__(self, other):
        return _apply2(_ops.SUB, self, other, "-")

    def __rsub__(self, other):
        return _apply2(_ops.SUB, other, self, "-")

    def __mul__(self, other):
        return _apply2(_ops.MUL, self, other, "*")

    def __rmul__(self, other):
        return _apply2(_ops.MUL, other, self, "*")

    def __truediv__(self, other):
        return _apply2(_ops.DIV, self, other, "/")

    def __rtruediv__(self, other):
        return _apply2(_ops.DIV, other, self, "/")

    def __pow__(self, other):
        if type(other) is Value or isinstance(other, Value):
            return _apply2(_ops.POW, self, other, "**")
        k = _as_float(other, "**")
        return Value(_ops.POW_SCALAR.forward(self.data, k), "", (self,), _ops.POW_SCALAR, (k,))

    def __rpow__(self, other):
        return _apply2(_ops.POW, other, self, "**")

    def __neg__(self):
        return _apply1(_ops.NEG, self)

    def relu(self):
        return _apply1(_ops.RELU, self)

    def tanh(self):
        return _apply1(_ops.TANH, self)

    def exp(self):
        return _apply1(_ops.EXP, self)

    def log(self):
        return _apply1(_ops.LOG, self)

    def sigmoid(self):
        return _apply1(_ops.SIGMOID, self)

    # -- comparisons by data, so builtin max()/min()/sorted() work on Values ---
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

    # -- reverse mode -----------------------------------------------------------

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
        retain_graph=True); use zero_grad() or set .grad = 0.0 in between to start over.
        """
        # Pass 1: for each node reachable from self, count the edges leading out of it
        # to other reachable nodes (its consumers).
        consumers = {}
        stack = [self]
        while stack:
            node = stack.pop()
            for parent in node._prev:
                key = id(parent)
                if key in consumers:
                    consumers[key] += 1
                else:
                    consumers[key] = 1
                    stack.append(parent)
        # Pass 2: a node is ready once every consumer has sent it its gradient.
        upstream = {id(self): 1.0}
        ready = [self]
        while ready:
            node = ready.pop()
            g = upstream.pop(id(node))
            node.grad += g
            op = node._op
            if op is None:
                continue
            parents = node._prev
            if len(parents) == 2:
                grads = op.backward(g, node.data, parents[0].data, parents[1].data)
            else:
                grads = op.backward(g, node.data, parents[0].data, *node._params)
            for parent, grad in zip(parents, grads):
                key = id(parent)
                if key in upstream:
                    upstream[key] += grad
                else:
                    upstream[key] = grad
                left = consumers[key] - 1
                consumers[key] = left
                if left == 0:
                    ready.append(parent)


def _data(x, what):
    if type(x) is Value or isinstance(x, Value):
        return x.data
    return _as_float(x, what)


def _value(x, what):
    """x as a node: Values pass through, numbers become constant leaves."""
    if isinstance(x, Value):
        return x
    return Value(_as_float(x, what))


def _apply1(op, a):
    return Value(op.forward(a.data), "", (a,), op)


def _apply2(op, a, b, what):
    if type(a) is not Value:
        a = _value(a, what)
    if type(b) is not Value:
        b = _value(b, what)
    return Value(op.forward(a.data, b.data), "", (a, b), op)


def maximum(a, b):
    """max(a, b) as a graph node; a and b may be Values or numbers. Ties split the gradient."""
    return _apply2(_ops.MAXIMUM, a, b, "maximum()")


def minimum(a, b):
    """min(a, b) as a graph node; a and b may be Values or numbers. Ties split the gradient."""
    return _apply2(_ops.MINIMUM, a, b, "minimum()")


def apply(op, *inputs, params=()):
    """Apply an op from the table by name or Op, e.g. apply('mul', a, b); inputs may be numbers."""
    if not isinstance(op, Op):
        op = OPS[op]
    nodes = tuple(_value(x, op.name) for x in inputs)
    if len(nodes) != op.arity or len(params) != len(op.params):
        raise TypeError(f"{op.name} takes {op.arity} input(s) and {len(op.params)} parameter(s)")
    params = tuple(_as_float(p, op.name) for p in params)
    return Value(op.forward(*(n.data for n in nodes), *params), "", nodes, op, params)
