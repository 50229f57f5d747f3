"""Gradients kept on leaves only: backward() sums every node's gradient in a dict and writes .grad on the leaves
alone (op nodes keep grad 0.0), as engines that free intermediate gradients do."""

import math


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._local = _local  # d out / d input, one per input

    def __add__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    def __sub__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        return Value(self.data - o.data, (self, o), (1.0, -1.0))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, o):
        return Value(o) - self

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
        grads = {id(self): 1.0}
        for v in reversed(order):
            g = grads.get(id(v), 0.0)
            for p, local in zip(v._prev, v._local):
                grads[id(p)] = grads.get(id(p), 0.0) + g * local
            if not v._prev:
                v.grad += g
