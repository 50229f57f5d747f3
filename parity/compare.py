"""What "agree" means, and how a disagreement is reported.

Exact (bit for bit) means the same IEEE-754 bits, with one NaN equal to any other
NaN: ``0.0`` and ``-0.0`` differ, as do two doubles an ulp apart. One convention
relaxes this, for gradients only, and only in one direction (``GRAD_ZERO_RULE``):
micrograd_ref's gradient sums start at ``+0.0`` (docs/SPEC.md section 3), so a
gradient whose contributions are all ``-0.0`` is ``+0.0`` there, while torch's
autograd, which takes a node's first contribution as is, reports ``-0.0``. Such a
zero sign never changes any other number (no gradient formula divides by a
gradient, and ``x + -0.0 == x + 0.0`` for every x other than a zero), so an engine's
``+0.0`` agrees with a reference ``-0.0`` gradient; an engine's ``-0.0`` where the
reference has ``+0.0`` is a mismatch (the spec's sums can never produce it).
"""

import math
import struct
from dataclasses import dataclass

# Default tolerance: |engine - reference| <= ATOL + RTOL * |reference|.
RTOL = 1e-12
ATOL = 1e-12


@dataclass(frozen=True)
class Tolerance:
    rtol: float = RTOL
    atol: float = ATOL
    exact: bool = False  # bit for bit (any NaN equals any NaN; see GRAD_ZERO_RULE for gradients)

    def __str__(self):
        return "exact" if self.exact else f"rel {self.rtol:g} / abs {self.atol:g}"


DEFAULT = Tolerance()
EXACT = Tolerance(exact=True)


GRAD_ZERO_RULE = (
    "gradient sums start at +0.0, so a gradient of +0.0 agrees with a reference gradient of -0.0 "
    "(torch takes a node's first contribution as is); a -0.0 gradient where the reference has +0.0 does not"
)

_pack = struct.Struct("<d").pack


def same_bits(x, ref):
    """The same IEEE-754 double, bit for bit; every NaN equals every NaN (payloads and signs of NaN are not compared)."""
    if x != x or ref != ref:
        return x != x and ref != ref
    return _pack(x) == _pack(ref)


def agree(x, ref, tol=DEFAULT, quantity="data"):
    """Whether an engine's x agrees with the reference value ref.

    nan equals nan; infinities must match in sign. Exact: the same bits, except that for a
    gradient (quantity starting with "grad") an engine's +0.0 agrees with a reference -0.0
    (GRAD_ZERO_RULE). Otherwise |x - ref| <= atol + rtol * |ref| for finite values.
    """
    if x != x or ref != ref:
        return x != x and ref != ref
    if x == ref:
        if not tol.exact or x != 0.0:
            return True  # equal non-zero doubles have equal bits
        if _pack(x) == _pack(ref):
            return True
        # +0.0 against -0.0: only an engine's +0.0 gradient against a reference -0.0 agrees
        return quantity.startswith("grad") and math.copysign(1.0, x) > 0.0
    if tol.exact or math.isinf(x) or math.isinf(ref):
        return False
    return abs(x - ref) <= tol.atol + tol.rtol * abs(ref)


def errors(x, ref):
    """(abs error, rel error) of finite pairs, (0, 0) otherwise."""
    if not (math.isfinite(x) and math.isfinite(ref)):
        return 0.0, 0.0
    d = abs(x - ref)
    return d, (d / abs(ref) if ref != 0 else (0.0 if d == 0 else math.inf))


@dataclass
class Mismatch:
    graph: str
    node: int
    node_name: str  # label and op, e.g. "#3 'b' (maximum)"
    quantity: str  # "data", "grad", ...
    value: float  # the candidate engine's
    reference: float
    reference_name: str = "reference"
    engine_name: str = "engine"

    @property
    def difference(self):
        return self.value - self.reference

    @property
    def how(self):
        """How the two differ, in words a reader can act on: never a difference of 0.0 on a failure."""
        x, y = self.value, self.reference
        if x == 0.0 and y == 0.0:
            return f"{x!r} vs {y!r}: zero sign differs"
        if x != x or y != y:
            return f"{x!r} vs {y!r}: one is nan"
        if math.isinf(x) or math.isinf(y):
            return f"{x!r} vs {y!r}: " + ("infinities of opposite sign" if math.isinf(x) and math.isinf(y)
                                             else "one is infinite")
        return f"difference={self.difference!r}"

    def __str__(self):
        return (
            f"{self.graph}: node {self.node_name}: {self.quantity} "
            f"{self.engine_name}={self.value!r} {self.reference_name}={self.reference!r} "
            + (self.how if self.how.startswith("difference=") else f"({self.how})")
        )

    def as_dict(self):
        """One JSON type per field: value, reference and difference are numbers, or null where the double is
        not finite (value_text and reference_text always hold the double as Python writes it: "-0.0", "inf",
        "nan"); how says in words how the two differ."""
        d = self.difference
        return {
            "graph": self.graph, "node": self.node, "node_name": self.node_name,
            "quantity": self.quantity, "engine": self.engine_name, "value": _j(self.value),
            "value_text": repr(self.value), "reference_name": self.reference_name,
            "reference": _j(self.reference), "reference_text": repr(self.reference),
            "difference": _j(d), "how": self.how,
        }


def _j(x):
    """JSON-safe float of one type: a finite float as a number, anything else null."""
    return x if math.isfinite(x) else None
