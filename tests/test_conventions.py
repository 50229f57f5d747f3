"""The engine's floating-point conventions, one rule per test, with torch float64's numbers.

Every expected value here was produced by torch 2.13 float64 (and is re-checked
against live torch by tests/test_ops_vs_torch.py and `make parity`). A porter can
read this file as the list of special cases to get right.
"""

import math

import pytest

from micrograd_ref import Value, maximum, minimum

from .conftest import same

inf, nan = math.inf, math.nan


def run(f, *xs):
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return (out.data, *[v.grad for v in vs])


def check(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert same(g, w), f"got {got}, want {want}"


# --- division --------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, want", [
    (1.0, 0.0, (inf, inf, -inf)),
    (-1.0, 0.0, (-inf, inf, inf)),
    (1.0, -0.0, (-inf, -inf, -inf)),
    (0.0, 0.0, (nan, inf, nan)),
    (nan, 0.0, (nan, inf, nan)),
    (inf, inf, (nan, 0.0, nan)),
    (1.0, inf, (0.0, 0.0, -0.0)),
])
def test_division_by_zero_gives_signed_inf_or_nan_like_torch(a, b, want):
    check(run(lambda x, y: x / y, a, b), want)


def test_division_never_raises_zero_division_error():
    assert (Value(1.0) / 0).data == inf
    assert (1 / Value(-0.0)).data == -inf


# --- log ---------------------------------------------------------------------------------

@pytest.mark.parametrize("x, want", [
    (0.0, (-inf, inf)),
    (-0.0, (-inf, -inf)),
    (-1.0, (nan, -1.0)),  # the gradient is still g / x
    (inf, (inf, 0.0)),
    (nan, (nan, nan)),
    (1e-310, (-713.8013788281542, inf)),
])
def test_log_of_zero_is_minus_inf_and_of_negative_is_nan_like_torch(x, want):
    check(run(lambda v: v.log(), x), want)


# --- pow -----------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, want", [
    (0.0, 0.0, (1.0, 0.0, 0.0)),
    (0.0, 1.0, (0.0, 1.0, 0.0)),
    (0.0, 2.0, (0.0, 0.0, 0.0)),
    (0.0, -1.0, (inf, -inf, -inf)),
    (-0.0, -1.0, (-inf, -inf, inf)),
    (0.0, 0.5, (0.0, inf, 0.0)),
    (-8.0, 1 / 3, (nan, nan, nan)),
    (-2.0, 3.0, (-8.0, 12.0, nan)),  # negative base: log(base) is nan, so is the exponent's grad
    (2.0, 0.0, (1.0, 0.0, 0.6931471805599453)),
    (nan, 0.0, (1.0, 0.0, nan)),
    (1.0, nan, (1.0, nan, 0.0)),
    (10.0, 1000.0, (inf, inf, inf)),
    (-10.0, 1001.0, (-inf, inf, nan)),
    (-inf, 0.5, (inf, 0.0, nan)),
])
def test_pow_of_two_values_follows_c_pow_and_torch_grads(a, b, want):
    check(run(lambda x, y: x ** y, a, b), want)


@pytest.mark.parametrize("k, x, want", [
    (0.0, nan, (1.0, 0.0)),
    (2.0, -0.0, (0.0, -0.0)),
    (0.5, 0.0, (0.0, inf)),
    (0.5, -0.0, (-0.0, -inf)),  # torch computes ** 0.5 as sqrt
    (0.5, -inf, (nan, nan)),
    (-0.5, -0.0, (-inf, -inf)),  # and ** -0.5 as 1 / sqrt
    (-1.0, 0.0, (inf, -inf)),
    (-1.0, -inf, (-0.0, -0.0)),
    (-2.0, -0.0, (inf, inf)),
    (1.5, -inf, (inf, nan)),
    (3.0, -8.0, (-512.0, 192.0)),
])
def test_pow_with_number_exponent_uses_torch_special_kernels(k, x, want):
    check(run(lambda v: v ** k, x), want)


def test_pow_never_raises_or_returns_complex():
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(0.0) ** -1).data == inf
    assert (Value(10.0) ** 1000).data == inf


# --- overflow --------------------------------------------------------------------------

@pytest.mark.parametrize("op, x, want", [
    ("exp", 1000.0, (inf, inf)),
    ("exp", -1000.0, (0.0, 0.0)),
    ("tanh", 1000.0, (1.0, 0.0)),
    ("tanh", -1000.0, (-1.0, 0.0)),
    ("sigmoid", 1000.0, (1.0, 0.0)),
    ("sigmoid", -1000.0, (0.0, 0.0)),
    ("exp", inf, (inf, inf)),
    ("tanh", -inf, (-1.0, 0.0)),
    ("sigmoid", -inf, (0.0, 0.0)),
])
def test_exp_tanh_sigmoid_saturate_at_1000_without_overflow_error(op, x, want):
    check(run(lambda v: getattr(v, op)(), x), want)


# --- relu --------------------------------------------------------------------------------

@pytest.mark.parametrize("x, want", [
    (0.0, (0.0, 0.0)),
    (-0.0, (-0.0, 0.0)),
    (1e-310, (1e-310, 1.0)),
    (-1.0, (0.0, 0.0)),
    (nan, (nan, 1.0)),  # nan <= 0 is false: the gradient passes, as torch's threshold_backward
])
def test_relu_at_zero_has_zero_grad_and_passes_nan(x, want):
    got = run(lambda v: v.relu(), x)
    check(got, want)
    if x == 0:
        assert math.copysign(1, got[0]) == math.copysign(1, x)  # relu(-0.0) is -0.0


def test_relu_masks_an_infinite_upstream_grad_to_zero():
    x = Value(-1.0)
    (x.relu() * inf).backward()
    assert x.grad == 0.0  # not 0 * inf = nan


# --- max / min ----------------------------------------------------------------------------

def test_max_tie_splits_grad_like_torch():
    check(run(maximum, 1.0, 1.0), (1.0, 0.5, 0.5))


def test_min_tie_splits_grad_like_torch():
    check(run(minimum, 1.0, 1.0), (1.0, 0.5, 0.5))


def test_max_of_a_node_with_itself_gives_it_the_whole_grad():
    x = Value(3.0)
    maximum(x, x).backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("f", [maximum, minimum])
def test_max_min_nan_wins_and_both_inputs_get_the_grad(f):
    check(run(f, nan, 1.0), (nan, 1.0, 1.0))
    check(run(f, 1.0, nan), (nan, 1.0, 1.0))


def test_max_on_tie_returns_the_first_input_sign_of_zero():
    assert math.copysign(1, maximum(-0.0, 0.0).data) == -1
    assert math.copysign(1, maximum(0.0, -0.0).data) == 1


def test_max_loser_grad_is_masked_even_for_inf_upstream():
    a, b = Value(1.0), Value(2.0)
    (maximum(a, b) * inf).backward()
    assert a.grad == 0.0 and b.grad == inf


def test_max_min_accept_numbers_on_either_side():
    assert maximum(2, Value(1.0)).data == 2.0
    assert minimum(Value(1.0), 2).data == 1.0


# --- nan propagation ------------------------------------------------------------------------

def test_nan_propagates_through_every_arithmetic_op():
    x = Value(nan)
    for out in (x + 1, x - 1, x * 2, x / 2, -x, x ** 2, x.tanh(), x.exp(), x.log(), x.sigmoid()):
        assert math.isnan(out.data)


def test_mul_zero_times_inf_is_nan_with_torch_grads():
    check(run(lambda a, b: a * b, 0.0, inf), (nan, inf, 0.0))
