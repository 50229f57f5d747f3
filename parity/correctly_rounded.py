"""The spec's arithmetic: every primitive correctly rounded to binary64, torch's conventions at special values.

The op table's formulas (micrograd_ref/ops.py) are written over + - * / and a few primitives (ops.PRIMITIVES).
Evaluated here, each primitive returns the double nearest to the exact real result (ties to even): tanh,
exp, log and pow through MPFR (gmpy2, an IEEE binary64 context: 53 bits, subnormals, overflow to inf),
sqrt and + - * / by IEEE hardware (correctly rounded by definition), fma by exact integer arithmetic. No
libm is involved, so the answer is the same on every machine: this is what the golden vectors hold.

Special values (zeros, infinities, nan, negative bases, overflow) are not computed by MPFR: they go
through micrograd_ref.floats, the one place that spells torch's conventions, and MPFR only sees finite,
non-zero arguments, where the result is a well-defined real number.
"""

import math

from micrograd_ref import floats

from .formulas import fma

try:
    import gmpy2
except ImportError:  # a dev/test dependency (pip install 'micrograd_ref[spec]'); the engine never needs it
    gmpy2 = None

MISSING = "the spec's correctly rounded arithmetic needs gmpy2 (MPFR): pip install 'micrograd_ref[spec]' (make test installs it)"


def _context():
    if gmpy2 is None:
        raise ImportError(MISSING)
    return gmpy2.ieee(64)  # precision 53, emin/emax of binary64, subnormalize: one rounding to a double


_CTX = None


def _ctx():
    global _CTX
    if _CTX is None:
        _CTX = _context()
    return _CTX


def _regular(*xs):
    return all(math.isfinite(x) and x != 0.0 for x in xs)


def tanh(x):
    if not _regular(x):
        return math.tanh(x)  # +-0, +-inf (+-1), nan: exact in every libm
    ctx = _ctx()
    return float(ctx.tanh(gmpy2.mpfr(x)))


def exp(x):
    if not _regular(x):
        return floats.exp(x)  # exp(+-0) = 1, exp(inf) = inf, exp(-inf) = 0, nan
    ctx = _ctx()
    return float(ctx.exp(gmpy2.mpfr(x)))  # overflow gives inf, underflow a correctly rounded subnormal or 0


def log(x):
    if not (_regular(x) and x > 0.0):
        return floats.log(x)  # log(0) = -inf, log(negative) = nan, log(inf) = inf
    ctx = _ctx()
    return float(ctx.log(gmpy2.mpfr(x)))


def pow(x, y):
    if not _regular(x, y) or (x < 0.0 and y != math.floor(y)) or x == 1.0:
        return floats.pow(x, y)  # C99's special cases: 0 **, ** 0, inf, nan, 1 ** y, negative ** non-integer
    ctx = _ctx()
    r = float(ctx.pow(gmpy2.mpfr(x), gmpy2.mpfr(y)))  # a negative base with an integer exponent: signed exactly
    return r


def sqrt(x):
    return floats.sqrt(x)  # IEEE 754 square root: correctly rounded in hardware


def rsqrt(x):
    return floats.div(1.0, sqrt(x))  # the kernel's two roundings: sqrt, then 1 / that


ARITHMETIC = {"div": floats.div, "isnan": math.isnan, "sqrt": sqrt, "rsqrt": rsqrt, "fma": fma,
              "tanh": tanh, "exp": exp, "log": log, "pow": pow}


def available():
    return gmpy2 is not None
