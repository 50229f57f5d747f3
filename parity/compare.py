"""What "agree" means, and how a disagreement is reported."""

import math
from dataclasses import dataclass

# Default tolerance: |engine - reference| <= ATOL + RTOL * |reference|.
RTOL = 1e-12
ATOL = 1e-12


@dataclass(frozen=True)
class Tolerance:
    rtol: float = RTOL
    atol: float = ATOL
    exact: bool = False  # bit-for-bit (but 0.0 == -0.0)

    def __str__(self):
        return "exact" if self.exact else f"rel {self.rtol:g} / abs {self.atol:g}"


DEFAULT = Tolerance()
EXACT = Tolerance(exact=True)


def agree(x, ref, tol=DEFAULT, quantity="data"):
    """nan equals nan; infinities must match in sign; signed zeros compare equal."""
    if x != x or ref != ref:
        return x != x and ref != ref
    if x == ref:
        return True
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

    def __str__(self):
        return (
            f"{self.graph}: node {self.node_name}: {self.quantity} "
            f"{self.engine_name}={self.value!r} {self.reference_name}={self.reference!r} "
            f"difference={self.difference!r}"
        )

    def as_dict(self):
        return {
            "graph": self.graph, "node": self.node, "node_name": self.node_name,
            "quantity": self.quantity, "engine": self.engine_name, "value": _j(self.value),
            "reference_name": self.reference_name, "reference": _j(self.reference),
            "difference": _j(self.difference),
        }


def _j(x):
    """JSON-safe float: finite floats as numbers, the rest spelled out."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
