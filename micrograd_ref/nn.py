"""A small neural-net library on Value, with micrograd's API and conventions.

``Neuron(nin, nonlin=True)``, ``Layer(nin, nout, **kwargs)`` and ``MLP(nin, nouts)``
are micrograd's: hidden layers ReLU, the last layer linear, parameters layer by layer,
neuron by neuron, weights then bias. Where the weights come from:

- no ``seed`` and no ``rng`` (micrograd's way): every weight from Python's global
  ``random.uniform(-1, 1)`` in micrograd's order, biases 0, so ``random.seed(1337)``
  followed by ``MLP(2, [16, 16, 1])`` builds micrograd's demo model, value for value;
- ``seed=`` or ``rng=`` (any object with a ``uniform(a, b)`` method, e.g.
  ``XorShift64Star``, which the parity catalogue uses): a generator the model owns
  draws each neuron's weights and then its bias uniformly in [-1, 1], and the global
  random state is never touched.

``bias="zero"`` or ``bias="uniform"`` chooses the biases explicitly (``"uniform"`` is the
lecture's ``Value(random.uniform(-1, 1))``; the default is ``"zero"`` without a generator
and ``"uniform"`` with one). ``activation="tanh"`` makes the hidden layers tanh.
"""

import random

from .engine import Value

ACTIVATIONS = ("relu", "tanh", "linear")
BIASES = ("zero", "uniform")


def _generator(seed, rng):
    """The weights' source: the rng given, a random.Random(seed), or the global random module."""
    if rng is not None:
        if seed is not None:
            raise ValueError("pass seed or rng, not both")
        return rng
    if seed is not None:
        return random.Random(seed)
    return random  # micrograd's random.uniform(-1, 1), from the global state


def _bias(bias, seed, rng):
    if bias is None:
        return "zero" if seed is None and rng is None else "uniform"
    if bias not in BIASES:
        raise ValueError(f"bias must be one of {BIASES}, got {bias!r}")
    return bias


class Module:
    def parameters(self):
        return []

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """Neuron(nin, nonlin=True) as micrograd: ReLU when nonlin, else linear;
    activation='relu'|'tanh'|'linear' chooses it by name instead."""

    def __init__(self, nin, nonlin=True, *, activation=None, rng=None, seed=None, bias=None, name="N"):
        if not isinstance(nonlin, bool):
            raise TypeError(
                f"Neuron(nin, nonlin=True): nonlin is a bool as in micrograd, got {nonlin!r}; "
                f"choose an activation by name with activation={nonlin!r}"
            )
        if activation is None:
            activation = "relu" if nonlin else "linear"
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        bias = _bias(bias, seed, rng)
        rng = _generator(seed, rng)
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"{name}.w{i}") for i in range(nin)]
        self.b = Value(rng.uniform(-1.0, 1.0) if bias == "uniform" else 0.0, label=f"{name}.b")
        self.activation = activation

    @property
    def nonlin(self):
        return self.activation != "linear"

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
        kind = {"relu": "ReLU", "tanh": "Tanh", "linear": "Linear"}[self.activation]
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """Layer(nin, nout, **kwargs) as micrograd: nout neurons, each Neuron(nin, **kwargs)."""

    def __init__(self, nin, nout, *, rng=None, seed=None, bias=None, name="L", **kwargs):
        bias = _bias(bias, seed, rng)
        rng = _generator(seed, rng)
        self.neurons = [Neuron(nin, rng=rng, bias=bias, name=f"{name}.N{j}", **kwargs) for j in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """MLP(nin, [h1, ..., nout]): hidden layers use `activation`, the last layer is linear."""

    def __init__(self, nin, nouts, seed=None, activation="relu", rng=None, *, bias=None):
        if activation not in ("relu", "tanh"):
            raise ValueError(f"hidden activation must be 'relu' or 'tanh', got {activation!r}")
        bias = _bias(bias, seed, rng)
        rng = _generator(seed, rng)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i < last else "linear", rng=rng, bias=bias,
                  name=f"L{i}")
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
