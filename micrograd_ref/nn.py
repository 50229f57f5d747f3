"""A small neural-net library on Value, with the classic micrograd conventions.

Hidden layers use ReLU (or tanh, by choice), the last layer is linear; weights
and biases are drawn uniformly from [-1, 1] by a generator the model owns
(``random.Random(seed)`` unless another one with a ``uniform(a, b)`` method is
passed), in the order layer by layer, neuron by neuron, weights then bias.
Global random state is never touched.
"""

import random

from .engine import Value

ACTIVATIONS = ("relu", "tanh", "linear")


class Module:
    def parameters(self):
        return []

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    def __init__(self, nin, activation="relu", rng=None, name="N"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        rng = rng if rng is not None else random.Random()
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"{name}.w{i}") for i in range(nin)]
        self.b = Value(rng.uniform(-1.0, 1.0), label=f"{name}.b")
        self.activation = activation

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"neuron takes {len(self.w)} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)  # b + w0*x0 + w1*x1 + ...
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin, nout, activation="relu", rng=None, name="L"):
        rng = rng if rng is not None else random.Random()
        self.neurons = [Neuron(nin, activation, rng, name=f"{name}.N{j}") for j in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """MLP(nin, [h1, ..., nout]): hidden layers use `activation`, the last layer is linear."""

    def __init__(self, nin, nouts, seed=None, activation="relu", rng=None):
        if activation not in ("relu", "tanh"):
            raise ValueError(f"hidden activation must be 'relu' or 'tanh', got {activation!r}")
        if rng is None:
            rng = random.Random(seed)
        elif seed is not None:
            raise ValueError("pass seed or rng, not both")
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng, name=f"L{i}")
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
            if not isinstance(x, list):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def sgd_step(parameters, lr):
    """p.data -= lr * p.grad for each parameter (gradient descent; grads are left as they are)."""
    for p in parameters:
        p.data -= lr * p.grad
