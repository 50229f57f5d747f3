"""Random DAGs over every op, with shared subexpressions and reused nodes.

One generator, two sources of choices: a seeded XorShift64Star (``python -m
parity --random N --seed S`` and the exported golden vectors; portable, see
docs/SPEC.md) or hypothesis (the test suite; a failure shrinks to a minimal
graph, printed as runnable Python).
"""

import math

from micrograd_ref.ops import OPS
from micrograd_ref.rng import XorShift64Star

from .tape import Tape

OP_NAMES = sorted(OPS)
SPECIAL = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.inf, -math.inf, math.nan, 1000.0, -1000.0)
EXPONENTS = (0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.5, -1.5)


class RngChooser:
    def __init__(self, seed):
        self.rng = XorShift64Star(seed)

    def below(self, n):
        return self.rng.below(n)

    def ordinary(self):
        # a "round" ordinary value, k/8 in [-3, 3], so ties and exact zeros happen too
        return (self.rng.below(49) - 24) / 8.0


class HypothesisChooser:
    """Choices drawn by hypothesis (from st.data() or a composite's draw), so failures shrink."""

    def __init__(self, data):
        from hypothesis import strategies as st

        self.draw = data.draw if hasattr(data, "draw") else data
        self.st = st

    def below(self, n):
        return self.draw(self.st.integers(0, n - 1))

    def ordinary(self):
        return (self.draw(self.st.integers(0, 48)) - 24) / 8.0


def hypothesis_search(examples, seed, check):
    """Draw up to `examples` graphs with hypothesis, seeded; check(tape) returns a result with .ok.

    Returns (graphs checked, None) when all pass, else (graphs checked, (tape, result)) for
    the minimal failing graph hypothesis shrank the first failure to.
    """
    from hypothesis import HealthCheck, given, settings, strategies as st
    from hypothesis import seed as seeded

    @st.composite
    def tapes(draw):
        return random_tape(HypothesisChooser(draw))

    seen = {"n": 0, "fail": None}

    @seeded(seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(tapes())
    def prop(tape):
        seen["n"] += 1
        res = check(tape)
        if not res.ok:
            seen["fail"] = (tape, res)  # the last failing call is hypothesis's minimal example
            raise AssertionError("mismatch")

    try:
        prop()
    except AssertionError:
        pass
    return seen["n"], seen["fail"]


def random_tape(choose, max_leaves=5, max_ops=12, specials=True):
    """Draw a DAG: leaves (ordinary values, sometimes special ones), then ops whose inputs
    are any earlier nodes (so nodes are reused), then a weighted sum of all unused nodes."""
    tape = Tape()
    syms = []
    for i in range(1 + choose.below(max_leaves)):
        x = SPECIAL[choose.below(len(SPECIAL))] if specials and choose.below(4) == 0 else choose.ordinary()
        syms.append(tape.leaf(x, f"x{i}"))
    for _ in range(1 + choose.below(max_ops)):
        op = OPS[OP_NAMES[choose.below(len(OP_NAMES))]]
        # favour recent nodes (depth) but allow any earlier one (sharing)
        ins = [syms[-1 - choose.below(min(len(syms), 4))] if choose.below(2) else syms[choose.below(len(syms))]
               for _ in range(op.arity)]
        params = [EXPONENTS[choose.below(len(EXPONENTS))] for _ in op.params]
        syms.append(tape.op(op.name, *ins, params=params))
    used = {i for n in tape.nodes for i in n.inputs}
    sinks = [s for s in syms if s.id not in used]
    root = sinks[0]
    for k, s in enumerate(sinks[1:], 1):
        root = root + s * (1.0 + k / 4.0)
    return tape.set_output(root)


def rng_tape(seed, **kw):
    return random_tape(RngChooser(seed), **kw)


# Magnitudes far apart, so that summing the same contributions in another order changes the last bits.
REUSE_VALUES = (0.1, -0.7, 3.0, 2.5, 1e-16, -1e-16, 7e-17, -3e-17, 1.5, -0.0)
EXACT_OPS = ("add", "sub", "mul", "neg")


def reuse_tape(choose, max_leaves=3, max_ops=10):
    """A DAG of + - * and unary minus (IEEE operations only: every value exact in every engine) that reuses
    few nodes many times, with values of very different magnitudes; its output is any later node, not always
    the last. Where two engines sum a node's gradient contributions in different orders, its bits differ."""
    tape = Tape()
    syms = [tape.leaf(REUSE_VALUES[choose.below(len(REUSE_VALUES))], f"x{i}")
            for i in range(1 + choose.below(max_leaves))]
    for _ in range(2 + choose.below(max_ops)):
        op = EXACT_OPS[choose.below(len(EXACT_OPS))]
        pool = syms[-4:] if choose.below(3) else syms  # recent nodes mostly: deep reuse
        ins = [pool[choose.below(len(pool))] for _ in range(OPS[op].arity)]
        syms.append(tape.op(op, *ins))
    half = len(syms) // 2
    return tape.set_output(syms[half + choose.below(len(syms) - half)])
