"""tinygrad in float64 on its pure-Python device (PYTHON): every node's data and grad from tinygrad's autodiff.

Which device, and why: tinygrad 0.14's CPU device compiles every kernel with clang (``CC`` must be clang:
it passes ``--target=x86_64-none-unknown-elf``; even its LLVM and x86 renderers compile their device
programs with clang). This machine has gcc only, so the engine runs on tinygrad's ``PYTHON`` device, which
interprets the same kernels (tinygrad's own UOp graph, scheduler and gradient rules) in Python, with no
compiler: the numbers are tinygrad's (its own exp2/log2-based transcendental ops, its own rewrites).

How a tape is replayed:

- Every op is tinygrad's own on 0-d float64 tensors (``a + b``, ``a / b``, ``-a``, ``a ** b``, ``a ** k``,
  ``Tensor.relu``, ``tanh``, ``exp``, ``log``, ``sigmoid``, ``Tensor.maximum``, ``Tensor.minimum``).
- Leaves are slices of one realized buffer (not constants), so tinygrad cannot fold leaf values into
  kernels at graph-build time: what is measured is its kernels' arithmetic, as in a training step.
- Intermediate gradients: ``out.gradient(*every node)`` (tinygrad differentiates with respect to any
  tensor of the graph), realized together with the data in one schedule.
- ``select`` (builtin max/min/sorted on values) is not replayed: a tinygrad Tensor has no truth value
  (``bool(a < b)`` raises ``TypeError: __bool__ on Tensor is not defined``), so those pins/ graphs are SKIPPED.
"""

import importlib.util
import os

from .base import ALL_OPS, OPERATORS, Engine, EngineUnavailable, Replay, Unsupported, replay_tape

TINYGRAD_MISSING = ("tinygrad is not installed in this Python; run `pip install 'micrograd_ref[frameworks]'` "
                    "(or `make test`, which installs it in .venv)")
DIFFERENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tinygrad_differences.toml")
DEVICE = "PYTHON"


def op_functions():
    return {
        **OPERATORS,
        "relu": lambda a: a.relu(),
        "tanh": lambda a: a.tanh(),
        "exp": lambda a: a.exp(),
        "log": lambda a: a.log(),
        "sigmoid": lambda a: a.sigmoid(),
        "maximum": lambda a, b: a.maximum(b),
        "minimum": lambda a, b: a.minimum(b),
    }


class Tinygrad(Engine):
    name = "tinygrad"
    correctly_rounded = frozenset()  # tinygrad builds tanh, pow and sqrt from exp2/log2/sigmoid: no primitive beyond + - * / is correctly rounded
    ops = ALL_OPS - {"select"}  # bool(tensor) raises in tinygrad: Python's max/min/sorted cannot compare its values
    differences = DIFFERENCES
    # the pure-Python device is slow to schedule and interpret: the 358-node mlp/classic_3_4_4_1 took 24 s here
    # (about 70 ms a node), a 30-node generated graph 0.25 s; larger graphs are SKIPPED
    MAX_NODES = 200

    def start(self):
        if importlib.util.find_spec("tinygrad") is None:
            raise EngineUnavailable(TINYGRAD_MISSING)
        # tinygrad picks its default device from DEV when first imported; the gradient's own constants go there
        os.environ.setdefault("DEV", DEVICE)
        try:
            from tinygrad import Tensor, dtypes
        except ImportError as exc:
            raise EngineUnavailable(TINYGRAD_MISSING.replace("is not installed in this Python",
                                               f"cannot be imported ({exc})")) from None
        self.Tensor, self.f64 = Tensor, dtypes.float64
        self.fns = op_functions()

    def run(self, graph):
        if not hasattr(self, "fns"):
            self.start()
        Tensor, f64, fns = self.Tensor, self.f64, self.fns
        tape = graph.tape
        if len(tape.nodes) > self.MAX_NODES:
            raise Unsupported(f"{len(tape.nodes)} nodes: tinygrad on its pure-Python device (no clang here) took 24 s for "
                              f"the 358-node MLP (about 70 ms a node to schedule, interpret and differentiate); more "
                              f"than {self.MAX_NODES} nodes is over its budget")
        leaves = [n.data for n in tape.nodes if n.op is None]
        buf = Tensor(leaves, dtype=f64, device=DEVICE).realize()
        it = iter(range(len(leaves)))
        vals = replay_tape(tape, lambda x, label: buf[next(it)],
                           call=lambda op, inputs, params: fns[op](*inputs, *params))
        out = vals[tape.output]
        nodes = list({id(v): v for v in vals}.values())  # a select node is one of its inputs: ask once per tensor
        grads = out.gradient(*nodes)
        by_id = {id(v): g for v, g in zip(nodes, grads)}
        both = Tensor.stack(*vals, *(by_id[id(v)] for v in vals)).tolist()
        n = len(vals)
        return Replay(both[:n], both[n:])

    def about(self):
        if not hasattr(self, "fns"):
            self.start()
        from importlib.metadata import version
        import platform

        return {"name": self.name, "version": version("tinygrad"), "dtype": "float64",
                "platform": f"tinygrad's {DEVICE} device (kernels interpreted in Python; math: Python's float "
                            f"arithmetic and tinygrad's own transcendental rules) on {platform.machine()}"}
