"""Each pins/ graph kills the mutant it was added for: plant the mutation, the entry must FAIL."""

import inspect
import math

import pytest

import micrograd_ref.engine as engine
import micrograd_ref.floats as floats
from micrograd_ref import Value
from parity.catalogue import CATALOGUE, ORDER_DIV, ORDER_POW3_LOG, ORDER_SIGMOID, ORDER_TANH
from parity.harness import run_entry
from parity.tape import Tape, select_index
from tests.test_harness_catches_bugs import planted

pytestmark = pytest.mark.usefixtures("torch")


def fails(name):
    r = run_entry(CATALOGUE[name], keep_failing=False)
    return not r.ok


def test_every_pin_passes_unmutated():
    for name in CATALOGUE:
        if name.startswith("pins/"):
            assert run_entry(CATALOGUE[name], keep_failing=False).ok, name


# --- builtin max / min / sorted and comparisons -------------------------------------

COMPARISON_MUTANTS = {
    "__lt__ as <=": ("__lt__", lambda self, o: self.data <= engine._data(o, "<")),
    "__le__ as <": ("__le__", lambda self, o: self.data < engine._data(o, "<=")),
    "__gt__ as >=": ("__gt__", lambda self, o: self.data >= engine._data(o, ">")),
    "__ge__ as >": ("__ge__", lambda self, o: self.data > engine._data(o, ">=")),
    "__gt__ swapped for __lt__": ("__gt__", lambda self, o: self.data < engine._data(o, ">")),
    "__lt__ true on nan": ("__lt__", lambda self, o: not (self.data >= engine._data(o, "<"))),
}


@pytest.mark.parametrize("mutant", sorted(COMPARISON_MUTANTS))
def test_comparison_mutants_fail_the_comparison_pins(monkeypatch, mutant):
    name, fn = COMPARISON_MUTANTS[mutant]
    monkeypatch.setattr(Value, name, fn)
    assert fails("pins/comparisons")


@pytest.mark.parametrize("mutant", ["__lt__ as <=", "__gt__ as >=", "__gt__ swapped for __lt__"])
def test_builtin_max_min_sorted_pins_see_a_tie_returning_the_second_argument(monkeypatch, mutant):
    name, fn = COMPARISON_MUTANTS[mutant]
    monkeypatch.setattr(Value, name, fn)
    assert fails("pins/builtin_max_min_sorted")


def test_builtin_max_on_values_returns_the_first_on_a_tie_like_floats():
    y, z = Value(-0.0), Value(0.0)
    assert max(y, z) is y and min(y, z) is y and max(z, 0) is z and max(0, Value(0.0)) == 0
    assert select_index("max", [-0.0, 0.0]) == 0 and select_index("max", [1.0, math.nan]) == 0
    assert select_index("max", [math.nan, 1.0]) == 0 and select_index("min", [2.0, 1.0, 1.0]) == 1
    assert select_index("sorted", [1.0, -0.0, 0.0], (0,)) == 1 and select_index("sorted", [1.0, -0.0, 0.0], (1,)) == 2 and select_index(">=", [0.0, -0.0]) == 0


def test_select_is_the_chosen_node_itself_in_both_engines():
    from parity.engines import replay

    t = Tape()
    y, z = t.leaves(("y", 2.0), ("z", 2.0))
    t.set_output(t.max(y, z) * 3.0)
    for name in ("micrograd_ref", "torch"):
        res = replay(name, t)
        assert res.grad[:3] == [3.0, 0.0, 3.0]  # y chosen on the tie; the select node is y


def test_a_number_chosen_by_builtin_max_is_the_const_leaf():
    from parity.engines import replay

    t = Tape()
    z = t.leaf(-2.0, "z")
    t.set_output(t.max(z, 0.0) * 5.0)
    res = replay("micrograd_ref", t)
    assert res.data[2] == 0.0 and res.grad[:3] == [0.0, 5.0, 5.0]
    assert "max(n0, 0.0)" in t.to_python()


# --- v ** k without a kernel, and pow overflow ------------------------------------------

KERNELS = {"x*x": lambda x: x * x, "x*x*x": lambda x: x * x * x, "1/(x*x)": lambda x: floats.div(1.0, x * x)}


@pytest.mark.parametrize("k", [4.0, 1.5, -3.0, 7.0])
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_routing_an_exponent_without_kernel_to_a_kernel_fails(monkeypatch, k, kernel):
    original = floats.pow_scalar

    def routed(x, kk):
        return KERNELS[kernel](x) if kk == k else original(x, kk)

    monkeypatch.setattr(floats, "pow_scalar", routed)  # the gradient calls floats.pow_scalar(a, k - 1)
    with planted("pow_scalar", forward=routed,
                 backward=lambda g, out, a, kk: (0.0 if kk == 0.0 else g * (kk * routed(a, kk - 1.0)),)):
        assert fails("pins/pow_without_kernel")


@pytest.mark.parametrize("k", [3.0, -2.0, -0.5, 4.0, -1.0, 0.5])
def test_sending_a_kernels_exponent_to_c_pow_fails_the_kernel_pins(monkeypatch, k):
    """k = 3, -2, -0.5 have kernels of their own; 4, -1 and 0.5 use them in their gradient (k - 1)."""
    original = floats.pow_scalar
    kernel = {4.0: 3.0, -1.0: -2.0, 0.5: -0.5}.get(k, k)

    def routed(x, kk):
        return floats.pow(x, kk) if kk == kernel else original(x, kk)

    monkeypatch.setattr(floats, "pow_scalar", routed)
    with planted("pow_scalar", forward=routed,
                 backward=lambda g, out, a, kk: (0.0 if kk == 0.0 else g * (kk * routed(a, kk - 1.0)),)):
        assert fails("pins/pow_kernels")


def test_pow_overflow_with_an_odd_negative_exponent_keeps_the_sign():
    assert floats.pow(1e-200, -3.0) == math.inf and floats.pow(-1e-200, -3.0) == -math.inf
    assert floats.pow(-1e-200, -4.0) == math.inf


POW_OVERFLOW_MUTANTS = {
    "odd test by fmod == 1 (misses negative odd exponents)": ("math.fmod(y, 2.0) != 0.0", "math.fmod(y, 2.0) == 1.0"),
    "overflow always +inf": ("return -inf if x < 0.0 and _is_odd_integer(y) else inf", "return inf"),
    "sign from the exponent": ("return -inf if x < 0.0 and _is_odd_integer(y) else inf",
                               "return -inf if y < 0.0 and _is_odd_integer(y) else inf"),
}


@pytest.mark.parametrize("mutant", sorted(POW_OVERFLOW_MUTANTS))
def test_pow_overflow_mutants_fail_the_overflow_pins(monkeypatch, mutant):
    old, new = POW_OVERFLOW_MUTANTS[mutant]
    source = inspect.getsource(floats._is_odd_integer) + "\n" + inspect.getsource(floats.pow)
    assert old in source
    namespace = dict(vars(floats))
    exec(source.replace(old, new), namespace)
    monkeypatch.setattr(floats, "pow", namespace["pow"])  # pow_scalar and the gradients call floats.pow
    with planted("pow", forward=namespace["pow"]):  # the pow row holds the function itself
        assert fails("pins/pow_overflow")


# --- evaluation order: every rewrite of a gradient formula differs in the last bit -------

REWRITES = {
    "div": {
        "g * (1/b)": lambda g, out, a, b: (g * (1.0 / b), -g * ((a / b) / b)),
        "-g * (a / (b*b))": lambda g, out, a, b: (g / b, -g * (a / (b * b))),
        "(-g * (a/b)) / b": lambda g, out, a, b: (g / b, (-g * (a / b)) / b),
        "-(g*a) / (b*b)": lambda g, out, a, b: (g / b, -(g * a) / (b * b)),
        "-g * a / b / b": lambda g, out, a, b: (g / b, -g * a / b / b),
        "(-g / b) * (a / b)": lambda g, out, a, b: (g / b, (-g / b) * (a / b)),
    },
    "sigmoid": {
        "g * ((1 - out) * out)": lambda g, out, a: (g * ((1.0 - out) * out),),
        "g * out * (1 - out)": lambda g, out, a: (g * out * (1.0 - out),),
        "g * (out - out*out)": lambda g, out, a: (g * (out - out * out),),
        "g*out - g*out*out": lambda g, out, a: (g * out - g * out * out,),
    },
    "tanh": {
        "g * (1 - out*out), two roundings": lambda g, out, a: (g * (1.0 - out * out),),
        "g - g*out*out": lambda g, out, a: (g - g * out * out,),
        "g * (1-out) * (1+out)": lambda g, out, a: (g * (1.0 - out) * (1.0 + out),),
    },
    "pow_scalar": {
        "(g * k) * pow(a, k-1)": lambda g, out, a, k: (0.0 if k == 0 else (g * k) * floats.pow_scalar(a, k - 1.0),),
    },
    "log": {
        "g * (1/a)": lambda g, out, a: (g * (1.0 / a),),
    },
}
REWRITE_CASES = [(op, r) for op in REWRITES for r in REWRITES[op]]


@pytest.mark.parametrize("op, rewrite", REWRITE_CASES, ids=[f"{o}:{r}" for o, r in REWRITE_CASES])
def test_every_rewrite_of_a_gradient_formula_fails_the_evaluation_order_pins(op, rewrite):
    with planted(op, backward=REWRITES[op][rewrite]):
        r = run_entry(CATALOGUE["pins/evaluation_order"], keep_failing=False)
    assert not r.ok
    assert f"backward of '{op}'" in r.suspects[0]


def test_the_order_values_make_every_rewrite_differ_in_the_last_bit():
    # the property the values were searched for, on plain floats (no engine involved)
    for a, b, g in ORDER_DIV:
        ref = -g * ((a / b) / b)
        assert g / b != g * (1 / b)
        assert all(ref != v for v in (-g * (a / (b * b)), (-g * (a / b)) / b, -(g * a) / (b * b), -g * a / b / b))
    for x, g in ORDER_SIGMOID:
        out = floats.sigmoid(x)
        assert g * (1 - out) * out not in (g * ((1 - out) * out), g * out * (1 - out))
    for x, g in ORDER_TANH:
        out = math.tanh(x)
        assert g * floats.one_minus_square(out) != g * (1 - out * out)
    for a, g in ORDER_POW3_LOG:
        assert g * (3.0 * (a * a)) != (g * 3.0) * (a * a) and g / a != g * (1 / a)


def test_tanh_gradient_rounds_one_minus_out_squared_once_like_the_spec_and_torch_where_it_fuses(torch):
    """g * fma(-out, out, 1): one rounding. torch's kernel does the same with AVX2 or better; ATen's build without
    AVX2 (ATEN_CPU_CAPABILITY=default) rounds twice, and the torch engine then says it does not round fma correctly."""
    from parity.engines.torch_engine import _fuses

    x = Value(2.986)
    out = x.tanh()
    (out * 3.966).backward()
    assert x.grad == 3.966 * floats.one_minus_square(out.data) != 3.966 * (1.0 - out.data * out.data)
    t = torch.tensor(2.986, dtype=torch.float64, requires_grad=True)
    y = torch.tanh(t)
    y.backward(torch.tensor(3.966, dtype=torch.float64))
    if y.item() == out.data:  # the same tanh: the gradients must then agree exactly where torch fuses
        assert (x.grad == t.grad.item()) == _fuses(torch)


# --- accumulation order -------------------------------------------------------------

def _mutated_propagate(replace):
    source = inspect.getsource(engine._propagate)
    for old, new in replace:
        assert old in source, old
        source = source.replace(old, new)
    namespace = {}
    exec(source, vars(engine), namespace)
    return namespace["_propagate"]


ADD_AB = """            u = a._up
            a._up = ga if u is None else u + ga
            u = b._up
            b._up = gb if u is None else u + gb
"""
ADD_BA = """            u = b._up
            b._up = gb if u is None else u + gb
            u = a._up
            a._up = ga if u is None else u + ga
"""

# single-point mutations of the engine's walk (engine._propagate): each must fail pins/accumulation_order
WALK_MUTANTS = {
    "b's share added before a's": [(ADD_AB, ADD_BA)],
    "nodes in increasing order of creation": [("order.sort(key=_creation, reverse=True)", "order.sort(key=_creation)")],
    "nodes in discovery (depth-first) order": [("order.sort(key=_creation, reverse=True)", "pass")],
    "sums started at +0.0": [("ga if u is None else u + ga", "(0.0 if u is None else u) + ga"),
                             ("gb if u is None else u + gb", "(0.0 if u is None else u) + gb")],
    "= instead of +=": [("ga if u is None else u + ga", "ga"), ("gb if u is None else u + gb", "gb")],
    ".grad += even when zero": [("node.grad = gr + g if gr else g", "node.grad = gr + g")],
}


@pytest.mark.parametrize("mutant", sorted(WALK_MUTANTS))
def test_a_mutated_backward_walk_fails_the_accumulation_order_pins(monkeypatch, mutant):
    monkeypatch.setattr(engine, "_propagate", _mutated_propagate(WALK_MUTANTS[mutant]))
    assert fails("pins/accumulation_order")
