"""What "agree" means, and how a disagreement is reported.

Exact (bit for bit) means the same IEEE-754 bits, with one NaN equal to any other NaN:
``0.0`` and ``-0.0`` differ, as do two doubles an ulp apart. Which values are compared
exactly is derived from the ops they went through (parity/exactness.py); the others are
compared within the entry's bound (``Tolerance``), where special values stay exact:
a nan only equals a nan, an infinity only the same infinity, and two zeros only if their
signs agree.
"""

import math
import struct
from dataclasses import dataclass

from .kinds import FINITE_KINDS, difference_kind

# Default bound: |engine - reference| <= ATOL + RTOL * |reference|.
RTOL = 1e-12
ATOL = 1e-12


@dataclass(frozen=True)
class Tolerance:
    """The bound for values that are not exact: rel/abs, or for data (ulps > 0) that many units in the last
    place of the reference: single-op graphs, where a value is one rounding of a primitive away."""

    rtol: float = RTOL
    atol: float = ATOL
    exact: bool = False  # everything bit for bit (the oracles that are exact by construction)
    ulps: int = 0  # data of an inexact node within ulps * ulp(reference); gradients keep rtol/atol

    def __str__(self):
        if self.exact:
            return "exact"
        return (f"{self.ulps} ulps (data), " if self.ulps else "") + f"rel {self.rtol:g} / abs {self.atol:g}"

    def describe(self, quantity="data"):
        """The bound as it applies to this quantity: "4 ulps" for data with ulps, else "rel 1e-12 / abs 1e-12"."""
        if self.exact:
            return "bit for bit"
        if self.ulps and quantity == "data":
            return f"{self.ulps} ulps"
        return f"rel {self.rtol:g} / abs {self.atol:g}"

    def bound(self, ref, quantity="data"):
        if self.exact:
            return 0.0
        if self.ulps and quantity == "data":
            return self.ulps * math.ulp(ref)
        return self.atol + self.rtol * abs(ref)


DEFAULT = Tolerance()
EXACT = Tolerance(exact=True)
EDGE = Tolerance(ulps=4)  # single-op graphs: libm's tanh, exp, log, pow are within an ulp or two of correct

_pack = struct.Struct("<d").pack


def same_bits(x, ref):
    """The same IEEE-754 double, bit for bit; every NaN equals every NaN (payloads and signs of NaN are not compared)."""
    if x != x or ref != ref:
        return x != x and ref != ref
    return _pack(x) == _pack(ref)


def agree(x, ref, tol=DEFAULT, quantity="data"):
    """Whether an engine's x agrees with the reference value ref: nan only with nan, an infinity only with
    the same one, zeros only with the same sign; otherwise the same bits (exact) or within tol's bound."""
    if x != x or ref != ref:
        return x != x and ref != ref
    if x == ref:
        return x != 0.0 or _pack(x) == _pack(ref)
    if tol.exact or math.isinf(x) or math.isinf(ref):
        return False
    return abs(x - ref) <= tol.bound(ref, quantity)


def close(x, ref, rel, quantity="data"):
    """The --tolerance level: math.isclose(x, ref, rel_tol=rel), where a nan only equals a nan, an infinity
    only the same infinity, and a zero of data only a zero of the same sign (a zero gradient's sign is free:
    it follows the order of the sum)."""
    if x != x or ref != ref:
        return x != x and ref != ref
    if x == ref:
        return x != 0.0 or quantity != "data" or _pack(x) == _pack(ref)
    if math.isinf(x) or math.isinf(ref):
        return False
    return abs(x - ref) <= rel * max(abs(x), abs(ref))


def level_name(rel):
    """How a run's values were judged: "exact" (the default) or "tolerance 1e-09" (--tolerance)."""
    return "exact" if rel is None else f"tolerance {rel:g}"


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
    rule: str = ""  # how it was compared: "bit for bit", "within 4 ulps", ...
    allowed: float = 0.0  # the largest |value - reference| its check allows (0: bit for bit)

    @property
    def check(self):
        """Which check failed: the reference's name ("torch"), "own values" (the spec on the candidate's own
        values), "backward twice" or "finite differences"."""
        if self.quantity.endswith("(from its own inputs)") or self.quantity.endswith("(from its own values)"):
            return "own values"
        if self.quantity.startswith("grad after"):
            return "backward twice"
        if self.reference_name == "finite differences":
            return "finite differences"
        return self.reference_name

    @property
    def kind(self):
        """How the two differ, in one word (kinds.difference_kind, the one classifier every report uses):
        "zero sign", "nan", "inf", "ulps" (finite, a rounding apart) or "other" (finite, farther)."""
        return difference_kind(self.value, self.reference)

    @property
    def ratio(self):
        """|value - reference| as a fraction of what its check allows: inf for a bit-for-bit miss or for a
        difference that is not a finite number (nan, infinities, a zero's sign); always above 1 on a mismatch."""
        if self.kind not in FINITE_KINDS:
            return math.inf
        d = abs(self.value - self.reference)
        return d / self.allowed if self.allowed else math.inf

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
        ulps = ""
        if math.isfinite(self.value) and math.isfinite(self.reference) and self.value != self.reference:
            n = abs(self.difference) / math.ulp(self.reference)
            ulps = f" ({n:.3g} ulps)" if n < 1e6 else ""
        rule = f"; compared {self.rule}" if self.rule else ""
        return (
            f"{self.graph}: node {self.node_name}: {self.quantity} "
            f"{self.engine_name}={self.value!r} {self.reference_name}={self.reference!r} "
            + (self.how + ulps if self.how.startswith("difference=") else f"({self.how})") + rule
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
            "difference": _j(d), "how": self.how, "rule": self.rule, "check": self.check,
            "of_allowed": _j(self.ratio),
        }


def _j(x):
    """JSON-safe float of one type: a finite float as a number, anything else null."""
    return x if math.isfinite(x) else None
