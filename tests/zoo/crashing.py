"""The small micrograd-API engine the zoo's crashers share: it calls misbehave() in backward() once a graph has
CRASH_AT nodes; segfault.py, aborts.py and hangs.py say what misbehaving is. Not an engine to check by itself."""

CRASH_AT = 40  # nodes


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._local = _local

    def __add__(self, o):
        o = o if isinstance(o, Value) else type(self)(o)
        return type(self)(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, Value) else type(self)(o)
        return type(self)(self.data * o.data, (self, o), (o.data, self.data))

    def __neg__(self):
        return type(self)(-self.data, (self,), (-1.0,))

    def relu(self):
        return type(self)(max(self.data, 0.0), (self,), (float(self.data > 0),))

    def misbehave(self):
        """What a crasher does in backward() on a graph of CRASH_AT nodes or more (segfault, abort, hang)."""

    __radd__ = __add__
    __rmul__ = __mul__

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev if id(p) not in seen)
                if len(seen) >= CRASH_AT:
                    self.misbehave()
        self.grad = 1.0
        for v in reversed(order):
            for p, local in zip(v._prev, v._local):
                p.grad += v.grad * local
