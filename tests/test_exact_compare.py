"""Exact means bit for bit, signed zeros included, for data and gradients alike; bounded values keep special values exact."""

import math
import struct

import pytest

from parity.catalogue import CATALOGUE, cases_of
from parity.compare import DEFAULT, EDGE, EXACT, agree, same_bits
from parity.engines import replay
from parity.harness import run_entry
from tests.test_harness_catches_bugs import planted

NEG_NAN = -math.nan
OTHER_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000123))[0]


def test_exact_data_distinguishes_plus_and_minus_zero_both_ways():
    assert not agree(0.0, -0.0, EXACT, "data")
    assert not agree(-0.0, 0.0, EXACT, "data")
    assert agree(-0.0, -0.0, EXACT, "data") and agree(0.0, 0.0, EXACT, "data")


def test_exact_is_the_default_quantity_data():
    assert not agree(0.0, -0.0, EXACT)


def test_exact_nan_equals_any_nan_and_nothing_else():
    for a in (math.nan, NEG_NAN, OTHER_NAN):
        for b in (math.nan, NEG_NAN, OTHER_NAN):
            assert agree(a, b, EXACT) and same_bits(a, b)
        assert not agree(a, 0.0, EXACT) and not agree(0.0, a, EXACT)
        assert not agree(a, math.inf, EXACT, "grad")


def test_exact_rejects_one_ulp_and_infinities_of_the_other_sign():
    assert not agree(math.nextafter(1.0, 2.0), 1.0, EXACT)
    assert not agree(5e-324, 0.0, EXACT, "grad")
    assert not agree(-math.inf, math.inf, EXACT)
    assert agree(math.inf, math.inf, EXACT) and agree(-3.5, -3.5, EXACT, "grad")


def test_zero_signs_of_gradients_are_significant_both_ways():
    # the spec's sums take the first contribution as is, as torch: a -0.0 gradient is -0.0 in both
    assert not agree(0.0, -0.0, EXACT, "grad") and not agree(-0.0, 0.0, EXACT, "grad")
    assert not agree(0.0, -0.0, EXACT, "grad after a 2nd backward()")


def test_bounded_values_compare_numbers_but_special_values_stay_exact():
    assert agree(1.0 + 1e-13, 1.0, DEFAULT)
    assert not agree(1.0 + 1e-11, 1.0, DEFAULT)
    assert not agree(0.0, -0.0, DEFAULT, "data") and not agree(-0.0, 0.0, DEFAULT, "grad")
    assert not agree(math.inf, 1e308, DEFAULT) and not agree(math.nan, 1.0, DEFAULT) and agree(NEG_NAN, math.nan, DEFAULT)


def test_an_ulps_bound_applies_to_data_and_the_relative_bound_to_gradients():
    x = 0.46211715726000974
    four, five = x + 4 * math.ulp(x), x + 5 * math.ulp(x)
    assert agree(four, x, EDGE, "data") and not agree(five, x, EDGE, "data")
    assert agree(x * (1 + 1e-13), x, EDGE, "grad") and not agree(x * (1 + 1e-13), x, EDGE, "data")


def test_an_exact_graph_fails_when_relu_returns_plus_zero_for_minus_zero():
    with planted("relu", forward=lambda a: 0.0 if a <= 0.0 else a):
        r = run_entry(CATALOGUE["edge/relu"], keep_failing=False)
    assert not r.ok
    assert any(m.quantity == "data" and m.value == 0.0 and math.copysign(1, m.reference) < 0 for m in r.mismatches)
    assert r.suspects[0].split(": ", 1)[1].startswith("forward of 'relu'")


def test_an_exact_graph_fails_when_maximum_returns_the_second_input_on_a_tie():
    with planted("maximum", forward=lambda a, b: a if (a > b or a != a) else b):
        r = run_entry(CATALOGUE["edge/maximum"], keep_failing=False)
    assert not r.ok
    assert any("maximum(-0.0, 0.0)" in m.graph and m.quantity == "data" for m in r.mismatches)


EXACT_ENTRIES = [n for n, e in CATALOGUE.items() if e.exact and e.level != "scale"]


@pytest.mark.usefixtures("torch")
def test_micrograd_ref_and_torch_agree_bit_for_bit_on_entries_of_ieee_operations_signed_zeros_included():
    """Measured, not assumed: on the entries whose ops round through IEEE operations only, and on every edge case
    of the exact ops, every data and gradient has the same bits in both engines, -0.0 gradients included."""
    minus_zero = 0
    for name in EXACT_ENTRIES + [f"edge/{op}" for op in ("div", "sub", "mul", "maximum")]:
        for case, tape in cases_of(CATALOGUE[name]):
            eng, ref = replay("micrograd_ref", tape), replay("torch", tape)
            for x, y in zip(eng.data + eng.grad, ref.data + ref.grad):
                assert same_bits(x, y), (name, case, x, y)
            minus_zero += sum(g == 0.0 and math.copysign(1.0, g) < 0 for g in ref.grad)
    assert minus_zero > 100  # the first contribution taken as is: torch's -0.0 gradients, reproduced


def test_entries_that_claim_to_be_exact_are_exact_by_the_derivation():
    from parity.exactness import derive

    for name in EXACT_ENTRIES + ["scale/chain_100k", "scale/sum_50k"]:
        for case, tape in cases_of(CATALOGUE[name]):
            assert derive(tape, frozenset(), [0.0] * len(tape.nodes)).everywhere, (name, case)
