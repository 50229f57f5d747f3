"""IEEE-754 float64 helpers with torch's answers where Python's would raise.

Python's ``/``, ``math.exp``, ``math.log``, ``math.pow`` and ``math.sqrt`` raise
(ZeroDivisionError, OverflowError, ValueError) where IEEE arithmetic, C's libm
and therefore torch float64 return an infinity or a NaN. Every function here
returns what torch float64 returns, so the engine never raises on a number.
"""

import math

inf = math.inf
nan = math.nan


def div(a, b):
    """a / b; x/0 is +-inf by the signs of x and of the zero, 0/0 and nan/0 are nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)


def exp(x):
    """e**x; overflow (x > ~709.78) gives inf instead of OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x):
    """Natural log; log(+-0) = -inf, log(negative) = nan, log(inf) = inf."""
    if x > 0.0:
        return math.log(x)  # includes inf -> inf
    if x == 0.0:
        return -inf
    return nan  # negative, -inf, nan


def sqrt(x):
    """Square root; sqrt(-0.0) = -0.0, sqrt(negative or -inf) = nan."""
    try:
        return math.sqrt(x)
    except ValueError:
        return nan


def _is_odd_integer(y):
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def pow(x, y):
    """C99 pow(x, y), which torch's pow(Tensor, Tensor) uses.

    Differences from math.pow, which raises instead:
    0 ** negative = inf (-inf for -0.0 and an odd integer exponent);
    negative ** non-integer = nan; overflow = +-inf (negative only for a
    negative base and an odd integer exponent).
    """
    try:
        return math.pow(x, y)
    except OverflowError:
        return -inf if x < 0.0 and _is_odd_integer(y) else inf
    except ValueError:
        if x == 0.0:
            return math.copysign(inf, x) if _is_odd_integer(y) else inf
        return nan


def pow_scalar(x, k):
    """x ** k for a plain-number exponent k, as torch's pow(Tensor, Scalar) computes it.

    torch replaces pow by cheaper kernels for six exponents; they differ from C
    pow at signed zeros and -inf (sqrt(-0.0) = -0.0 where pow(-0.0, 0.5) = 0.0,
    sqrt(-inf) = nan where pow(-inf, 0.5) = inf), so we do exactly the same.
    """
    if k == 2.0:
        return x * x
    if k == 3.0:
        return x * x * x
    if k == 0.5:
        return sqrt(x)
    if k == -0.5:
        return div(1.0, sqrt(x))
    if k == -1.0:
        return div(1.0, x)
    if k == -2.0:
        return div(1.0, x * x)
    return pow(x, k)


def one_minus_square(x):
    """1 - x*x rounded once, as a fused multiply-add fma(-x, x, 1) computes it (torch's tanh backward does:
    its kernel is vectorized with FMA, so 1 - out*out is not two roundings but one). Exact integer
    arithmetic, then Python's correctly rounded int / int."""
    if x != x or x in (inf, -inf):
        return 1.0 - x * x
    n, d = x.as_integer_ratio()
    dd = d * d
    return (dd - n * n) / dd


def sigmoid(x):
    """1 / (1 + e**-x), torch's formula: sigmoid(-1000) = 0.0, sigmoid(1000) = 1.0."""
    return 1.0 / (1.0 + exp(-x))
