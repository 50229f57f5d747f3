"""Exact means bit for bit: signed zeros of data are significant; the one gradient convention holds, one way only."""

import math
import struct

import pytest

from micrograd_ref import OPS
from parity.catalogue import CATALOGUE, cases_of
from parity.compare import DEFAULT, EXACT, agree, same_bits
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


def test_exact_gradient_plus_zero_agrees_with_a_reference_minus_zero():
    # the spec's gradient sums start at +0.0; torch takes a node's first contribution as is
    assert agree(0.0, -0.0, EXACT, "grad")
    assert agree(0.0, -0.0, EXACT, "grad after a 2nd backward()")


def test_exact_gradient_minus_zero_against_a_reference_plus_zero_fails():
    assert not agree(-0.0, 0.0, EXACT, "grad")


def test_tolerance_graphs_compare_numbers_not_bits():
    assert agree(0.0, -0.0, DEFAULT, "data")
    assert agree(1.0 + 1e-13, 1.0, DEFAULT)
    assert not agree(1.0 + 1e-11, 1.0, DEFAULT)


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


EXACT_ENTRIES = [n for n, e in CATALOGUE.items() if e.tol.exact and e.kind == "cases"][:4] + ["seed/toy_max"]


@pytest.mark.usefixtures("torch")
def test_the_only_bit_difference_on_exact_graphs_is_the_documented_gradient_zero():
    """Measured, not assumed: on exact entries micrograd_ref and torch differ only where torch has a -0.0
    gradient and micrograd_ref +0.0 (so the exception is needed), never in data, never the other way."""
    seen_minus_zero = 0
    for name in EXACT_ENTRIES + [f"edge/{op}" for op in ("div", "sub")]:
        for case, tape in cases_of(CATALOGUE[name]):
            eng, ref = replay("micrograd_ref", tape), replay("torch", tape)
            for x, y in zip(eng.data, ref.data):
                assert same_bits(x, y), (name, case)
            for x, y in zip(eng.grad, ref.grad):
                assert not (x == 0.0 and math.copysign(1.0, x) < 0), "the engine produced a -0.0 gradient"
                if not same_bits(x, y):
                    assert x == 0.0 and y == 0.0 and math.copysign(1.0, y) < 0, (name, case, x, y)
                    seen_minus_zero += 1
    assert seen_minus_zero > 100


def test_every_op_is_checked_bit_for_bit_in_its_edge_cases():
    for op in OPS:
        assert CATALOGUE[f"edge/{op}"].tol.exact
