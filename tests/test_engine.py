"""The engine's rules: graph structure, accumulation, iteration, bad input."""

import math
import subprocess
import sys

import pytest

import micrograd_ref
from micrograd_ref import OPS, Value, apply, maximum, minimum


# --- construction and bad input ---------------------------------------------------------

@pytest.mark.parametrize("x", [3, 2.5, -0.0, math.inf])
def test_value_stores_ints_and_floats_as_python_float(x):
    v = Value(x)
    assert type(v.data) is float and v.data == x and v.grad == 0.0


def test_value_accepts_numpy_real_scalars_as_float():
    np = pytest.importorskip("numpy")
    for x in (np.float64(1.5), np.float32(1.5), np.int64(3), np.int8(-2)):
        v = Value(x)
        assert type(v.data) is float and v.data == float(x)


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], (1.0,), object(), True])
def test_value_rejects_non_real_data_with_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize("bad", ["a", None, 1j, [1.0], {}])
@pytest.mark.parametrize("op", [
    lambda v, o: v + o, lambda v, o: o + v, lambda v, o: v - o, lambda v, o: o - v,
    lambda v, o: v * o, lambda v, o: o * v, lambda v, o: v / o, lambda v, o: o / v,
    lambda v, o: v ** o, lambda v, o: maximum(v, o), lambda v, o: minimum(o, v),
    lambda v, o: v < o, lambda v, o: v >= o,
])
def test_non_numeric_operand_raises_type_error_naming_what_was_passed(op, bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        op(Value(1.0), bad)


def test_numpy_array_operand_is_a_type_error_not_an_object_array():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="ndarray"):
        Value(1.0) + np.array([1.0, 2.0])
    with pytest.raises(TypeError):
        np.array([1.0, 2.0]) + Value(1.0)


def test_numpy_scalar_on_the_left_gives_a_value():
    np = pytest.importorskip("numpy")
    out = np.float64(2.0) * Value(3.0)
    assert isinstance(out, Value) and out.data == 6.0


# --- operators -------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, data, grad", [
    (lambda v: 2 - v, -1.0, -1.0),
    (lambda v: 6 / v, 2.0, -6 / 9),
    (lambda v: 2 ** v, 8.0, 8.0 * math.log(2.0)),
    (lambda v: 1 + v, 4.0, 1.0),
    (lambda v: 2 * v, 6.0, 2.0),
    (lambda v: -v, -3.0, -1.0),
    (lambda v: v ** 2, 9.0, 6.0),
    (lambda v: v ** Value(2.0), 9.0, 6.0),
])
def test_reflected_and_unary_operators(expr, data, grad):
    v = Value(3.0)
    out = expr(v)
    out.backward()
    assert out.data == pytest.approx(data, rel=1e-15) and v.grad == pytest.approx(grad, rel=1e-15)


def test_number_operands_become_constant_leaves():
    v = Value(3.0)
    out = v * 2
    (const,) = [p for p in out._prev if p is not v]
    assert const.data == 2.0 and const.op == ""
    out.backward()
    assert const.grad == 3.0


def test_each_node_records_its_op_and_inputs_in_order():
    a, b = Value(1.0), Value(2.0)
    out = a - b
    assert out.op == "sub" and out._prev == (a, b)
    assert (a ** 3).op == "pow_scalar" and (a ** b).op == "pow"
    assert a.op == ""


def test_comparisons_are_by_data_so_builtin_max_returns_an_input():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 2.0
    assert max(a, b) is b and min(a, b) is a
    assert sorted([b, a]) == [a, b]


def test_equality_is_identity_so_values_can_key_dicts():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2


def test_apply_by_op_name_matches_the_operator():
    a, b = Value(2.0), Value(5.0)
    assert apply("sub", a, b).data == (a - b).data
    assert apply("pow_scalar", a, params=(3,)).data == 8.0
    with pytest.raises(TypeError):
        apply("add", a)


def test_every_value_method_is_a_row_of_the_op_table():
    a, b = Value(0.5), Value(2.0)
    made = {(a + b).op, (a - b).op, (a * b).op, (a / b).op, (-a).op, (a ** b).op, (a ** 2).op,
            a.relu().op, a.tanh().op, a.exp().op, a.log().op, a.sigmoid().op,
            maximum(a, b).op, minimum(a, b).op}
    assert made == set(OPS)


# --- backward ----------------------------------------------------------------------------------

def test_backward_seeds_one_at_the_output():
    x = Value(2.0)
    y = x * 3
    y.backward()
    assert y.grad == 1.0 and x.grad == 3.0


def test_node_used_twice_accumulates_both_paths_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_node_used_twice_accumulates_both_paths_x_times_x():
    x = Value(-4.0)
    (x * x).backward()
    assert x.grad == -8.0


def test_shared_intermediate_gets_grads_from_all_consumers():
    a = Value(2.0)
    b = a * 3  # used by two consumers
    out = b * b + b.tanh()
    out.backward()
    t = math.tanh(6.0)
    assert b.grad == pytest.approx(2 * 6.0 + (1 - t * t), rel=1e-15)
    assert a.grad == pytest.approx(3 * b.grad, rel=1e-15)


def test_backward_twice_adds_exactly_twice_the_grads():
    x, y = Value(0.3), Value(-1.7)
    h = (x * y).tanh() + x ** 2
    out = h * h.exp() - maximum(x, y)
    out.backward()
    first = [x.grad, y.grad, h.grad]
    out.backward()
    assert [x.grad, y.grad, h.grad] == [2 * g for g in first]


def test_chain_of_200000_nodes_needs_no_recursion():
    x = Value(0.5)
    v = x
    for _ in range(200_000):
        v = -v
    v.backward()
    assert x.grad == 1.0  # (-1) ** 200000
    assert sys.getrecursionlimit() < 200_000


def test_wide_sum_of_50000_leaves():
    leaves = [Value(float(i)) for i in range(50_000)]
    total = sum(leaves)
    total.backward()
    assert total.data == sum(range(50_000))
    assert all(v.grad == 1.0 for v in leaves)


def test_backward_from_a_leaf_sets_its_grad_to_one():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_nodes_outside_the_output_graph_are_untouched():
    x = Value(1.0)
    unused = x * 5
    out = x + 1
    out.backward()
    assert unused.grad == 0.0 and x.grad == 1.0


DETERMINISM = """
import random
from micrograd_ref import Value, maximum
rng = random.Random(5)
leaves = [Value(rng.uniform(-1, 1)) for _ in range(40)]
nodes = list(leaves)
for i in range(400):
    a, b = rng.choice(nodes), rng.choice(nodes)
    nodes.append([a + b, a * b, maximum(a, b), (a * 0.3).tanh()][i % 4])
out = sum(nodes[-50:])
junk = [object() for _ in range(rng.randrange(1000))]  # shift memory addresses
out.backward()
print(",".join(v.grad.hex() for v in leaves))
"""


def test_grads_are_bit_identical_across_processes_and_hash_seeds():
    outs = set()
    for seed in ("0", "1", "12345"):
        r = subprocess.run([sys.executable, "-c", DETERMINISM], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
        outs.add(r.stdout)
    assert len(outs) == 1


def test_repr_shows_data_grad_and_label():
    assert repr(Value(2.0, label="w")) == "Value(data=2.0, grad=0.0, label='w')"


def test_engine_imports_only_the_standard_library():
    code = ("import sys, micrograd_ref, micrograd_ref.nn; "
            "bad = [m for m in ('numpy', 'torch', 'graphviz') if m in sys.modules]; print(bad)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
    assert micrograd_ref.__version__
