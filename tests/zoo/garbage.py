"""A micrograd-API engine that answers garbage on some inputs: v ** k computed with Python's ** (a negative base
and a fractional k give a complex data and grad), and relu's gradient at exactly 0 the string "undefined"."""


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = data
        self.grad = 0.0
        self._prev = _children
        self._local = _local

    def __add__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    def __pow__(self, k):
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0) if self.data != 0 else "undefined",))

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
        self.grad = 1.0
        for v in reversed(order):
            for p, local in zip(v._prev, v._local):
                p.grad = local if isinstance(local, str) else p.grad + v.grad * local
