"""Scalar autodiff spelled unlike micrograd: class Scalar, ReLU(), ln(), backwards(); no sigmoid, no
maximum/minimum; comparisons on data (so builtin max/min work)."""

import math


class Scalar:
    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._back = None

    def _out(self, data, children, back):
        out = Scalar(data, children)
        out._back = lambda: back(out.grad)
        return out

    def __add__(self, o):
        o = o if isinstance(o, Scalar) else Scalar(o)

        def back(g):
            self.grad += g
            o.grad += g
        return self._out(self.data + o.data, (self, o), back)

    def __mul__(self, o):
        o = o if isinstance(o, Scalar) else Scalar(o)

        def back(g):
            self.grad += g * o.data
            o.grad += g * self.data
        return self._out(self.data * o.data, (self, o), back)

    def __pow__(self, k):
        if isinstance(k, Scalar):
            out_data = self.data ** k.data

            def back(g):
                self.grad += g * k.data * self.data ** (k.data - 1)
                k.grad += g * out_data * math.log(self.data)
            return self._out(out_data, (self, k), back)

        def back1(g):
            self.grad += g * k * self.data ** (k - 1)
        return self._out(self.data ** k, (self,), back1)

    def __rpow__(self, o):
        return Scalar(o) ** self

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-o)

    def __rsub__(self, o):
        return Scalar(o) + (-self)

    def __truediv__(self, o):
        return self * (o if isinstance(o, Scalar) else Scalar(o)) ** -1.0

    def __rtruediv__(self, o):
        return Scalar(o) * self ** -1.0

    __radd__ = __add__
    __rmul__ = __mul__

    def ReLU(self):
        def back(g):
            self.grad += g * (self.data > 0)
        return self._out(max(self.data, 0.0), (self,), back)

    def tanh(self):
        t = math.tanh(self.data)

        def back(g):
            self.grad += g * (1 - t * t)
        return self._out(t, (self,), back)

    def exp(self):
        e = math.exp(self.data)

        def back(g):
            self.grad += g * e
        return self._out(e, (self,), back)

    def ln(self):
        def back(g):
            self.grad += g / self.data
        return self._out(math.log(self.data), (self,), back)

    def __lt__(self, o):
        return self.data < (o.data if isinstance(o, Scalar) else o)

    def __le__(self, o):
        return self.data <= (o.data if isinstance(o, Scalar) else o)

    def __gt__(self, o):
        return self.data > (o.data if isinstance(o, Scalar) else o)

    def __ge__(self, o):
        return self.data >= (o.data if isinstance(o, Scalar) else o)

    def backwards(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first topological order
            v, done = stack.pop()
            if done:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev if id(p) not in seen)
        self.grad = 1.0
        for v in reversed(order):
            if v._back is not None:
                v._back()
