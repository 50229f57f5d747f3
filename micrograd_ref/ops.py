"""The op table: the one place that says what every op is.

Each row gives an op's forward and its backward (the gradient it sends to each
input, given the upstream gradient ``g`` and its output ``out``) side by side,
in the style of PyTorch's ``derivatives.yaml``, plus how the op is spelled in
user code (``call``), which the parity harness uses to replay graphs in
micrograd_ref and in torch alike, and the conventions it follows at special
values. The engine (``engine.py``), the spec (``docs/SPEC.md``, generated from
this table by ``python -m parity spec``) and the harness all read this table;
adding an op is one row here plus its tests.

Forward and backward formulas are written exactly as torch float64 evaluates
them (same operations in the same order), so the engine agrees with torch to the
last bit wherever only + - * / and comparisons are involved, and produces the same
inf/nan/0 at every special value. tanh, exp, log and pow come from the platform's
libm (CPython's math), which rounds differently from torch's own kernels on some
inputs (tanh on about 1 input in 10, exp 1 in 200, log 1 in 1500; never more than
an ulp or two), which is why the harness compares those graphs with a tolerance.
A ``0.0`` written as a constant in a backward formula (not multiplied by ``g``)
is a *masked* gradient, as torch's ``where``/``masked_fill``: it stays 0.0
even when the upstream gradient is inf or nan.
"""

from dataclasses import dataclass, field, replace
from typing import Callable

import math

from . import floats


@dataclass(frozen=True)
class Op:
    name: str  # the op's name in graphs, golden vectors and the spec
    symbol: str  # how drawings show it
    arity: int  # number of Value inputs
    forward: Callable  # (*input_data, *params) -> out
    backward: Callable  # (g, out, *input_data, *params) -> one gradient per input
    spelling: str  # the op in user code, over inputs a, b, params k and a module ns (micrograd_ref or torch)
    math: str  # the forward as a formula
    grads: tuple  # the gradient sent to each input, as formulas
    params: tuple = ()  # names of plain-number parameters (not graph nodes)
    conventions: tuple = field(default=())  # special values, ties, edge cases
    args: tuple = ()  # the parameter values of a bound row (see bind)

    def bind(self, *args):
        """This row with its parameters fixed (v ** 2 uses POW_SCALAR.bind(2.0)): forward and
        backward then take only the inputs, like every other op. Bound rows are cached.
        The symbol carries the parameters as micrograd spells them: '**2', '**0.5'."""
        key = (self.name, args)
        op = _BOUND.get(key)
        if op is None:
            row = self
            op = _BOUND[key] = replace(
                self,
                symbol=self.symbol + ",".join(_number(k) for k in args),
                forward=lambda *xs: row.forward(*xs, *args),
                backward=lambda g, out, *xs: row.backward(g, out, *xs, *args),
                args=args,
            )
        return op

    def __reduce__(self):
        # pickle and deepcopy a row by name (and parameters): rows hold functions
        if OPS.get(self.name) is self:
            return _table_row, (self.name,)
        if self.args and _BOUND.get((self.name, self.args)) is self:
            return _bound_row, (self.name, self.args)
        raise TypeError(f"cannot pickle op row {self.name!r}: it is not a row of the op table (ops.OPS)")

    @property
    def call(self):
        """spelling as a function (ns, *inputs, *params); the harness replays graphs with it."""
        fn = _CALLS.get(self.name)
        if fn is None:
            args = ", ".join(["ns", *"ab"[: self.arity], *self.params])
            fn = _CALLS[self.name] = eval(f"lambda {args}: {self.spelling}")
        return fn


_CALLS = {}
_BOUND = {}


def _number(k):
    """k as micrograd's f'**{k}' shows an int exponent: 2.0 -> '2', 0.5 -> '0.5'."""
    return str(int(k)) if abs(k) < 1e16 and k == int(k) else repr(k)  # nan, inf and huge k: repr


def _table_row(name):
    return OPS[name]


def _bound_row(name, args):
    return OPS[name].bind(*args)


def _maximum(a, b):
    # nan wins; on a tie the first input is returned (max(-0.0, 0.0) = -0.0), as torch.maximum
    return a if (a >= b or a != a) else b


def _minimum(a, b):
    return a if (a <= b or a != a) else b


OPS = {}


def _row(**kw):
    op = Op(**kw)
    OPS[op.name] = op
    return op


ADD = _row(
    name="add", symbol="+", arity=2, math="a + b",
    forward=lambda a, b: a + b,
    backward=lambda g, out, a, b: (g, g),
    grads=("g", "g"),
    spelling="a + b",
)

SUB = _row(
    name="sub", symbol="-", arity=2, math="a - b",
    forward=lambda a, b: a - b,
    backward=lambda g, out, a, b: (g, -g),
    grads=("g", "-g"),
    spelling="a - b",
)

MUL = _row(
    name="mul", symbol="*", arity=2, math="a * b",
    forward=lambda a, b: a * b,
    backward=lambda g, out, a, b: (g * b, g * a),
    grads=("g * b", "g * a"),
    spelling="a * b",
    conventions=("0 * inf = nan in the forward, and a zero upstream g times an infinite input gives a nan gradient, as IEEE and torch.",),
)

DIV = _row(
    name="div", symbol="/", arity=2, math="a / b",
    forward=floats.div,
    backward=lambda g, out, a, b: (floats.div(g, b), -g * floats.div(floats.div(a, b), b)),
    grads=("g / b", "-g * ((a / b) / b)"),
    spelling="a / b",
    conventions=(
        "Division by zero never raises: x / 0 = +-inf with the sign of x times the sign of the zero (1 / -0.0 = -inf); 0 / 0 = nan.",
        "The gradient formulas are torch's own, term for term: the input gradient is g / b (not g * (1/b)), the divisor's is -g * ((a / b) / b).",
    ),
)

NEG = _row(
    name="neg", symbol="neg", arity=1, math="-a",
    forward=lambda a: -a,
    backward=lambda g, out, a: (-g,),
    grads=("-g",),
    spelling="-a",
)

POW = _row(
    name="pow", symbol="**", arity=2, math="pow(a, b)",
    forward=floats.pow,
    backward=lambda g, out, a, b: (
        0.0 if b == 0.0 else g * (b * floats.pow(a, b - 1.0)),
        g * (0.0 if (a == 0.0 and b >= 0.0) else out * floats.log(a)),
    ),
    grads=("0 if b == 0 else g * (b * pow(a, b - 1))", "g * (0 if (a == 0 and b >= 0) else out * log(a))"),
    spelling="a ** b",
    conventions=(
        "Both base and exponent are Values (v ** w, 2 ** v). Forward is C99 pow: 0 ** 0 = 1, 0 ** negative = inf (-inf for -0.0 and an odd integer exponent), negative ** non-integer = nan, overflow = +-inf, nan ** 0 = 1, 1 ** nan = 1, (-1) ** +-inf = 1 (Java's Math.pow and some libms give nan there).",
        "Base gradient at exponent 0 is masked to 0 (even for nan or inf g); exponent gradient where the base is 0 and the exponent >= 0 is g * 0 (nan for nan g). A negative base gives a nan exponent gradient (log of a negative), even for integer exponents: pow(-2, 3) sends nan to the exponent.",
    ),
)

POW_SCALAR = _row(
    name="pow_scalar", symbol="**", arity=1, params=("k",), math="pow_scalar(a, k)",
    forward=floats.pow_scalar,
    backward=lambda g, out, a, k: (0.0 if k == 0.0 else g * (k * floats.pow_scalar(a, k - 1.0)),),
    grads=("0 if k == 0 else g * (k * pow_scalar(a, k - 1))",),
    spelling="a ** k",
    conventions=(
        "The exponent is a plain number, not a graph node (v ** 2). As torch's pow(Tensor, Scalar): k = 2 is a * a, k = 3 is a * a * a, k = 0.5 is sqrt(a), k = -0.5 is 1 / sqrt(a), k = -1 is 1 / a, k = -2 is 1 / (a * a); any other k is C pow. So (-0.0) ** 0.5 = -0.0 and (-inf) ** 0.5 = nan, unlike C pow.",
        "k = 0 gives 1 for every input, nan included, and a gradient masked to 0. 0 ** 0.5 has gradient inf; 0 ** -1 = inf with gradient -inf.",
    ),
)

RELU = _row(
    name="relu", symbol="ReLU", arity=1, math="0 if a < 0 else a",
    forward=lambda a: 0.0 if a < 0.0 else a,
    backward=lambda g, out, a: (0.0 if out <= 0.0 else g,),
    grads=("0 if out <= 0 else g",),
    spelling="a.relu()",
    conventions=(
        "relu(0) = 0 with gradient 0 (the subgradient torch picks); relu(-0.0) = -0.0, gradient 0.",
        "relu(nan) = nan and passes the gradient through (nan <= 0 is false), as torch's threshold_backward. A masked gradient stays 0 even for inf or nan g.",
    ),
)

TANH = _row(
    name="tanh", symbol="tanh", arity=1, math="tanh(a)",
    forward=math.tanh,
    backward=lambda g, out, a: (g * floats.one_minus_square(out),),
    grads=("g * fma(-out, out, 1)",),
    spelling="a.tanh()",
    conventions=(
        "tanh(+-1000) = +-1 exactly, gradient 0; no overflow. tanh(nan) = nan.",
        "1 - out * out is rounded once, as a fused multiply-add (torch's CPU kernel uses FMA): two roundings, "
        "g * (1 - out * out) in plain doubles, differ from torch in the last bit on about 2 inputs in 3.",
    ),
)

EXP = _row(
    name="exp", symbol="exp", arity=1, math="exp(a)",
    forward=floats.exp,
    backward=lambda g, out, a: (g * out,),
    grads=("g * out",),
    spelling="a.exp()",
    conventions=("exp(1000) = inf with gradient inf (no OverflowError); exp(-1000) = 0 with gradient 0.",),
)

LOG = _row(
    name="log", symbol="log", arity=1, math="log(a)",
    forward=floats.log,
    backward=lambda g, out, a: (floats.div(g, a),),
    grads=("g / a",),
    spelling="a.log()",
    conventions=(
        "log(0) = -inf with gradient g / 0 = inf (-inf at -0.0); log(negative) = nan, but the gradient is still g / a (log(-1) has gradient -1), as torch.",
    ),
)

SIGMOID = _row(
    name="sigmoid", symbol="σ", arity=1, math="1 / (1 + exp(-a))",
    forward=floats.sigmoid,
    backward=lambda g, out, a: (g * (1.0 - out) * out,),
    grads=("g * (1 - out) * out",),
    spelling="a.sigmoid()",
    conventions=("sigmoid(-1000) = 0 and sigmoid(1000) = 1, gradients 0 (e ** 1000 overflows to inf, 1 / inf = 0).",),
)

MAXIMUM = _row(
    name="maximum", symbol="max", arity=2, math="a if (a >= b or isnan(a)) else b",
    forward=_maximum,
    backward=lambda g, out, a, b: (
        0.0 if a < b else (g / 2.0 if a == b else g),
        0.0 if a > b else (g / 2.0 if a == b else g),
    ),
    grads=("0 if a < b else (g / 2 if a == b else g)", "0 if a > b else (g / 2 if a == b else g)"),
    spelling="ns.maximum(a, b)",
    conventions=(
        "A tie splits the gradient evenly: g / 2 to each input (torch.maximum); max(v, v) of one node therefore sends g / 2 + g / 2 = g to it.",
        "nan wins the forward (max(nan, 1) = nan) and, since every comparison with nan is false, both inputs receive the full g. On a tie the forward returns the first input (max(-0.0, 0.0) = -0.0).",
    ),
)

MINIMUM = _row(
    name="minimum", symbol="min", arity=2, math="a if (a <= b or isnan(a)) else b",
    forward=_minimum,
    backward=lambda g, out, a, b: (
        0.0 if a > b else (g / 2.0 if a == b else g),
        0.0 if a < b else (g / 2.0 if a == b else g),
    ),
    grads=("0 if a > b else (g / 2 if a == b else g)", "0 if a < b else (g / 2 if a == b else g)"),
    spelling="ns.minimum(a, b)",
    conventions=("Mirror of maximum: ties split g / 2 each, nan wins and both inputs receive g, a tie returns the first input.",),
)


# --- what the formulas are written in: the primitives (parity/formulas.py reads them) -----------------
# ``math`` and ``grads`` above are expressions over the inputs a, b, the parameter k, the upstream
# gradient g and the op's output out. In them + - * / are IEEE-754 binary64 operations (x / 0 as
# floats.div: never an exception), comparisons and isnan are exact, and the named functions are
# the primitives below. Which of them a value went through decides how exactly two engines can be
# expected to agree on it (docs/SPEC.md, section 6): IEEE 754 requires + - * / sqrt and fma to be
# correctly rounded, tanh, exp, log and pow are approximations in every libm.

PRIMITIVES = {
    "sqrt": "sqrt(x), the square root (pow_scalar's kernel for k = 0.5)",
    "rsqrt": "rsqrt(x) = 1 / sqrt(x): the square root, then an IEEE division (pow_scalar's kernel for k = -0.5)",
    "fma": "fma(x, y, z) = x * y + z rounded once (tanh's gradient)",
    "tanh": "tanh(x)",
    "exp": "e ** x (exp, and sigmoid's forward)",
    "log": "the natural logarithm",
    "pow": "C99 pow(x, y) (pow, and pow_scalar at exponents without a kernel)",
}

# v ** k as torch's pow(Tensor, Scalar) computes it: these exponents have kernels of their own, any
# other k is pow(a, k). (k = 0 gives 1 even for nan; k = 1 copies a.) floats.pow_scalar is this table
# (tests/test_exactness.py); parity/formulas.py derives from these formulas which primitives a value goes through.
POW_KERNELS = {0.0: "1", 1.0: "a", 2.0: "a * a", 3.0: "a * a * a", 0.5: "sqrt(a)", -0.5: "rsqrt(a)",
               -1.0: "1 / a", -2.0: "1 / (a * a)"}
POW_OTHER = "pow(a, k)"


def pow_kernel(k):
    """The formula of v ** k for this k (POW_KERNELS, else pow(a, k))."""
    return POW_KERNELS.get(k, POW_OTHER)
