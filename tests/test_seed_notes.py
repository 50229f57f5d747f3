"""The seed notes, number by number.

Every number the teaching notes in /work/shared/seeds/ print that micrograd_ref can
reproduce is a test here, grouped by note:

  000  toy max graph            f = (x + y) * max(y, z)
  001  L = (a*b + c) * f, f(x) = 3x^2 - 4x + 5, d = a*b + c, and a tanh neuron
  002  chain-rule graphs at a = 3, b = -5, d = 2 (with the notebook's drifting helpers)
  003  ReLU neuron x = [1, -2, 3], w = [-3, -1, 2], b = 1, and a 3-neuron layer's dinputs
  004  cost graph J = (wx + b - y)^2 / 2, the labs J = (2 + 3w)^2, J = w^2, and a
       2-layer ReLU net

Conventions:
- Numbers the notes obtained with exact arithmetic (2, 5, 0, 6.0, -4.0, ...) are
  compared with ==.
- Numbers the notes printed from float arithmetic (6.720000000000001, -7.286496, ...)
  are reproduced with the engine's forward pass doing the same float operations in the
  same order, and compared with ==. Where the note's arithmetic differs from the
  engine's (its tanh formula, numpy's print rounding) the tolerance is stated and why.
- Finite-difference "slopes" the notes printed are checked twice: (1) the same finite
  difference recomputed with the engine's forward (Value.data) equals the printed slope
  exactly, and (2) the engine's backward gradient equals the printed slope within the
  finite-difference error, which is stated for each case (rounding error ~ ulp(f)/h for
  functions linear in the bumped input; plus the exact curvature term f''h/2 when the
  function is curved).
"""

import itertools
import math

import pytest

from micrograd_ref import Value, gradcheck, maximum
from micrograd_ref.nn import Layer, Neuron, sgd_step

EPS64 = 2.0 ** -52  # float64 machine epsilon


def ulp(x):
    return math.ulp(x)


# =====================================================================================
# Note 000: toy example, a = x + y, b = max(y, z), f = a * b
# =====================================================================================


def toy(x, y, z, use_builtin_max=False):
    x, y, z = Value(x, label="x"), Value(y, label="y"), Value(z, label="z")
    a = x + y
    b = max(y, z) if use_builtin_max else maximum(y, z)
    f = a * b
    return x, y, z, b, f


class TestNote000ToyMax:
    def test_toy_max_forward_is_6(self):
        """Note 000 printed 'The answer is 6' for x=1, y=2, z=0."""
        *_, f = toy(1, 2, 0)
        assert f.data == 6.0

    @pytest.mark.parametrize("use_builtin_max", [False, True], ids=["maximum", "builtin_max"])
    def test_toy_max_grads_are_2_5_0(self, use_builtin_max):
        """Note 000 printed 'Impact of X on F is 2', 'Y ... 5', 'Z ... 0' (x=1, y=2, z=0).

        y reaches f by two paths (through a and through max), so its gradients add: 2 + 3.
        """
        x, y, z, _, f = toy(1, 2, 0, use_builtin_max)
        f.backward()
        assert (x.grad, y.grad, z.grad) == (2.0, 5.0, 0.0)

    def test_builtin_max_of_values_returns_the_y_node_itself(self):
        """The note writes max(self.y, self.z); with Values, builtin max compares by data
        and returns the larger node itself, so the graph is f = (x + y) * y."""
        x, y, z, b, f = toy(1, 2, 0, use_builtin_max=True)
        assert b is y

    def test_toy_max_at_x2_is_8(self):
        """Note 000 printed 'The answer is 8' for x=2, y=2, z=0."""
        *_, f = toy(2, 2, 0)
        assert f.data == 8.0

    def test_toy_max_at_x1_1_y2_1_is_6_720000000000001(self):
        """Note 000 printed 'The answer is 6.720000000000001' for x=1.1, y=2.1, z=0:
        the engine does the same float ops ((1.1 + 2.1) * 2.1), so the same bits."""
        *_, f = toy(1.1, 2.1, 0)
        assert f.data == 6.720000000000001

    def test_first_order_prediction_6_7_misses_by_the_second_order_term(self):
        """Note 000 predicted 'roughly (2 x .1) + (5 x .1) = .7 increase, or final F = 6.7'
        from the gradients; the printed 6.72 differs by exactly the second-order term
        dx*dy + dy*dy = 0.01 + 0.01 of f = (x + y) * y (float rounding aside)."""
        x, y, z, _, f = toy(1, 2, 0)
        f.backward()
        predicted = f.data + x.grad * 0.1 + y.grad * 0.1 + z.grad * 0.0
        assert predicted == pytest.approx(6.7, abs=1e-15)
        *_, f_new = toy(1.1, 2.1, 0)
        assert f_new.data - predicted == pytest.approx(0.1 * 0.1 + 0.1 * 0.1, abs=1e-14)

    def test_toy_max_gradcheck_bump_check_passes(self):
        """The note's 'increase X by 1 and F increases by 2' intuition, as a gradcheck."""
        report = gradcheck(lambda x, y, z: (x + y) * maximum(y, z), [1.0, 2.0, 0.0])
        assert report, str(report)
        assert [r.analytic for r in report.rows] == [2.0, 5.0, 0.0]


# =====================================================================================
# Note 001: f(x) = 3x^2 - 4x + 5, d = a*b + c, L = (a*b + c) * f, tanh neuron
# =====================================================================================


def poly(x):
    """The note's f(x) = 3*x**2 - 4*x + 5; works on floats and on Values alike."""
    return 3 * x**2 - 4 * x + 5


# ys as the note printed them for xs = np.arange(-5, 5, 0.25) (all exact in binary)
NOTE001_YS = [
    100.0, 91.6875, 83.75, 76.1875, 69.0, 62.1875, 55.75, 49.6875, 44.0, 38.6875,
    33.75, 29.1875, 25.0, 21.1875, 17.75, 14.6875, 12.0, 9.6875, 7.75, 6.1875,
    5.0, 4.1875, 3.75, 3.6875, 4.0, 4.6875, 5.75, 7.1875, 9.0, 11.1875,
    13.75, 16.6875, 20.0, 23.6875, 27.75, 32.1875, 37.0, 42.1875, 47.75, 53.6875,
]


def L_graph(a=2.0, b=-3.0, c=10.0, f=-2.0):
    """The note's graph: e = a*b; d = e + c; L = d * f."""
    a, b, c, f = Value(a, label="a"), Value(b, label="b"), Value(c, label="c"), Value(f, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def L_bumped(node, h=0.0001):
    """L.data with one node bumped by h, exactly as the note's cells do it:
    leaves are rebuilt as Value(x + h); e and d are replaced by Value(e.data + h);
    for L itself the note adds h to L.data."""
    leaves = dict(a=2.0, b=-3.0, c=10.0, f=-2.0)
    if node in leaves:
        leaves[node] += h
    a, b, c, f = (Value(leaves[k]) for k in "abcf")
    e = a * b
    if node == "e":
        e = Value(e.data + h)
    d = e + c
    if node == "d":
        d = Value(d.data + h)
    L = d * f
    return L.data + h if node == "L" else L.data


def note_tanh(n):
    """The note's tanh: (exp(2n) - 1) / (exp(2n) + 1), built from engine ops."""
    e2n = (2 * n).exp()
    return (e2n - 1) / (e2n + 1)


def tanh_neuron(tanh=lambda n: n.tanh(), w1=-3.0):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(w1, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = tanh(n)
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


class TestNote001ForwardBackprop:
    # --- f(x) = 3x^2 - 4x + 5 -------------------------------------------------------

    def test_poly_f_of_3_is_20(self):
        """Note 001 printed f(3.0) -> 20.0."""
        assert poly(Value(3.0)).data == 20.0

    def test_poly_over_arange_minus5_5_step_0_25_matches_printed_ys(self):
        """Note 001 printed ys = f(np.arange(-5, 5, 0.25)); all 40 values are exact."""
        xs = [-5.0 + 0.25 * i for i in range(40)]
        assert [poly(Value(x)).data for x in xs] == NOTE001_YS

    @pytest.mark.parametrize(
        "x, exact_grad, printed_slope",
        [
            (3.0, 14.0, 14.000001158365194),
            (-3.0, -22.0, -22.000001820288162),
            (0.667, 6 * 0.667 - 4, 0.002000177801164682),
        ],
        ids=["x=3", "x=-3", "x=0.667"],
    )
    def test_poly_slopes_are_14_minus22_and_near_0(self, x, exact_grad, printed_slope):
        """Note 001 printed (f(x+h) - f(x))/h with h = 1e-9: 14.000001158365194 at x=3,
        -22.000001820288162 at x=-3, 0.002000177801164682 at x=0.667."""
        h = 0.000000001
        v = Value(x)
        out = poly(v)
        out.backward()
        # backward is f'(x) = 6x - 4 exactly (14, -22) or to a few ulps (0.002 = 4.002 - 4)
        assert v.grad == pytest.approx(exact_grad, rel=1e-12, abs=1e-15)
        # the same finite difference through the engine's forward reproduces the bits
        assert (poly(Value(x + h)).data - poly(Value(x)).data) / h == printed_slope
        # with h = 1e-9 the slope is dominated by rounding: <= ~2 ulp(f(x)) / h, plus 3h curvature
        tol = 2 * ulp(abs(out.data)) / h + 3 * h
        assert abs(v.grad - printed_slope) <= tol

    def test_poly_slope_is_zero_at_two_thirds(self):
        """Note 001: 'At a specific point (x = 2/3) the slope is zero'."""
        v = Value(2 / 3)
        poly(v).backward()
        assert v.grad == pytest.approx(0.0, abs=1e-15)

    # --- d = a*b + c ----------------------------------------------------------------

    def test_d_equals_a_times_b_plus_c_is_4(self):
        """Note 001 printed 4.0 for a=2, b=-3, c=10."""
        assert (Value(2.0) * Value(-3.0) + Value(10.0)).data == 4.0

    @pytest.mark.parametrize(
        "bumped, exact_grad, printed_d2, printed_slope",
        [
            ("a", -3.0, 3.999699999999999, -3.000000000010772),
            ("b", 2.0, 4.0002, 2.0000000000042206),
            ("c", 1.0, 4.0001, 0.9999999999976694),
        ],
    )
    def test_d_partials_are_minus3_2_1(self, bumped, exact_grad, printed_d2, printed_slope):
        """Note 001 printed d1 4.0, d2 and 'slope' for h = 0.0001 bumps of a, b, c."""
        h = 0.0001
        point = dict(a=2.0, b=-3.0, c=10.0)
        leaves = {k: Value(v, label=k) for k, v in point.items()}
        d = leaves["a"] * leaves["b"] + leaves["c"]
        d.backward()
        assert d.data == 4.0
        assert leaves[bumped].grad == exact_grad
        point[bumped] += h
        d2 = (Value(point["a"]) * Value(point["b"]) + Value(point["c"])).data
        assert d2 == printed_d2
        assert (d2 - d.data) / h == printed_slope
        # d is linear in each input: the slope differs from the gradient only by
        # rounding, a few ulp(4) / h ~ 1e-11
        assert abs(leaves[bumped].grad - printed_slope) <= 1e-10

    # --- L = (a*b + c) * f ----------------------------------------------------------

    def test_L_forward_is_minus_8(self):
        """Note 001 printed Value(data=-8.0, grad=0.0)."""
        g = L_graph()
        assert g["L"].data == -8.0 and g["L"].grad == 0.0
        assert g["e"].data == -6.0 and g["d"].data == 4.0

    def test_L_grads_are_L1_d_minus2_f4_c_minus2_e_minus2_a6_b_minus4(self):
        """Note 001 set by hand: L.grad = 1.0, d.grad = -2.0, f.grad = 4.0, c.grad = -2.0,
        e.grad = -2.0, a.grad = 6.0, b.grad = -4.0; backward() finds the same."""
        g = L_graph()
        g["L"].backward()
        grads = {k: v.grad for k, v in g.items()}
        assert grads == dict(L=1.0, d=-2.0, f=4.0, c=-2.0, e=-2.0, a=6.0, b=-4.0)

    @pytest.mark.parametrize(
        "node, printed_slope",
        [
            ("L", 0.9999999999976694),
            ("d", -1.9999999999953388),
            ("f", 3.9999999999995595),
            ("c", -1.9999999999953388),
            ("e", -1.9999999999953388),
            ("b", -4.000000000008441),
            ("a", 6.000000000021544),  # the note's print says "with respect to b" by mistake
        ],
    )
    def test_L_bump_slopes_match_printed_and_backward(self, node, printed_slope):
        """Note 001 printed 'gradient for L with respect to <node> = ...' from h = 0.0001 bumps."""
        h = 0.0001
        L1 = L_graph()["L"].data
        assert (L_bumped(node, h) - L1) / h == printed_slope
        g = L_graph()
        g["L"].backward()
        # L is linear in each single node: only rounding error, a few ulp(8) / h ~ 2e-11
        assert abs(g[node].grad - printed_slope) <= 1e-10

    def test_L_gradcheck_bump_check_passes(self):
        """The note's bump-by-h checks of dL/da, dL/db, dL/dc, dL/df, as a gradcheck."""
        report = gradcheck(lambda a, b, c, f: (a * b + c) * f, [2.0, -3.0, 10.0, -2.0])
        assert report, str(report)
        assert [r.analytic for r in report.rows] == [6.0, -4.0, -2.0, 4.0]

    def test_L_step_of_0_01_along_grad_gives_minus_7_286496(self):
        """Note 001: leaf.data += 0.01 * leaf.grad for a, b, c, f, then a forward pass
        printed Value(data=-7.286496, grad=0.0) ('L did increase ... from -8.0 to -7.3')."""
        g = L_graph()
        g["L"].backward()
        leaves = [g[k] for k in "abcf"]
        sgd_step(leaves, -0.01)  # p.data -= -0.01 * grad  is bit-identical to  p.data += 0.01 * grad
        assert [p.data for p in leaves] == [2.0 + 0.01 * 6.0, -3.0 + 0.01 * -4.0, 10.0 + 0.01 * -2.0, -2.0 + 0.01 * 4.0]
        a, b, c, f = leaves
        e = a * b
        d = e + c
        L = d * f
        assert L.data == -7.286496
        assert L.grad == 0.0
        assert L.data > -8.0

    # --- tanh neuron ----------------------------------------------------------------

    def test_tanh_neuron_n_is_0_8813735870195432_and_o_is_0_7071(self):
        """Note 001's neuron: x1=2, x2=0, w1=-3, w2=1, b=6.8813735870195432, o = tanh(n).

        The text calls the output '0.701', which is a typo: tanh(n) = 1/sqrt(2) = 0.7071...
        (the note's own 1 - o**2 = 0.4999999999999999 confirms o = 0.7071...)."""
        g = tanh_neuron()
        assert g["n"].data == 0.8813735870195432
        assert g["o"].data == pytest.approx(1 / math.sqrt(2), rel=2 * EPS64)
        assert round(g["o"].data, 4) == 0.7071

    def test_tanh_neuron_note_formula_gives_do_dn_0_4999999999999999(self):
        """Note 001 printed 1 - (o.data)**2 -> 0.4999999999999999, with o from its tanh
        formula (exp(2n) - 1)/(exp(2n) + 1). Built from engine ops (exp, -, +, /, **2)
        the same formula gives the same bits."""
        g = tanh_neuron(tanh=note_tanh)
        o = g["o"]
        assert o.data == 0.7071067811865476
        assert (1 - o**2).data == 0.4999999999999999
        o.backward()  # backward through the note's formula: d/dn = 4e^2n / (e^2n + 1)^2
        assert g["n"].grad == pytest.approx(0.5, rel=1e-14)

    def test_tanh_neuron_engine_do_dn_is_within_one_ulp_of_printed(self):
        """The engine's tanh is math.tanh, not the note's exp formula. The exact tanh(n) is
        0.70710678118654759..., so the note's 0.7071067811865476 is the correctly rounded
        value (torch float64 gives it too); math.tanh currently returns 0.7071067811865477,
        one ulp above. Then do/dn = 1 - o*o is 0.4999999999999998, two ulps (1.1e-16)
        below the printed 0.4999999999999999 (one ulp of o*o ~ 0.5). The tolerances admit
        either o, so this test holds whether or not the engine's tanh is made correctly
        rounded."""
        g = tanh_neuron()
        o = g["o"]
        assert abs(o.data - 0.7071067811865476) <= ulp(0.7071067811865476)
        o.backward()
        assert g["n"].grad == 1.0 - o.data * o.data
        assert abs(g["n"].grad - 0.4999999999999999) <= 2 * ulp(0.4999999999999999)

    def test_tanh_neuron_grads_match_the_notes_hand_values(self):
        """Note 001 filled in by hand with do/dn = 0.5: x1w1x2w2 = b = x1w1 = x2w2 = 0.5,
        x1 = w1 * 0.5 = -1.5, w1 = x1 * 0.5 = 1.0, x2 = w2 * 0.5 = 0.5, w2 = x2 * 0.5 = 0.0
        ('gradient of w2 = 0.0', 'gradient of w1 = 1'). backward() has do/dn = 1 - o*o,
        a couple of ulps from 0.5, so the products agree to a few ulps; w2's is exactly 0."""
        g = tanh_neuron()
        g["o"].backward()
        dn = g["n"].grad
        expected = dict(x1w1x2w2=0.5, b=0.5, x1w1=0.5, x2w2=0.5, x1=-1.5, w1=1.0, x2=0.5)
        for k, v in expected.items():
            assert g[k].grad == pytest.approx(v, rel=4 * EPS64), k
        assert g["w2"].grad == 0.0
        # the chain rule, exactly as the note writes it
        assert g["x1"].grad == g["w1"].data * dn and g["w1"].grad == g["x1"].data * dn
        assert g["x2"].grad == g["w2"].data * dn and g["w2"].grad == g["x2"].data * dn

    def test_tanh_neuron_step_on_w1_raises_or_lowers_o_and_w2_does_nothing(self):
        """Note 001: 'w1 = w1 + 0.01*1.0' makes o go up, 'w1 = w1 - 0.01*1.0' makes it go
        down; 'changing w2 will not have any impact' since its gradient is 0."""
        o = tanh_neuron()["o"].data
        assert tanh_neuron(w1=-3.0 + 0.01 * 1.0)["o"].data > o
        assert tanh_neuron(w1=-3.0 - 0.01 * 1.0)["o"].data < o
        g = tanh_neuron()
        g["w2"].data += 0.01
        assert g["w2"].data != 1.0
        x1w1x2w2 = g["x1"] * g["w1"] + g["x2"] * g["w2"]
        assert (x1w1x2w2 + g["b"]).tanh().data == o

    def test_tanh_neuron_gradcheck_bump_check_passes(self):
        f = lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh()
        report = gradcheck(f, [2.0, 0.0, -3.0, 1.0, 6.8813735870195432])
        assert report, str(report)


# =====================================================================================
# Note 002: chain-rule graphs at a = 3, b = -5, d = 2
# =====================================================================================
#
# The notebook's helpers (chainRuleUtils, not shown) evidently compute a forward
# difference with h = 0.001 and *mutate the leaf they bump*: grad_of_a_*(a, ...) does
# z1 = z(a, b, d); a.data += 0.001; z2 = z(a, b, d); return (z2 - z1) / 0.001, and so
# on for b and d. grad_of_c* bumps only a local copy of c. That is why the printed
# leaves drift (a : Value(3.001), b : Value(-4.999), ...). Replaying that model with
# engine Values reproduces every printed a, b, c, d and every printed slope to the bit.

H002 = 0.001

ADD = lambda x, y: x + y
MUL = lambda x, y: x * y

# graph name -> (inner op making c from (a, b), outer op making z from (c, second input),
#                second input of the outer op: "d" or "b")
GRAPHS_002 = {
    "cell5_add_then_mul": (ADD, MUL, "d"),  # c = a + b, z = c * d
    "cell6_mul_then_add": (MUL, ADD, "d"),  # c = a * b, z = c + d
    "cell7_mul_then_mul": (MUL, MUL, "d"),  # c = a * b, z = c * d
    "cell8_add_then_add": (ADD, ADD, "d"),  # c = a + b, z = c + d
    "cell9_b_used_twice_add": (ADD, ADD, "b"),  # c = a + b, z = c + b
    "cell10_b_used_twice_mul": (ADD, MUL, "b"),  # c = a + b, z = c * b
}


def graph002(name, a, b, d):
    """Build graph `name` on Values a, b, d; returns (c, z)."""
    inner, outer, second = GRAPHS_002[name]
    c = inner(a, b)
    z = outer(c, d if second == "d" else b)
    return c, z


class ChainRuleNotebook:
    """Replays note 002's cells with engine Values a, b, d and the mutating helpers.

    Every helper call is recorded with the engine's backward() gradient at the point the
    helper evaluated it (before its bump), so tests can compare both."""

    def __init__(self):
        self.a, self.b, self.d = Value(3.0, label="a"), Value(-5.0, label="b"), Value(2.0, label="d")
        self.calls = []  # (cell, wrt, slope, backward_grad, curvature_term)
        self.printed = []  # (cell, {"a": ..., "b": ..., "c": ..., "d": ...}) as the cell prints them

    def _z(self, name):
        if name == "add":
            return None, self.a + self.b
        if name == "mul":
            return None, self.a * self.b
        return graph002(name, self.a, self.b, self.d)

    def _backward_grad(self, name, wrt):
        a, b, d = Value(self.a.data), Value(self.b.data), Value(self.d.data)
        if name in ("add", "mul"):
            c, z = None, (a + b if name == "add" else a * b)
        else:
            c, z = graph002(name, a, b, d)
        z.backward()
        return dict(a=a, b=b, c=c, d=d)[wrt].grad

    def slope(self, cell, name, wrt):
        """grad_of_<wrt><graph>(a, b, d): a forward difference that leaves `wrt` bumped."""
        grad = self._backward_grad(name, wrt)
        _, z1 = self._z(name)
        if wrt == "c":  # c is a local intermediate: bump a copy, nothing drifts
            inner, outer, second = GRAPHS_002[name]
            c = inner(self.a, self.b)
            other = self.d if second == "d" else self.b
            z2 = outer(Value(c.data + H002), other)
        else:
            leaf = getattr(self, wrt)
            leaf.data += H002
            _, z2 = self._z(name)
        s = (z2.data - z1.data) / H002
        # the only curved case: z = (a + b) * b is quadratic in b, so its forward
        # difference is exactly dz/db + (d2z/db2) * h / 2 = dz/db + h
        curvature = H002 if (name == "cell10_b_used_twice_mul" and wrt == "b") else 0.0
        self.calls.append((cell, wrt, s, grad, curvature))
        return s

    def show(self, cell, names, c=None):
        values = {n: getattr(self, n).data for n in names}
        if c is not None:
            values["c"] = c.data
        self.printed.append((cell, values))

    def run(self):
        out = {}
        self.show(3, "ab")
        out[3] = [self.slope(3, "add", "a"), self.slope(3, "add", "b")]
        self.show(4, "ab")
        out[4] = [self.slope(4, "mul", "a"), self.slope(4, "mul", "b")]
        for cell, name in [(5, "cell5_add_then_mul"), (6, "cell6_mul_then_add"),
                           (7, "cell7_mul_then_mul"), (8, "cell8_add_then_add")]:
            c, _ = graph002(name, self.a, self.b, self.d)
            self.show(cell, "abd", c)
            out[cell] = [self.slope(cell, name, w) for w in "cdab"]
        for cell, name in [(9, "cell9_b_used_twice_add"), (10, "cell10_b_used_twice_mul")]:
            c, _ = graph002(name, self.a, self.b, self.d)
            self.show(cell, "ab", c)
            out[cell] = [self.slope(cell, name, w) for w in "cab"]
        return out

    def final_step(self, use_backward=False):
        """Cell 11: print a, b, c, d and z = c*d; grads from grad_of_{a,b,c,d}3 (which drift
        a, b, d once more); leaf.data += 0.01 * grad; c = a*b; z = c*d."""
        name = "cell7_mul_then_mul"
        c, z = graph002(name, self.a, self.b, self.d)
        self.show(11, "abd", c)
        initial = z.data
        grads = {}
        for w in "abcd":
            fd = self.slope(11, name, w)
            grads[w] = self.calls[-1][3] if use_backward else fd
        self.a.data += 0.01 * grads["a"]
        self.b.data += 0.01 * grads["b"]
        self.d.data += 0.01 * grads["d"]  # (the note also nudges c.data, which is then recomputed)
        c, z = graph002(name, self.a, self.b, self.d)
        return initial, z.data


# what note 002 printed, cell by cell
NOTE002_LEAVES = [
    (3, dict(a=3.0, b=-5.0)),
    (4, dict(a=3.001, b=-4.999)),
    (5, dict(a=3.002, b=-4.997999999999999, c=-1.9959999999999996, d=2.0)),
    (6, dict(a=3.0029999999999997, b=-4.996999999999999, c=-15.005990999999995, d=2.001)),
    (7, dict(a=3.0039999999999996, b=-4.995999999999999, c=-15.007983999999993, d=2.002)),
    (8, dict(a=3.0049999999999994, b=-4.994999999999998, c=-1.9899999999999989, d=2.0029999999999997)),
    (9, dict(a=3.0059999999999993, b=-4.993999999999998, c=-1.9879999999999987)),
    (10, dict(a=3.0069999999999992, b=-4.992999999999998, c=-1.9859999999999984)),
]
NOTE002_SLOPES = {
    3: [0.9999999999998899, 1.000000000000334],  # dz/da, dz/db of z = a + b
    4: [-4.998999999999754, 3.0020000000003932],  # dz/da, dz/db of z = a * b
    5: [1.9999999999997797, -1.9959999999996647, 2.0009999999994754, 2.0010000000008077],  # c, d, a, b
    6: [0.9999999999994458, 0.9999999999994458, -4.996999999999474, 3.004000000000673],
    7: [2.0020000000009475, -15.00798399999681, -10.00698800000066, 6.019015000003236],
    8: [0.9999999999998899, 0.9999999999998899, 0.9999999999998899, 1.000000000000334],
    9: [1.000000000000334, 1.000000000000334, 2.000000000000668],  # c, a, b
    10: [-4.992999999998915, -4.992999999998915, -6.9770000000026755],
}
NOTE002_CELL11_LEAVES = dict(a=3.007999999999999, b=-4.991999999999997, c=-15.015935999999988, d=2.0039999999999996)
NOTE002_Z_INITIAL = -30.09193574399997
NOTE002_Z_FINAL = -26.604083653091294


class TestNote002ChainRule:
    # --- the clean point a=3, b=-5, d=2: exact analytic gradients -------------------

    @pytest.mark.parametrize(
        "op, z_data, grads",
        [(ADD, -2.0, dict(a=1.0, b=1.0)), (MUL, -15.0, dict(a=-5.0, b=3.0))],
        ids=["z=a+b", "z=a*b"],
    )
    def test_single_op_grads_at_clean_point(self, op, z_data, grads):
        """Cells 3-4: '+' routes the gradient (1, 1); '*' swaps the inputs (dz/da = b, dz/db = a)."""
        a, b = Value(3.0), Value(-5.0)
        z = op(a, b)
        z.backward()
        assert z.data == z_data
        assert dict(a=a.grad, b=b.grad) == grads

    @pytest.mark.parametrize(
        "name, c_data, z_data, grads",
        [
            ("cell5_add_then_mul", -2.0, -4.0, dict(c=2.0, d=-2.0, a=2.0, b=2.0)),
            ("cell6_mul_then_add", -15.0, -13.0, dict(c=1.0, d=1.0, a=-5.0, b=3.0)),
            ("cell7_mul_then_mul", -15.0, -30.0, dict(c=2.0, d=-15.0, a=-10.0, b=6.0)),
            ("cell8_add_then_add", -2.0, 0.0, dict(c=1.0, d=1.0, a=1.0, b=1.0)),
            ("cell9_b_used_twice_add", -2.0, -7.0, dict(c=1.0, d=0.0, a=1.0, b=2.0)),
            ("cell10_b_used_twice_mul", -2.0, 10.0, dict(c=-5.0, d=0.0, a=-5.0, b=-7.0)),
        ],
    )
    def test_chain_rule_graph_grads_at_clean_point(self, name, c_data, z_data, grads):
        """Cells 5-10 at a=3, b=-5, d=2: dz/da = dz/dc * dc/da, and b, used twice in
        cells 9-10, accumulates both paths (dz/dc * dc/db + dz/db: 1 + 1, and b + c)."""
        a, b, d = Value(3.0, label="a"), Value(-5.0, label="b"), Value(2.0, label="d")
        c, z = graph002(name, a, b, d)
        z.backward()
        assert (c.data, z.data) == (c_data, z_data)
        assert dict(c=c.grad, d=d.grad, a=a.grad, b=b.grad) == grads

    # --- the notebook as it ran: drifting leaves ------------------------------------

    def test_printed_leaf_values_drift_by_0_001_per_helper_call(self):
        """Every 'a : Value(...)', 'b : ...', 'c : ... <-- [a+b]', 'd : ...' printed in
        cells 3-10, e.g. c : Value(-1.9959999999999996) = a + b at a=3.002, b=-4.998."""
        nb = ChainRuleNotebook()
        nb.run()
        assert nb.printed == NOTE002_LEAVES

    def test_printed_slopes_replayed_with_engine_forward_are_bit_identical(self):
        """Every 'dz/d. : ...' the note printed in cells 3-10, recomputed as the helpers
        did with the engine's forward (Value.data), to the bit."""
        assert ChainRuleNotebook().run() == NOTE002_SLOPES

    def test_backward_at_each_drifted_point_matches_printed_slope(self):
        """Each printed slope is a forward difference at the drifted point the helper saw;
        backward() at that very point gives the exact partial, e.g. cell 7's dz/da printed
        -10.00698800000066 ~ b*d = -4.996 * 2.003 (d already bumped by grad_of_d3).

        Every graph is linear in each single input except z = (a+b)*b in b (cell 10), so
        slope - grad is pure rounding (a few ulp(|z| <= 31) / h <= 3e-11), plus exactly h
        for that quadratic case (printed -6.9770000000026755 = a + 2b + h)."""
        nb = ChainRuleNotebook()
        slopes = nb.run()
        printed = [s for cell in sorted(NOTE002_SLOPES) for s in NOTE002_SLOPES[cell]]
        assert [call[2] for call in nb.calls] == printed == [s for cell in sorted(slopes) for s in slopes[cell]]
        for cell, wrt, slope, grad, curvature in nb.calls:
            assert abs(slope - (grad + curvature)) <= 1e-10, (cell, wrt, slope, grad)

    def test_cell7_grad_of_a3_is_b_times_bumped_d(self):
        """Cell 7 printed dz/da -10.00698800000066: by then grad_of_d3 had moved d from
        2.002 to 2.0029999999999997, so it is b*d = -4.995999999999999 * 2.0029999999999997."""
        a = Value(3.0039999999999996)
        b = Value(-4.995999999999999)
        d = Value(2.0029999999999997)
        z = (a * b) * d
        z.backward()
        assert a.grad == b.data * d.data
        assert a.grad == pytest.approx(-10.006988, abs=1e-14)
        assert abs(a.grad - -10.00698800000066) <= 1e-10

    def test_cell11_initial_z_and_final_z_after_the_0_01_step_are_printed_values(self):
        """Cell 11 printed a, b, c, d, 'initial : z : Value(-30.09193574399997)', took the
        helpers' finite-difference grads (drifting a, b, d once more) and stepped
        leaf.data += 0.01 * grad: 'final : ... Value(-26.604083653091294)'. Replayed to the bit."""
        nb = ChainRuleNotebook()
        nb.run()
        initial, final = nb.final_step()
        assert nb.printed[-1] == (11, NOTE002_CELL11_LEAVES)
        assert initial == NOTE002_Z_INITIAL
        assert final == NOTE002_Z_FINAL
        assert final > initial  # 'z should now be less negative'

    def test_cell11_step_with_backward_grads_matches_printed_final_z(self):
        """The same step with backward() grads (at the same drifted points) in place of the
        helpers' slopes. Those slopes differ from the exact partials by rounding only
        (z is linear in each leaf): |slope - grad| <= ~3e-11, so after the 0.01 step each
        leaf moves <= 3e-13 and z (|dz/dleaf| <= 16) <= ~1.5e-11: rel 1e-12 on 26.6."""
        nb = ChainRuleNotebook()
        nb.run()
        initial, final = nb.final_step(use_backward=True)
        assert initial == NOTE002_Z_INITIAL
        assert final == pytest.approx(NOTE002_Z_FINAL, rel=1e-12)

    def test_chain_rule_graphs_gradcheck_at_clean_point(self):
        for name in GRAPHS_002:
            report = gradcheck(lambda a, b, d, name=name: graph002(name, a, b, d)[1], [3.0, -5.0, 2.0])
            assert report, f"{name}\n{report}"


# =====================================================================================
# Note 003: ReLU neuron x = [1, -2, 3], w = [-3, -1, 2], b = 1; a 3-neuron layer
# =====================================================================================


def relu_neuron(w=(-3.0, -1.0, 2.0), b=1.0, use_maximum=False):
    """The note's order: z = xw0 + xw1 + xw2 + b; y = max(z, 0)."""
    x = [Value(v, label=f"x{i}") for i, v in enumerate([1.0, -2.0, 3.0])]
    w = [Value(v, label=f"w{i}") for i, v in enumerate(w)]
    b = Value(b, label="b")
    z = x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + b
    y = maximum(z, 0.0) if use_maximum else z.relu()
    return x, w, b, z, y


LAYER_WEIGHTS = [  # one row per neuron, as the note's array before .T
    [0.2, 0.8, -0.5, 1.0],
    [0.5, -0.91, 0.26, -0.5],
    [-0.26, -0.27, 0.17, 0.87],
]


class TestNote003ReluNeuron:
    @pytest.mark.parametrize("use_maximum", [False, True], ids=["relu", "maximum_z_0"])
    def test_relu_neuron_forward_is_6(self, use_maximum):
        """Note 003 printed 'Weighted Sum =  6.0', 'Output after activation =  6.0'."""
        *_, z, y = relu_neuron(use_maximum=use_maximum)
        assert z.data == 6.0 and y.data == 6.0

    @pytest.mark.parametrize("use_maximum", [False, True], ids=["relu", "maximum_z_0"])
    def test_relu_neuron_grads_x_minus3_minus1_2_w_1_minus2_3_b_1(self, use_maximum):
        """Note 003 printed Gradient x0..x2 = -3.0, -1.0, 2.0; w0..w2 = 1.0, -2.0, 3.0;
        Bias = 1 (dvalue = 1, z > 0 so ReLU passes it)."""
        x, w, b, z, y = relu_neuron(use_maximum=use_maximum)
        y.backward()
        assert [v.grad for v in x] == [-3.0, -1.0, 2.0]
        assert [v.grad for v in w] == [1.0, -2.0, 3.0]
        assert b.grad == 1.0

    @pytest.mark.parametrize("b", [-4.0, -5.0, -6.0], ids=["z=1", "z=0", "z=-1"])
    def test_relu_neuron_passes_gradient_only_when_weighted_sum_is_positive(self, b):
        """Note 003's rule drelu_dsum = dvalue * (1 if z > 0 else 0): with b lowered so
        that z = 1, 0, -1, the bias gradient is 1, 0, 0 (at z = 0 too, as the note's rule)."""
        x, w, bv, z, y = relu_neuron(b=b)
        y.backward()
        assert z.data == 5.0 + b
        assert bv.grad == (1.0 if z.data > 0 else 0.0)
        assert [v.grad for v in w] == ([1.0, -2.0, 3.0] if z.data > 0 else [0.0, 0.0, 0.0])

    def test_nn_neuron_with_the_notes_weights_gives_the_same_forward_and_grads(self):
        n = Neuron(3, activation="relu")
        for p, v in zip(n.parameters(), [-3.0, -1.0, 2.0, 1.0]):
            p.data = v
        x = [Value(1.0), Value(-2.0), Value(3.0)]
        y = n(x)
        y.backward()
        assert y.data == 6.0
        assert [v.grad for v in x] == [-3.0, -1.0, 2.0]
        assert [p.grad for p in n.parameters()] == [1.0, -2.0, 3.0, 1.0]

    def test_one_step_of_minus_0_001_gives_the_printed_initial_weights_and_5_985(self):
        """Note 003 printed 'Initial Weights and bias =  [-3.001, -0.998, 1.997] 0.999':
        that line already shows the weights after one step (the cell ran twice), and
        one step from the original weights gives exactly those, with output 5.985
        (the text: 'decreased this neuron's output from 6.000 to 5.985')."""
        x, w, b, z, y = relu_neuron()
        y.backward()
        sgd_step(w + [b], 0.001)  # w += -0.001 * grad, bit for bit
        assert [p.data for p in w] == [-3.001, -0.998, 1.997] and b.data == 0.999
        *_, y1 = relu_neuron([p.data for p in w], b.data)
        assert y1.data == 5.985

    def test_two_steps_give_printed_after_weights_and_5_9700000000000015(self):
        """Note 003 printed 'After delta change Weights and Bias =  [-3.002, -0.996,
        1.9940000000000002] 0.998' and 5.9700000000000015: the second application of the
        step. Grads are recomputed by backward() each time (they equal the first ones,
        x and 1, since the ReLU stays active)."""
        w, b = [-3.0, -1.0, 2.0], 1.0
        for _ in range(2):
            x, wv, bv, z, y = relu_neuron(w, b)
            y.backward()
            assert [p.grad for p in wv] == [1.0, -2.0, 3.0] and bv.grad == 1.0
            sgd_step(wv + [bv], 0.001)
            w, b = [p.data for p in wv], bv.data
        assert w == [-3.002, -0.996, 1.9940000000000002] and b == 0.998
        *_, y2 = relu_neuron(w, b)
        assert y2.data == 5.9700000000000015

    def test_layer_dinputs_are_0_44_minus0_38_minus0_07_1_37(self):
        """Note 003 printed dinputs [0.44, -0.38, -0.07, 1.37] for 3 neurons with the
        weights above and dvalue = [1, 1, 1]: dx_i = sum over neurons of w[j][i].

        numpy printed 8 digits; in float the sums are not exactly 0.44 etc. (Python's
        0.2 + 0.5 + -0.26 is 0.43999999999999995), and the engine adds the three
        contributions in its own (deterministic) order, so each input's grad must be
        exactly the float sum of the three weights in *some* order, and within 5e-9 of
        the printed rounding."""
        layer = Layer(4, 3, activation="linear")
        for neuron, row in zip(layer.neurons, LAYER_WEIGHTS):
            for p, v in zip(neuron.w, row):
                p.data = v
            neuron.b.data = 0.0
        x = [Value(v) for v in (1.0, 2.0, 3.0, 2.5)]
        out = layer(x)
        total = out[0] + out[1] + out[2]  # dvalue = 1 for each neuron
        total.backward()
        printed = [0.44, -0.38, -0.07, 1.37]
        for i, xi in enumerate(x):
            column = [row[i] for row in LAYER_WEIGHTS]
            orders = {(p + q) + r for p, q, r in itertools.permutations(column)}
            assert xi.grad in orders, (i, xi.grad, orders)
            assert xi.grad == pytest.approx(printed[i], abs=5e-9)
            assert xi.grad == pytest.approx(math.fsum(column), abs=2 * ulp(2.0))

    def test_relu_neuron_gradcheck_bump_check_passes(self):
        f = lambda x0, x1, x2, w0, w1, w2, b: (x0 * w0 + x1 * w1 + x2 * w2 + b).relu()
        report = gradcheck(f, [1.0, -2.0, 3.0, -3.0, -1.0, 2.0, 1.0])
        assert report, str(report)


# =====================================================================================
# Note 004: computation graphs, labs, 2-layer ReLU net
# =====================================================================================


def cost_graph(w=2.0, b=8.0, x=-2.0, y=2.0):
    """c = w*x; a = c + b; d = a - y; J = d**2 / 2."""
    w, b, x, y = Value(w, label="w"), Value(b, label="b"), Value(x, label="x"), Value(y, label="y")
    c = w * x
    a = c + b
    d = a - y
    J = d**2 / 2
    return dict(w=w, b=b, x=x, y=y, c=c, a=a, d=d, J=J)


def two_layer_net(w1=2.0, b1=0.0, w2=3.0, b2=1.0, x=1.0, y=5.0):
    """t1 = w1*x; z1 = t1 + b1; a1 = relu(z1); t2 = w2*a1; z2 = t2 + b2; a2 = relu(z2);
    J = (a2 - y)**2 / 2."""
    w1, b1, w2, b2, x, y = (Value(v, label=n) for v, n in zip((w1, b1, w2, b2, x, y), ("w1", "b1", "w2", "b2", "x", "y")))
    t1 = w1 * x
    z1 = t1 + b1
    a1 = z1.relu()
    t2 = w2 * a1
    z2 = t2 + b2
    a2 = z2.relu()
    J = (a2 - y) ** 2 / 2
    return dict(w1=w1, b1=b1, w2=w2, b2=b2, x=x, y=y, t1=t1, z1=z1, a1=a1, t2=t2, z2=z2, a2=a2, J=J)


class TestNote004CostGraph:
    """The lecture's graph: w=2, b=8, x=-2, y=2."""

    def test_cost_graph_forward_c_minus4_a4_d2_J2(self):
        g = cost_graph()
        assert (g["c"].data, g["a"].data, g["d"].data, g["J"].data) == (-4.0, 4.0, 2.0, 2.0)

    def test_cost_graph_grads_d2_a2_c2_b2_w_minus4(self):
        """dJ/dd = 2, dJ/da = 2, dJ/dc = 2, dJ/db = 2, dJ/dw = -4."""
        g = cost_graph()
        g["J"].backward()
        assert {k: g[k].grad for k in ("d", "a", "c", "b", "w")} == dict(d=2.0, a=2.0, c=2.0, b=2.0, w=-4.0)

    def test_cost_graph_epsilon_chain_values(self):
        """The note's bumps with epsilon = 0.001: 'd goes from 2 to 2.001, then J goes from
        2 to 2.002' (2.0020005 exactly, the note rounds); 'a becomes 4.001, d becomes
        2.001'; 'c ... -3.999, then a ... becomes 4.001'; 'w 2.001 ... c becomes -4.002'."""
        J_of_d = (Value(2.001) ** 2 / 2).data
        assert J_of_d == pytest.approx(2.0020005, abs=1e-15)
        assert J_of_d == pytest.approx(2.002, abs=1e-6)  # printed to 3 decimals
        assert (Value(4.001) - 2).data == pytest.approx(2.001, abs=1e-15)
        assert (Value(-3.999) + 8).data == pytest.approx(4.001, abs=1e-15)
        g = cost_graph(w=2.001)
        assert g["c"].data == pytest.approx(-4.002, abs=1e-15)

    def test_cost_graph_J_at_w_2_001_is_1_996002(self):
        """The note: 'if w were to go up by 0.001, then J ... turns out to be 1.996002'
        ('J has gone down by 4 times epsilon'). The forward difference is -3.998: it
        differs from dJ/dw = -4 by exactly the curvature term J''(w) h / 2 = x^2 h / 2 = 0.002."""
        J0 = cost_graph()["J"].data
        J1 = cost_graph(w=2.001)["J"].data
        assert J1 == pytest.approx(1.996002, abs=1e-14)
        slope = (J1 - J0) / 0.001
        assert slope == pytest.approx(-4.0 + (-2.0) ** 2 * 0.001 / 2, abs=1e-10)

    def test_cost_graph_gradcheck(self):
        report = gradcheck(lambda w, b: ((w * -2.0 + b) - 2.0) ** 2 / 2, [2.0, 8.0])
        assert report, str(report)
        assert [r.analytic for r in report.rows] == [-4.0, 2.0]


class TestNote004TwoLayerReluNet:
    """The lecture's net: x=1, y=5, w1=2, b1=0, w2=3, b2=1, ReLU activations."""

    def test_two_layer_forward_a1_2_t2_6_z2_7_a2_7_J_2(self):
        g = two_layer_net()
        vals = {k: g[k].data for k in ("t1", "z1", "a1", "t2", "z2", "a2", "J")}
        assert vals == dict(t1=2.0, z1=2.0, a1=2.0, t2=6.0, z2=7.0, a2=7.0, J=2.0)

    def test_two_layer_grads_w1_6_b1_6_w2_4_b2_2(self):
        """dJ/da2 = 2, dJ/dz2 = 2, dJ/db2 = 2, dJ/dt2 = 2, ... dJ/dw1 = 6 (the note's
        screenshot: w1 6, b1 6, w2 4, b2 2)."""
        g = two_layer_net()
        g["J"].backward()
        assert (g["a2"].grad, g["z2"].grad, g["t2"].grad) == (2.0, 2.0, 2.0)
        assert (g["w1"].grad, g["b1"].grad, g["w2"].grad, g["b2"].grad) == (6.0, 6.0, 4.0, 2.0)

    def test_two_layer_J_at_w1_2_001_is_2_006005(self):
        """The note: w1 = 2.001 makes a1 2.001, a2 7.003, and J = 2.003^2 / 2 'equal to
        2.006005' (exactly 2.0060045; the note rounds to 6 decimals). The slope 6.0045
        differs from dJ/dw1 = 6 by the curvature term (w2 x)^2 h / 2 = 9 * 0.001 / 2."""
        g = two_layer_net(w1=2.001)
        assert g["a1"].data == 2.001
        assert g["a2"].data == pytest.approx(7.003, abs=1e-14)
        assert g["J"].data == pytest.approx(2.0060045, abs=1e-14)
        assert g["J"].data == pytest.approx(2.006005, abs=1e-6)
        slope = (g["J"].data - two_layer_net()["J"].data) / 0.001
        assert slope == pytest.approx(6.0 + 9 * 0.001 / 2, abs=1e-10)

    def test_two_layer_gradcheck_bump_each_parameter(self):
        """The note: 'increase every parameter, one at a time by a little bit to see how
        that changes J' -- which is gradcheck."""
        f = lambda w1, b1, w2, b2: ((w2 * (w1 * 1.0 + b1).relu() + b2).relu() - 5.0) ** 2 / 2
        report = gradcheck(f, [2.0, 0.0, 3.0, 1.0], labels=["w1", "b1", "w2", "b2"])
        assert report, str(report)
        assert [r.analytic for r in report.rows] == [6.0, 6.0, 4.0, 2.0]


class TestNote004DerivativesLab:
    """Optional lab 'Derivatives': J(w) = w^2."""

    def test_J_w_squared_at_3_is_9_with_grad_6(self):
        w = Value(3.0)
        J = w**2
        J.backward()
        assert J.data == 9.0 and w.grad == 6.0

    def test_J_w_squared_epsilon_0_001_gives_9_006001_and_k_6_001000(self):
        """Printed 'J = 9, J_epsilon = 9.006001, dJ_dw ~= k = 6.001000' (k:0.6f); k - 6 is
        exactly the curvature term h = 0.001."""
        J_eps = (Value(3 + 0.001) ** 2).data
        assert J_eps == pytest.approx(9.006001, abs=1e-14)
        k = (J_eps - 9) / 0.001
        assert f"{k:0.6f}" == "6.001000"
        w = Value(3.0)
        (w**2).backward()
        assert k == pytest.approx(w.grad + 0.001, abs=1e-10)

    def test_J_w_squared_epsilon_1e_9_gives_printed_k_6_000000496442226(self):
        """Printed 'J_epsilon = 9.000000006, dJ_dw ~= k = 6.000000496442226': same float
        ops through the engine's forward, same bits; k is within rounding (~ulp(9)/h = 1.8e-6)."""
        J_eps = (Value(3 + 0.000000001) ** 2).data
        assert J_eps == 9.000000006
        k = (J_eps - 9) / 0.000000001
        assert k == 6.000000496442226
        w = Value(3.0)
        (w**2).backward()
        assert abs(k - w.grad) <= 2 * ulp(9.0) / 0.000000001

    @pytest.mark.parametrize("w, grad", [(2.0, 4.0), (3.0, 6.0), (-3.0, -6.0)])
    def test_J_w_squared_grad_is_2w_at_2_3_minus3(self, w, grad):
        """SymPy's dJ_dw.subs: 4 at w=2, 6 at w=3, -6 at w=-3."""
        v = Value(w)
        (v**2).backward()
        assert v.grad == grad


class TestNote004ComputationGraphLab:
    def test_lab1_J_2_plus_3w_squared_at_w3_a11_J121(self):
        """Printed 'a = 11, J = 121'."""
        w = Value(3.0)
        a = 2 + 3 * w
        J = a**2
        assert (a.data, J.data) == (11.0, 121.0)

    def test_lab1_grads_dJ_da_22_dJ_dw_66(self):
        """dJ/da = 2a = 22, da/dw = 3, dJ/dw = 66."""
        w = Value(3.0)
        a = 2 + 3 * w
        J = a**2
        J.backward()
        assert (a.grad, w.grad) == (22.0, 66.0)

    def test_lab1_epsilon_values_as_printed(self):
        """Printed: 'J_epsilon = 121.02200099999999, dJ_da ~= k = 22.000999999988835';
        'a_epsilon = 11.003, da_dw ~= k = 3.0000000000001137';
        'J_epsilon = 121.06600900000001, dJ_dw ~= k = 66.0090000000082'.
        The forward differences exceed the gradients by their curvature terms h (for a^2)
        and 9h/2 * 2 = 9h (for (2+3w)^2), plus rounding."""
        h = 0.001
        w = Value(3.0)
        a = 2 + 3 * w
        J = a**2
        J.backward()
        J_eps_a = (Value(a.data + h) ** 2).data
        assert J_eps_a == 121.02200099999999
        k_a = (J_eps_a - J.data) / h
        assert k_a == 22.000999999988835
        assert abs(k_a - (a.grad + h)) <= 1e-9
        a_eps = (2 + 3 * Value(3.0 + h)).data
        assert a_eps == 11.003
        k_aw = (a_eps - a.data) / h
        assert k_aw == 3.0000000000001137
        assert abs(k_aw - 3.0) <= 1e-11  # a is linear in w: rounding only
        J_eps_w = ((2 + 3 * Value(3.0 + h)) ** 2).data
        assert J_eps_w == 121.06600900000001
        k_w = (J_eps_w - J.data) / h
        assert k_w == 66.0090000000082
        assert abs(k_w - (w.grad + 9 * h)) <= 1e-9

    def test_lab2_forward_J_4_5_d3_a4_c_minus4(self):
        """Printed 'J=4.5, d=3, a=4, c=-4' for x=2, w=-2, b=8, y=1."""
        g = cost_graph(w=-2.0, b=8.0, x=2.0, y=1.0)
        assert (g["J"].data, g["d"].data, g["a"].data, g["c"].data) == (4.5, 3.0, 4.0, -4.0)

    def test_lab2_grads_d3_a3_c3_b3_w6(self):
        """dJ/dd = d = 3, dJ/da = 3, dJ/dc = dJ/db = 3, dJ/dw = x*d = 2*d = 6."""
        g = cost_graph(w=-2.0, b=8.0, x=2.0, y=1.0)
        g["J"].backward()
        grads = {k: g[k].grad for k in ("d", "a", "c", "b", "w")}
        assert grads == dict(d=3.0, a=3.0, c=3.0, b=3.0, w=6.0)
        assert g["w"].grad == g["x"].data * g["d"].data  # the printed 'dJ_dw = 2*d'

    def test_lab2_epsilon_values_as_printed(self):
        """Printed 'J_epsilon = 4.5030005, dJ_dd ~= k = 3.0004999999997395' and
        'd_epsilon = 3.0010000000000003, dd_da ~= k = 1.000000000000334'."""
        h = 0.001
        g = cost_graph(w=-2.0, b=8.0, x=2.0, y=1.0)
        g["J"].backward()
        J_eps = (Value(g["d"].data + h) ** 2 / 2).data
        assert J_eps == 4.5030005
        k = (J_eps - g["J"].data) / h
        assert k == 3.0004999999997395
        assert abs(k - (g["d"].grad + h / 2)) <= 1e-9  # J'' = 1: curvature term h/2
        d_eps = (Value(g["a"].data + h) - 1).data
        assert d_eps == 3.0010000000000003
        k = (d_eps - g["d"].data) / h
        assert k == 1.000000000000334
        assert abs(k - 1.0) <= 1e-11  # d = a - y is linear: rounding only

    def test_lab2_unprinted_arithmetic_checks_match_too(self):
        """The lab's last two arithmetic checks (dJ/da and dJ/dw by an 0.001 bump; outputs
        not shown, 'They match! Great.'): forward differences equal the grads plus the
        curvature terms h/2 and x^2 h/2."""
        h = 0.001
        g = cost_graph(w=-2.0, b=8.0, x=2.0, y=1.0)
        g["J"].backward()
        k_a = ((Value(4.0 + h) - 1) ** 2 / 2 - g["J"].data).data / h
        assert abs(k_a - (g["a"].grad + h / 2)) <= 1e-9
        k_w = (cost_graph(w=-2.0 + h, b=8.0, x=2.0, y=1.0)["J"].data - g["J"].data) / h
        assert abs(k_w - (g["w"].grad + 2.0**2 * h / 2)) <= 1e-9
        report = gradcheck(lambda w, b: ((w * 2.0 + b) - 1.0) ** 2 / 2, [-2.0, 8.0])
        assert report, str(report)
