"""The op table's formulas as code: which primitives each op rounds through, and each op in any arithmetic.

micrograd_ref/ops.py writes every op's forward (``math``) and gradients (``grads``) as expressions over
the inputs a, b, the parameter k, the upstream gradient g and the output out, in which + - * / are
IEEE-754 binary64 operations (x / 0 as floats.div), comparisons and isnan are exact and the named
functions are the primitives of ops.PRIMITIVES. This module reads those formulas: ``rounds`` derives the
primitives a value goes through (parity/exactness.py decides from them what is compared bit for bit),
``reads`` the values each gradient formula reads, and ``compiled`` evaluates the formulas in another
arithmetic (ENGINE: micrograd_ref's own, where they are the table's lambdas bit for bit, tested;
parity/correctly_rounded.py: every primitive correctly rounded, for the golden vectors).
"""

import math

from micrograd_ref import floats
from micrograd_ref.ops import POW_KERNELS, POW_OTHER, PRIMITIVES, pow_kernel

def rsqrt(x):
    """1 / sqrt(x): the square root, then an IEEE division (torch's kernel for x ** -0.5)."""
    return floats.div(1.0, floats.sqrt(x))


def fma(x, y, z):
    """x * y + z rounded once (IEEE 754 fusedMultiplyAdd), by exact integer arithmetic and one correctly
    rounded int / int. Infinities and nan as IEEE: fma(inf, 0, z) = nan."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return x * y + z
    (xn, xd), (yn, yd), (zn, zd) = x.as_integer_ratio(), y.as_integer_ratio(), z.as_integer_ratio()
    d = xd * yd * zd
    n = xn * yn * zd + zn * xd * yd
    if n == 0:  # an exact zero: -0.0 only when the product and z are both -0.0 (as IEEE addition of zeros)
        return x * y + z if z == 0.0 else 0.0
    try:
        return n / d
    except OverflowError:
        return math.copysign(math.inf, n)



_ROUNDS = {}


def rounds(op, params=(), part="forward"):
    """The primitives (PRIMITIVES) that op's forward, or its backward (part="backward"), rounds through
    with these parameters, derived from its formulas: tanh's forward {'tanh'}, its backward {'fma'};
    pow_scalar's forward with k = 2 nothing (a * a), with k = 0.5 {'sqrt'}, with k = 1.5 {'pow'}, and its
    backward with k = 1.5 {'sqrt'} (pow_scalar(a, k - 1))."""
    key = (op.name, tuple(params), part)
    found = _ROUNDS.get(key)
    if found is None:
        import ast

        env = dict(zip(op.params, params))
        texts = (op.math,) if part == "forward" else op.grads
        used = set()
        for text in texts:
            for node in ast.walk(ast.parse(text, mode="eval")):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    name = node.func.id
                    if name == "pow_scalar":  # the kernel its exponent selects
                        k = eval(compile(ast.Expression(node.args[1]), "<k>", "eval"), {}, env)
                        used |= _kernel_rounds(float(k))
                    elif name in PRIMITIVES:
                        used.add(name)
        found = _ROUNDS[key] = frozenset(used)
    return found


def _kernel_rounds(k):
    import ast

    return frozenset(n.func.id for n in ast.walk(ast.parse(pow_kernel(k), mode="eval"))
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in PRIMITIVES)


def reads(op):
    """Which values each of op's gradients reads besides g, one tuple per input, each a subset of ('out', 'a',
    'b'): add's read nothing, mul's (('b',), ('a',)), tanh's (('out',),). A gradient sent through an op is as
    exact as g and the values its formula reads."""
    found = _READS.get(op.name)
    if found is None:
        import ast

        found = []
        for text in op.grads:
            names = {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
            found.append(tuple(v for v in ("out", "a", "b") if v in names))
        found = _READS[op.name] = tuple(found)
    return found


_READS = {}


def compiled(op, arithmetic):
    """(forward, backward) of op evaluated from its formulas (math, grads) in another arithmetic: a dict
    giving div, isnan and every primitive (PRIMITIVES). With micrograd_ref's own floats they are the row's
    forward and backward, bit for bit (tests/test_op_formulas.py); parity's correctly rounded arithmetic makes
    the golden vectors from them. forward(*inputs, *params), backward(g, out, *inputs, *params)."""
    key = (op.name, id(arithmetic))
    fns = _COMPILED.get(key)
    if fns is None:
        ns = dict(arithmetic)
        if "pow_scalar" not in ns:
            kernels = {k: _lambda(("a",), text, ns) for k, text in POW_KERNELS.items()}
            other = _lambda(("a", "k"), POW_OTHER, ns)
            ns["pow_scalar"] = lambda a, k: kernels[k](a) if k in kernels else other(a, k)
        args = ("a", "b")[: op.arity] + tuple(op.params)
        fwd = _lambda(args, op.math, ns)
        bwd = _lambda(("g", "out") + args, "(" + ", ".join(f"float({t})" for t in op.grads) + ",)", ns, wrap=False)
        fns = _COMPILED[key] = (fwd, bwd, arithmetic)  # keeps arithmetic alive: its id stays its own
    return fns[:2]


_COMPILED = {}


def _lambda(args, text, ns, wrap=True):
    """lambda args: float(text) (text itself if not wrap), with / as ns['div'] (IEEE division, never
    ZeroDivisionError)."""
    import ast

    class Division(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if isinstance(node.op, ast.Div):
                return ast.Call(ast.Name("div", ast.Load()), [node.left, node.right], [])
            return node

    body = Division().visit(ast.parse(text, mode="eval")).body
    tree = ast.Expression(ast.Lambda(ast.arguments([], [ast.arg(a) for a in args], None, [], [], None, []),
                                     ast.Call(ast.Name("float", ast.Load()), [body], []) if wrap else body))
    return eval(compile(ast.fix_missing_locations(tree), f"<{text}>", "eval"), ns)


# micrograd_ref's own arithmetic: + - * / of Python floats, CPython's math (the platform's libm) for the rest.
ENGINE = {"div": floats.div, "isnan": math.isnan, "sqrt": floats.sqrt, "rsqrt": rsqrt, "fma": fma, "tanh": math.tanh,
          "exp": floats.exp, "log": floats.log, "pow": floats.pow}
