"""HIPS autograd (on numpy, float64): every node's data and grad from autograd's own tracer and VJPs.

How a tape is replayed:

- Every op is autograd.numpy's own function in its natural spelling (``a + b``, ``a / b``, ``-a``,
  ``a ** b``, ``a ** k``, ``np.tanh``, ``np.exp``, ``np.log``, ``np.maximum``, ``np.minimum``); autograd
  has no relu and no sigmoid, so they are spelled as its own examples and docs spell them:
  relu as ``np.maximum(0.0, a)`` and sigmoid as ``autograd.scipy.special.expit`` (scipy's logistic,
  with autograd's VJP ``g * ans * (1 - ans)``).
- Intermediate gradients: autograd's ``grad`` returns only the gradient of its argument. The engine
  traces the replay itself (each leaf boxed on its own root node, one trace) and runs autograd's
  backward pass as ``autograd.core.backward_pass`` does (its ``toposort``, each node's ``vjp``, its
  ``add_outgrads``), keeping every node's summed outgrad: what torch's ``retain_grad()`` keeps. Nothing
  of our op table is used.
- Python's comparisons on autograd's boxes compare their values, so ``select`` graphs (builtin
  max/min/sorted) run.
"""

import importlib.util
import os

from .base import ALL_OPS, OPERATORS, Engine, EngineUnavailable, Replay, replay_tape

AUTOGRAD_MISSING = ("autograd is not installed in this Python; run `pip install 'micrograd_ref[frameworks]'` "
                    "(or `make test`, which installs it in .venv)")
DIFFERENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "autograd_differences.toml")


def op_functions(anp, expit):
    return {
        **OPERATORS,
        "relu": lambda a: anp.maximum(0.0, a),
        "tanh": anp.tanh,
        "exp": anp.exp,
        "log": anp.log,
        "sigmoid": expit,
        "maximum": anp.maximum,
        "minimum": anp.minimum,
    }


class Autograd(Engine):
    name = "autograd"
    correctly_rounded = frozenset()  # numpy's libm and autograd's own VJP formulas (tanh's is g / cosh**2): no primitive beyond + - * / is promised
    ops = ALL_OPS
    differences = DIFFERENCES

    def start(self):
        if importlib.util.find_spec("autograd") is None:
            raise EngineUnavailable(AUTOGRAD_MISSING)
        try:
            import autograd.numpy as anp
            from autograd import core, tracer
            from autograd.scipy.special import expit
        except ImportError as exc:
            raise EngineUnavailable(AUTOGRAD_MISSING.replace("is not installed in this Python",
                                               f"cannot be imported ({exc})")) from None
        import numpy

        self.np, self.core, self.tracer = numpy, core, tracer
        self.fns = op_functions(anp, expit)

    def run(self, graph):
        if not hasattr(self, "fns"):
            self.start()
        np, core, tracer, fns = self.np, self.core, self.tracer, self.fns
        tape = graph.tape
        with np.errstate(all="ignore"), tracer.trace_stack.new_trace() as trace:
            def leaf(x, label):  # every leaf its own root node of one trace: its outgrad is its gradient
                return tracer.new_box(np.float64(x), trace, core.VJPNode.new_root())

            vals = replay_tape(tape, leaf, call=lambda op, inputs, params: fns[op](*inputs, *params))
        out = vals[tape.output]
        data = [float(tracer.getval(v)) for v in vals]
        if not tracer.isbox(out):  # the output does not depend on any leaf
            return Replay(data, [0.0] * len(vals))
        with np.errstate(all="ignore"):  # inf and nan are values here, not warnings
            outgrads = self._backward_pass(out._node, core.vspace(tracer.getval(out)).ones())
        return Replay(data, [outgrads.get(v._node, 0.0) if tracer.isbox(v) else 0.0 for v in vals])

    def _backward_pass(self, end_node, g):
        """autograd.core.backward_pass, keeping the summed outgrad of every node instead of the last one only."""
        core, kept = self.core, {}
        outgrads = {end_node: (g, False)}
        for node in self.tracer.toposort(end_node):
            outgrad = outgrads.pop(node)
            kept[node] = float(outgrad[0])  # now: a later in-place sum must not change it
            for parent, ingrad in zip(node.parents, node.vjp(outgrad[0])):
                outgrads[parent] = core.add_outgrads(outgrads.get(parent), ingrad)
        return kept

    def about(self):
        if not hasattr(self, "fns"):
            self.start()
        from importlib.metadata import version

        return {"name": self.name, "version": version("autograd"), "numpy": self.np.__version__,
                "scipy": version("scipy"), "dtype": "float64 (numpy)", "platform": _numpy_platform(self.np)}


def _numpy_platform(np):
    """numpy's math library as numpy reports it: its CPU dispatch (baseline and found SIMD features)."""
    import platform

    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # another numpy layout: the machine only
        return platform.machine()
    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    return (f"{platform.machine()}; numpy SIMD baseline {' '.join(__cpu_baseline__)}; dispatched "
            f"{found[-1] if found else 'none'} (libm: the C library's, numpy's SIMD loops for exp/log)")
