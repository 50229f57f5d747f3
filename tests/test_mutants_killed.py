"""Tests that kill mutants `make mutants` found surviving the parity harness and the engine's tests.

Each pins a rule the other tests left open (docs/MUTANTS.md lists the mutants no test can kill). They are part of
`make mutants`'s check, which runs without torch: expected values are torch float64's, computed here by the
formula torch's kernel uses and confirmed against torch itself by the test at the end of this file.
"""

import copy
import dataclasses
import math
import pickle
from fractions import Fraction

import pytest

from micrograd_ref import OPS, Value, floats
from micrograd_ref.ops import POW_SCALAR

# x where C pow(x, -2) differs from torch's kernel 1 / (x * x) in the last bit
MINUS_2_BASES = (0.3, 0.7)


# x where C pow(x, -1) differs from torch's kernel 1 / x in the last bit
MINUS_1_BASES = (9241665009.929266, 3.076065752049657e-05)


@pytest.mark.parametrize("x", MINUS_2_BASES)
def test_v_to_the_minus_2_is_one_over_v_times_v_not_c_pow(x):
    assert math.pow(x, -2.0) != 1.0 / (x * x)  # the case tells the kernel from C pow
    assert (Value(x) ** -2).data == 1.0 / (x * x)


@pytest.mark.parametrize("x", MINUS_1_BASES)
def test_v_to_the_minus_1_is_one_over_v_not_c_pow(x):
    assert math.pow(x, -1.0) != 1.0 / x  # the case tells the kernel from C pow
    assert (Value(x) ** -1).data == 1.0 / x


def _fma_one_minus_square(x):
    return float(1 - Fraction(x) * Fraction(x))


@pytest.mark.parametrize("x", [0.0, -0.0, 0.5, -0.75, 1.0, -1.0, 0.1, 0.7615941559557649, 3.0])
def test_one_minus_square_is_rounded_once_as_fma(x):
    assert floats.one_minus_square(x) == _fma_one_minus_square(x)


def test_one_minus_square_at_infinities_and_nan_is_minus_inf_and_nan_as_fma():
    # fma(-x, x, 1) at x = +-inf is 1 - inf = -inf; at nan, nan
    assert floats.one_minus_square(math.inf) == -math.inf
    assert floats.one_minus_square(-math.inf) == -math.inf
    assert math.isnan(floats.one_minus_square(math.nan))


def test_op_table_rows_are_frozen_and_hashable():
    # rows are shared by every node and cached when bound (v ** 2): changing one would change every graph
    row = OPS["add"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.name = "sub"
    assert hash(POW_SCALAR.bind(2.0)) == hash(POW_SCALAR.bind(2.0))


def test_a_modified_copy_of_a_bound_row_refuses_to_pickle_rather_than_pickle_as_the_table_row():
    row = dataclasses.replace(POW_SCALAR.bind(3.0), backward=lambda g, out, a: (0.0,))
    with pytest.raises(TypeError, match="not a row of the op table"):
        pickle.dumps(row)
    assert pickle.loads(pickle.dumps(POW_SCALAR.bind(3.0))) is POW_SCALAR.bind(3.0)


def _lecture_mul(a, b):
    out = Value(a.data * b.data, (a, b), "*")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
    out._backward = _backward
    return out


def test_a_lecture_style_node_adds_its_share_to_each_inputs_own_grad():
    x, y = Value(2.0), Value(-3.0)
    x.grad, y.grad = 5.0, 7.0  # not zeroed: backward() adds to what is there
    _lecture_mul(x, y).backward()
    assert (x.grad, y.grad) == (5.0 - 3.0, 7.0 + 2.0)


@pytest.mark.parametrize("made_by", ["op", "leaf"])
def test_assigning_backward_to_an_op_node_or_a_leaf_makes_backward_use_the_closure(made_by):
    x = Value(3.0)
    node = x * 2.0 if made_by == "op" else Value(1.0)

    def _backward():  # replaces the node's own gradient rule (a leaf: micrograd's `self._backward = ...`)
        x.grad += 10.0 * node.grad
    node._backward = _backward
    assert node._backward is _backward
    if made_by == "op":
        (node * 1.0).backward()
        assert x.grad == 10.0 and node.op == "custom"


def test_a_node_without_backward_is_named_by_its_op_symbol_in_the_error_when_it_has_no_label():
    x = Value(0.5)
    with pytest.raises(RuntimeError, match=r"node 'tanh' was made with Value\(data, _children, _op\)"):
        Value(math.tanh(x.data), (x,), "tanh").backward()


@pytest.mark.parametrize("k, symbol", [(1e20, "**1e+20"), (1e16, "**1e+16"), (9999999999999998.0, "**9999999999999998"), (math.inf, "**inf"), (-math.inf, "**-inf"),
                                       (math.nan, "**nan"), (3.0, "**3"), (-0.5, "**-0.5")])
def test_an_exponent_is_shown_as_an_int_only_when_it_is_a_modest_integer(k, symbol):
    assert (Value(2.0) ** k)._op == symbol


def _deep_graph_sharing_a_leaf(depth):
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = y * 1.0 + x  # x shared by every level: the ancestor walk meets visited nodes all the time
    return y, x


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_graph_deeper_than_the_recursion_limit_sharing_a_leaf_pickles_and_copies(how):
    y, x = _deep_graph_sharing_a_leaf(3000)
    y2 = pickle.loads(pickle.dumps(y)) if how == "pickle" else copy.deepcopy(y)
    y2.backward()
    assert y2.data == y.data and y2._a._a._b is y2._b  # the shared leaf is still one node
    assert y2._b.grad == 3001.0


def test_a_pickled_chain_grows_linearly_with_its_length():
    # each node saved once, its inputs as references: no node carries a list of all its ancestors
    size = {n: len(pickle.dumps(_deep_graph_sharing_a_leaf(n)[0])) for n in (400, 800)}
    assert size[800] < 2.2 * size[400]


def test_a_lecture_style_nodes_row_answers_like_an_op_table_row():
    x = Value(0.5)
    out = Value(math.tanh(x.data), (x,), "tanh")
    assert (out._row.name, out._row.symbol, out._row.args) == ("custom", "tanh", ())


def test_a_leaf_with_a_non_string_op_is_refused_even_without_children():
    with pytest.raises(TypeError, match="_op is the op's symbol"):
        Value(1.0, _op=None)
    with pytest.raises(TypeError, match="_op is the op's symbol"):
        Value(1.0, (), 3, label="x")


def test_children_that_are_not_iterable_are_refused_with_the_documented_message():
    with pytest.raises(TypeError, match="_children must be a tuple of Values, got int"):
        Value(1.0, 5, "+")


def test_the_expected_values_here_are_torchs(torch):
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    for x in MINUS_2_BASES:
        assert (t(x) ** -2).item() == 1.0 / (x * x)
    for x in MINUS_1_BASES:
        assert (t(x) ** -1).item() == 1.0 / x
