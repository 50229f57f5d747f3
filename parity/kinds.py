"""Kinds of difference, for grouping failing cases in reports: how far off a value is (zero sign, a few ulps,
nan, inf, other) and which quantity (data, grad, ...). One small function decides a case's kind (case_kind);
it can be swapped for a finer diagnosis without touching the reports that group by it."""

import math

ZERO_SIGN, ULPS, NAN, INF, OTHER = "zero sign", "ulps", "nan", "inf", "other"
KINDS = (ZERO_SIGN, ULPS, NAN, INF, OTHER)  # mildest first
FINITE_KINDS = (ULPS, OTHER)  # two finite numbers: a difference that has a size
FEW_ULPS = 1024  # at most this many units in the last place of the reference: a rounding difference


def difference_kind(value, reference):
    """How far value is from reference: ZERO_SIGN (two zeros of other signs), NAN (one of them is nan), INF (one
    is infinite), ULPS (finite, at most FEW_ULPS ulps of the reference apart), OTHER (farther)."""
    if value == 0.0 and reference == 0.0:
        return ZERO_SIGN
    if value != value or reference != reference:
        return NAN
    if math.isinf(value) or math.isinf(reference):
        return INF
    return ULPS if abs(value - reference) <= FEW_ULPS * math.ulp(reference) else OTHER


def first_difference(mismatches):
    """The first difference of a failing case: its first data mismatch in tape order if any (an input's error
    flows forward), else the gradient mismatch nearest the output (gradients flow backward); None without any."""
    if not mismatches:
        return None
    data = [m for m in mismatches if m.quantity.startswith("data")]
    return min(data, key=lambda m: m.node) if data else max(mismatches, key=lambda m: m.node)


def kind_of(m):
    """(quantity, kind) of one mismatch: ("grad", "ulps"), ("data", "zero sign"), ..."""
    return m.quantity, m.kind


def case_kind(mismatches):
    """(quantity, kind) of a failing case, by its first difference; None without mismatches."""
    first = first_difference(mismatches)
    return None if first is None else kind_of(first)
