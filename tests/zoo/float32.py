"""Data and gradients stored in float32 (rounded through struct, as a numpy.float32 engine would), returned as
Python floats: every op is there, and every value is off by float32's rounding."""

import math
import struct


def f32(x):
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = f32(float(data))
        self.grad = 0.0
        self._prev = _children
        self._local = _local

    @staticmethod
    def _v(o):
        return o if isinstance(o, Value) else Value(o)

    def __add__(self, o):
        o = self._v(o)
        return Value(self.data + o.data, (self, o), (1.0, 1.0))

    def __mul__(self, o):
        o = self._v(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    def __truediv__(self, o):
        o = self._v(o)
        return Value(self.data / o.data, (self, o), (1.0 / o.data, -self.data / (o.data * o.data)))

    def __pow__(self, k):
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-self._v(o))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, o):
        return self._v(o) - self

    def __rtruediv__(self, o):
        return self._v(o) / self

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),))

    def tanh(self):
        t = f32(math.tanh(self.data))
        return Value(t, (self,), (1.0 - t * t,))

    def exp(self):
        e = f32(math.exp(self.data))
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

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
                p.grad = f32(p.grad + f32(v.grad * local))
