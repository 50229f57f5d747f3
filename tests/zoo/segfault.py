"""A micrograd-API engine that segfaults (a NULL read through ctypes, as a C extension with a bad pointer does) in backward() on any graph of 40 nodes or more; small graphs work."""

import ctypes

CRASH_AT = 40  # nodes


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._local = _local

    def __add__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),))

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
                    ctypes.string_at(0)  # SIGSEGV
        self.grad = 1.0
        for v in reversed(order):
            for p, local in zip(v._prev, v._local):
                p.grad += v.grad * local
