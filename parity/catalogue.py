"""The graph catalogue: every graph the harness replays, each defined once, by name.

A graph is a function of a Tape that records it with ordinary Python operators
(``x + y``, ``t.maximum(y, z)``, ``v.relu()``) and returns its output, or a list
of outputs, which the harness reduces with seeded non-uniform weights. Numbers
come from the seed notes in shared/seeds/ or from the portable XorShift64Star.
"""

import math
from dataclasses import dataclass, field

from micrograd_ref.ops import OPS
from micrograd_ref.rng import XorShift64Star

from .compare import DEFAULT, EDGE, Tolerance
from .generate import SPECIAL, rng_tape
from .tape import Tape


LEVELS = ("core", "edge", "scale", "training")


@dataclass
class Entry:
    name: str
    build: object  # Tape -> output Sym or list of Syms (kind "graph"); () -> [(case, Tape)] (kind "cases")
    kind: str = "graph"  # "graph", "cases" or "training"
    tol: Tolerance = DEFAULT  # the bound for values that are not exact (exactness is derived: parity/exactness.py)
    smooth: bool = False  # finite differences at the leaves are a valid third oracle
    doc: str = ""
    tags: tuple = field(default=())
    exact: bool = False  # a claim, checked by a test: its ops make every value exact, for any two engines

    @property
    def level(self):
        """core (ordinary values), edge (torch's special-value conventions), scale (deep and wide graphs),
        training (the SGD replay)."""
        if self.kind == "training":
            return "training"
        top = self.name.split("/", 1)[0]
        return top if top in ("edge", "scale") else "core"

    @property
    def ops(self):
        """The ops its graphs use, in op-table order, then "select" (builtin max/min/sorted, a comparison)."""
        used = {n.op for _, tape in cases_of(self) for n in tape.nodes if n.op is not None}
        return [op for op in [*OPS, "select"] if op in used]

    @property
    def primitives(self):
        """The primitives (ops.PRIMITIVES) its values round through, forward or backward: where both engines
        round them all correctly every value is compared bit for bit, elsewhere within the entry's bound."""
        from .formulas import rounds

        used = set()
        for _, tape in cases_of(self):
            for n in tape.nodes:
                if n.op is not None and n.op != "select":
                    used |= rounds(OPS[n.op], n.params) | rounds(OPS[n.op], n.params, "backward")
        return sorted(used)


CATALOGUE = {}


def graph(name, tol=DEFAULT, smooth=False, kind="graph", tags=(), exact=False):
    def register(fn):
        CATALOGUE[name] = Entry(name, fn, kind, tol, smooth, (fn.__doc__ or "").strip(), tags, exact)
        return fn

    return register


# --- seed notes ---------------------------------------------------------------

@graph("seed/toy_max", exact=True, tags=("seed",))
def toy_max(t):
    """Note 000: f = (x + y) * max(y, z) at x=1, y=2, z=0: f=6, grads 2, 5, 0."""
    x, y, z = t.leaves(("x", 1.0), ("y", 2.0), ("z", 0.0))
    a = (x + y).label("a")
    b = t.maximum(y, z).label("b")
    return (a * b).label("f")


def _L_graph(t, a, b, c, f):
    a, b, c, f = t.leaves(("a", a), ("b", b), ("c", c), ("f", f))
    e = (a * b).label("e")
    d = (e + c).label("d")
    return (d * f).label("L")


@graph("seed/L_graph", exact=True, smooth=True, tags=("seed",))
def L_graph(t):
    """Note 001: L = (a*b + c) * f at a=2, b=-3, c=10, f=-2: L=-8; grads a 6, b -4, c -2, f 4."""
    return _L_graph(t, 2.0, -3.0, 10.0, -2.0)


@graph("seed/L_graph_step", exact=True, smooth=True, tags=("seed",))
def L_graph_step(t):
    """Note 001: the same graph after one step of +0.01 * grad: L = -7.286496."""
    return _L_graph(t, 2.0 + 0.01 * 6.0, -3.0 + 0.01 * -4.0, 10.0 + 0.01 * -2.0, -2.0 + 0.01 * 4.0)


@graph("seed/tanh_neuron", smooth=True, tags=("seed",))
def tanh_neuron(t):
    """Note 001: o = tanh(x1*w1 + x2*w2 + b), x1=2, x2=0, w1=-3, w2=1, b=6.8813735870195432: o=0.7071."""
    x1, x2, w1, w2, b = t.leaves(("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432))
    x1w1 = (x1 * w1).label("x1*w1")
    x2w2 = (x2 * w2).label("x2*w2")
    n = (x1w1 + x2w2 + b).label("n")
    return n.tanh().label("o")


_CHAIN = {
    "add": lambda a, b, d: a + b,
    "mul": lambda a, b, d: a * b,
    "add_then_mul": lambda a, b, d: (a + b).label("c") * d,
    "mul_then_add": lambda a, b, d: (a * b).label("c") + d,
    "mul_then_mul": lambda a, b, d: (a * b).label("c") * d,
    "add_then_add": lambda a, b, d: (a + b).label("c") + d,
    "reuse_b_add": lambda a, b, d: (a + b).label("c") + b,
    "reuse_b_mul": lambda a, b, d: (a + b).label("c") * b,
}


def _chain_graph(form):
    def build(t):
        a, b, d = t.leaves(("a", 3.0), ("b", -5.0), ("d", 2.0))
        return _CHAIN[form](a, b, d).label("z")

    build.__doc__ = f"Note 002: chain-rule graph z = {form.replace('_', ' ')} at a=3, b=-5, d=2."
    return build


for _form in _CHAIN:
    graph(f"seed/chain_rule/{_form}", exact=True, smooth=True, tags=("seed",))(_chain_graph(_form))


def _relu_neuron(t, w, b):
    xs = [t.leaf(v, f"x{i}") for i, v in enumerate((1.0, -2.0, 3.0))]
    ws = [t.leaf(v, f"w{i}") for i, v in enumerate(w)]
    bias = t.leaf(b, "b")
    z = (xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2] + bias).label("z")
    return z.relu().label("y")


@graph("seed/relu_neuron", exact=True, smooth=True, tags=("seed",))
def relu_neuron(t):
    """Note 003: y = relu(x.w + b), x=[1,-2,3], w=[-3,-1,2], b=1: y=6; grads x -3,-1,2; w 1,-2,3; b 1."""
    return _relu_neuron(t, (-3.0, -1.0, 2.0), 1.0)


@graph("seed/relu_neuron_step", exact=True, smooth=True, tags=("seed",))
def relu_neuron_step(t):
    """Note 003: after one step of -0.001 * grad on w and b: y = 5.985."""
    return _relu_neuron(t, (-3.0 - 0.001 * 1.0, -1.0 - 0.001 * -2.0, 2.0 - 0.001 * 3.0), 1.0 - 0.001)


@graph("seed/layer3", smooth=True, tags=("seed",))
def layer3(t):
    """Note 003: a layer of 3 linear neurons on 4 inputs with the note's weights (inputs 1, 2, 3, 2.5)."""
    weights = ((0.2, 0.8, -0.5, 1.0), (0.5, -0.91, 0.26, -0.5), (-0.26, -0.27, 0.17, 0.87))
    xs = [t.leaf(v, f"x{i}") for i, v in enumerate((1.0, 2.0, 3.0, 2.5))]
    outs = []
    for j, row in enumerate(weights):
        ws = [t.leaf(v, f"N{j}.w{i}") for i, v in enumerate(row)]
        bias = t.leaf(0.0, f"N{j}.b")
        outs.append(sum((w * x for w, x in zip(ws, xs)), bias).label(f"out{j}"))
    return outs


def _cost(t, w, b, x, y):
    w, b, x, y = t.leaves(("w", w), ("b", b), ("x", x), ("y", y))
    c = (w * x).label("c")
    a = (c + b).label("a")
    d = (a - y).label("d")
    return (d ** 2 / 2).label("J")


@graph("seed/cost", exact=True, smooth=True, tags=("seed",))
def cost(t):
    """Note 004: J = (wx + b - y)^2 / 2 at w=2, b=8, x=-2, y=2: J=2; dJ/dw=-4, dJ/db=2."""
    return _cost(t, 2.0, 8.0, -2.0, 2.0)


@graph("seed/lab_square", exact=True, smooth=True, tags=("seed",))
def lab_square(t):
    """Note 004 lab: J = (2 + 3w)^2 at w=3: a=11, J=121, dJ/da=22, dJ/dw=66."""
    w = t.leaf(3.0, "w")
    a = (2 + 3 * w).label("a")
    return (a ** 2).label("J")


@graph("seed/lab_cost", exact=True, smooth=True, tags=("seed",))
def lab_cost(t):
    """Note 004 lab: x=2, w=-2, b=8, y=1: c=-4, a=4, d=3, J=4.5; dJ/dw=6, dJ/db=3."""
    return _cost(t, -2.0, 8.0, 2.0, 1.0)


@graph("seed/relu_net", exact=True, smooth=True, tags=("seed",))
def relu_net(t):
    """Note 004: 2-layer ReLU net, w1=2, b1=0, w2=3, b2=1, x=1, y=5: J=2; grads w1 6, b1 6, w2 4, b2 2."""
    w1, b1, w2, b2, x, y = t.leaves(("w1", 2.0), ("b1", 0.0), ("w2", 3.0), ("b2", 1.0), ("x", 1.0), ("y", 5.0))
    t1 = (w1 * x).label("t1")
    z1 = (t1 + b1).label("z1")
    a1 = z1.relu().label("a1")
    t2 = (w2 * a1).label("t2")
    z2 = (t2 + b2).label("z2")
    a2 = z2.relu().label("a2")
    return ((a2 - y) ** 2 / 2).label("J")


# --- MLPs -----------------------------------------------------------------------

def mlp_params(t, nin, nouts, seed):
    """Leaves for MLP(nin, nouts) weights drawn as micrograd_ref.nn.MLP draws them
    (layer by layer, neuron by neuron, weights then bias, uniform in [-1, 1]) from XorShift64Star(seed)."""
    rng = XorShift64Star(seed)
    sizes = [nin] + list(nouts)
    layers = []
    for li in range(len(nouts)):
        neurons = []
        for j in range(sizes[li + 1]):
            w = [t.leaf(rng.uniform(-1.0, 1.0), f"L{li}.N{j}.w{i}") for i in range(sizes[li])]
            b = t.leaf(rng.uniform(-1.0, 1.0), f"L{li}.N{j}.b")
            neurons.append((w, b))
        layers.append(neurons)
    return layers


def mlp_forward(layers, x, activation):
    """micrograd_ref.nn.MLP's forward: act = b + w0*x0 + w1*x1 + ...; hidden layers `activation`, last linear."""
    for li, neurons in enumerate(layers):
        out = []
        for w, b in neurons:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            if li < len(layers) - 1:
                act = act.relu() if activation == "relu" else act.tanh()
            out.append(act)
        x = out
    return x[0] if len(x) == 1 else x


CLASSIC_XS = ((2.0, 3.0, -1.0), (3.0, -1.0, 0.5), (0.5, 1.0, 1.0), (1.0, 1.0, -1.0))
CLASSIC_YS = (1.0, -1.0, -1.0, 1.0)


def classic_mlp_loss(t, layers):
    """The classic micrograd demo: sum over the 4 samples of (ypred - y)^2."""
    xs = [[t.leaf(v, f"x{s}.{i}") for i, v in enumerate(row)] for s, row in enumerate(CLASSIC_XS)]
    preds = [mlp_forward(layers, x, "tanh") for x in xs]
    return sum(((p - y) ** 2 for p, y in zip(preds, CLASSIC_YS)), t.leaf(0.0, "loss0")).label("loss")


@graph("mlp/classic_3_4_4_1", smooth=True, tags=("mlp",))
def mlp_classic(t):
    """MLP(3, [4, 4, 1]), tanh hidden layers, on the classic 4 samples, squared-error loss; weights XorShift64Star(1)."""
    return classic_mlp_loss(t, mlp_params(t, 3, [4, 4, 1], seed=1))


def points(n, seed):
    """n points uniform in [-2, 2]^2 with XOR labels (+1 where x0 * x1 > 0, else -1), from XorShift64Star(seed)."""
    rng = XorShift64Star(seed)
    pts = [(rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)) for _ in range(n)]
    return [(p, 1.0 if p[0] * p[1] > 0 else -1.0) for p in pts]


def mlp_hinge_loss(t, layers, data):
    """The micrograd demo's loss: mean of relu(1 - y * score) plus 1e-4 * sum of squared parameters."""
    losses = []
    for s, ((x0, x1), y) in enumerate(data):
        score = mlp_forward(layers, [t.leaf(x0, f"p{s}.x0"), t.leaf(x1, f"p{s}.x1")], "relu")
        losses.append((1 + -y * score).relu())
    data_loss = sum(losses, t.leaf(0.0, "loss0")) * (1.0 / len(data))
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    reg = 1e-4 * sum((p * p for p in params), t.leaf(0.0, "reg0"))
    return (data_loss + reg).label("loss")


@graph("mlp/2_16_16_1_x100", tags=("mlp",))
def mlp_100(t):
    """MLP(2, [16, 16, 1]), ReLU, on 100 XorShift64Star(2) points, hinge loss + L2; weights XorShift64Star(3)."""
    return mlp_hinge_loss(t, mlp_params(t, 2, [16, 16, 1], seed=3), points(100, seed=2))


@graph("mlp/train_classic_20_steps", kind="training", tags=("mlp", "training"))
def train_classic(t):
    """20 SGD steps (lr 0.05) of mlp/classic_3_4_4_1 in both engines from the same weights; every node and weight after every step."""
    return classic_mlp_loss(t, mlp_params(t, 3, [4, 4, 1], seed=1))


TRAINING = {"mlp/train_classic_20_steps": {"steps": 20, "lr": 0.05}}


def trained_weights(tape):
    """{leaf id: value} of the MLP weights and biases of a training tape (the leaves labelled L<layer>.N<j>.*)."""
    return {n.id: n.data for n in tape.nodes if n.op is None and n.label.startswith("L")}


def sgd(weights, grads, lr):
    """One SGD step, as nn.sgd_step takes it: w - lr * grad for every weight."""
    return {i: w - lr * grads[i] for i, w in weights.items()}


# --- scale: graphs as deep and wide as real ones -------------------------------------------
# A port whose backward recurses (classic micrograd's: RecursionError past about 1,000 nodes)
# fails these; an iterative backward passes. Values are chosen so every node is exact.

CHAIN_OPS = 100_000


@graph("scale/chain_100k", exact=True, tags=("scale",))
def chain_100k(t):
    """A chain 100,000 ops deep: x = 0.25, then 20,000 times: + c, relu, neg, + c, neg (c = 0.5, one leaf used 40,000 times)."""
    v = t.leaf(0.25, "x")
    c = t.leaf(0.5, "c")
    for _ in range(CHAIN_OPS // 5):
        v = -((-((v + c).relu())) + c)  # 0.25 -> 0.75 -> 0.75 -> -0.75 -> -0.25 -> 0.25
    return v.label("out")


@graph("scale/sum_50k", exact=True, tags=("scale",))
def sum_50k(t):
    """The sum of 50,000 leaves, added left to right (49,999 adds deep); leaf values k/8, k from XorShift64Star(50000)."""
    rng = XorShift64Star(50000)
    xs = [t.leaf((rng.below(49) - 24) / 8.0, f"x{i}") for i in range(50_000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total.label("sum")


@graph("scale/mlp_2_32_32_1_x22", tags=("scale",))
def mlp_scale(t):
    """MLP(2, [32, 32, 1]), ReLU, on 22 XorShift64Star(4) points, hinge loss + L2, forward and backward (55,000 nodes); weights XorShift64Star(5)."""
    return mlp_hinge_loss(t, mlp_params(t, 2, [32, 32, 1], seed=5), points(22, seed=4))


# --- edge cases: every special value of every op, with upstream gradient 1, 0, inf and nan ---
# micrograd_ref's forward and backward formulas are torch's, term for term, so wherever an op rounds
# through IEEE operations only the two agree bit for bit, and a one-ulp bias fails; tanh, exp, log and
# pow values are within a few ulps (EDGE), and their gradients are checked bit for bit from each engine's
# own values (the harness's own-values oracle).

UPSTREAM = (1.0, 0.0, math.inf, math.nan, -2.0)


def edge_cases(op_name):
    op = OPS[op_name]
    cases = []
    if op.arity == 1 and not op.params:
        inputs = [(x,) for x in SPECIAL + (1e-310, 0.25)]
        params = [()]
    elif op.params:
        inputs = [(x,) for x in SPECIAL]
        params = [(k,) for k in (0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.5, -1.5, 1000.0)]
    else:
        inputs = [(a, b) for a in SPECIAL for b in SPECIAL]
        params = [()]
    for xs in inputs:
        for ps in params:
            for g in UPSTREAM:
                t = Tape()
                leaves = [t.leaf(x, "ab"[i]) for i, x in enumerate(xs)]
                out = t.op(op_name, *leaves, params=ps, label="out")
                root = out if g == 1.0 else (out * t.leaf(g, "g")).label("out*g")
                t.set_output(root)
                name = f"{op_name}({', '.join(map(repr, xs + ps))}) g={g!r}"
                cases.append((name, t))
    return cases


for _op in OPS:
    CATALOGUE[f"edge/{_op}"] = Entry(
        f"edge/{_op}", (lambda o=_op: edge_cases(o)), "cases", EDGE, False,
        f"{_op} at every special value (0, -0.0, +-1, 2, 0.5, +-inf, nan, +-1000) and upstream grad 1, 0, inf, nan, -2.",
        ("edge",),
    )


# --- generated graphs (fixed seeds; more with --random N --seed S) -------------------

GENERATED_SEEDS = range(40)


def generated_cases(seeds):
    return [(f"seed {s}", rng_tape(s)) for s in seeds]


CATALOGUE["random/fixed_40"] = Entry(
    "random/fixed_40", lambda: generated_cases(GENERATED_SEEDS), "cases", DEFAULT, False,
    "40 random DAGs over every op (XorShift64Star seeds 0..39), special values included.", ("random",),
)


def build_tape(entry):
    """The single Tape of a graph entry, multi-output graphs reduced with seeded non-uniform weights."""
    t = Tape()
    out = entry.build(t)
    return t.set_output(reduce_outputs(t, out, entry.name))


def reduce_outputs(t, out, name):
    """sum_i c_i * out_i with c_i drawn from XorShift64Star(crc32(name)) in +-[0.5, 2]: an all-ones sum can hide
    a wrong derivative (e.g. two swapped outputs)."""
    if not isinstance(out, (list, tuple)):
        return out
    import zlib

    rng = XorShift64Star(zlib.crc32(name.encode()))
    total = None
    for i, o in enumerate(out):
        c = rng.uniform(0.5, 2.0) * (1.0 if rng.below(2) else -1.0)
        term = o * t.leaf(c, f"reduce.c{i}")
        total = term if total is None else total + term
    return total.label("reduced")


def cases_of(entry):
    """[(case name, Tape)] for any entry kind."""
    if entry.kind == "cases":
        return entry.build()
    return [("", build_tape(entry))]


# =====================================================================================
# --- pins: graphs found missing by mutation testing ----------------------------------
# Each entry below pins behaviour that single-point mutations of the engine changed
# without failing any other graph (issue 11). Bit for bit wherever the ops allow it; the tests in
# tests/test_pins.py plant each mutation and assert that the entry FAILs.
# =====================================================================================

def _pin(name, doc, tags=()):
    def register(fn):
        CATALOGUE[name] = Entry(name, fn, "cases", EDGE, False, doc, ("pins", *tags))
        return fn

    return register


def _scaled(t, sel, scale=5.0):
    """sel * 5 (a const): the chosen input receives gradient 5, the others 0, so a different choice shows."""
    return t.set_output((sel * scale).label("out"))


SELECT_VALUES = (2.0, -0.0, 0.0, -1.5, math.nan, math.inf)


@_pin("pins/builtin_max_min_sorted",
      "Builtin max, min and sorted on Values, as the seed notes spell them (max(y, z), max(z, 0)): ties return the "
      "first argument, -0.0 and 0.0 tie, nan loses unless first; the select pseudo-op (SPEC section 2).")
def builtin_select():
    cases = []
    # note 000: f = (x + y) * max(y, z), here at ties, signed zeros and nan
    for y, z in [(2.0, 2.0), (2.0, 0.0), (0.0, 2.0), (-0.0, 0.0), (0.0, -0.0), (math.nan, 1.0), (1.0, math.nan)]:
        t = Tape()
        x, yy, zz = t.leaves(("x", 1.0), ("y", y), ("z", z))
        f = ((x + yy).label("a") * t.max(yy, zz).label("b")).label("f")
        t.set_output(f)
        cases.append((f"(x + y) * max(y, z) y={y!r} z={z!r}", t))
    # note 003: relu = max(z, 0) with a plain 0 (the number can win: the result is then the constant)
    for zv in (-0.0, 0.0, 3.0, -2.0, math.nan):
        for zero in (0.0, -0.0):
            t = Tape()
            z, w = t.leaves(("z", zv), ("w", -3.0))
            cases.append((f"max(z, {zero!r}) * w z={zv!r}", t.set_output((t.max(z, zero) * w).label("out"))))
            t = Tape()
            z, w = t.leaves(("z", zv), ("w", -3.0))
            cases.append((f"max({zero!r}, z) * w z={zv!r}", t.set_output((t.max(zero, z) * w).label("out"))))
    for fn in ("max", "min"):
        for a, b, c in [(1.0, 1.0, 1.0), (-0.0, 0.0, -0.0), (0.0, -0.0, 0.0), (2.0, 3.0, 3.0), (3.0, 2.0, 3.0),
                        (math.nan, 1.0, 2.0), (1.0, math.nan, 2.0), (1.0, 2.0, math.nan)]:
            t = Tape()
            xs = t.leaves(("a", a), ("b", b), ("c", c))
            cases.append((f"{fn}(a, b, c) a={a!r} b={b!r} c={c!r}", _scaled(t, getattr(t, fn)(*xs))))
            t = Tape()
            x = t.leaf(a, "a")
            cases.append((f"{fn}(a, {b!r}) a={a!r}", _scaled(t, getattr(t, fn)(x, b))))
    for vals in [(1.0, 1.0, 1.0), (0.0, -0.0, 0.0), (-0.0, 0.0, -0.0), (2.0, 1.0, 2.0), (3.0, -1.0, 0.0)]:
        for k in range(3):
            t = Tape()
            xs = t.leaves(("a", vals[0]), ("b", vals[1]), ("c", vals[2]))
            cases.append((f"sorted([a, b, c])[{k}] {vals!r}", _scaled(t, t.sorted(xs, k))))
            t = Tape()
            a, c = t.leaf(vals[0], "a"), t.leaf(vals[2], "c")
            cases.append((f"sorted([a, {vals[1]!r}, c])[{k}] {vals!r}", _scaled(t, t.sorted([a, vals[1], c], k))))
    return cases


@_pin("pins/comparisons",
      "a if a OP b else b for OP in < <= > >=, between Values and with numbers on either side, at ties, "
      "at -0.0 against 0.0, with nan and with infinities.")
def comparisons():
    cases = []
    pairs = [(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (-0.0, 0.0), (0.0, -0.0), (math.nan, 1.0), (1.0, math.nan),
             (math.nan, math.nan), (math.inf, math.inf), (-math.inf, 1.0)]
    for cmp in ("<", "<=", ">", ">="):
        for a, b in pairs:
            for form in ("value-value", "value-number", "number-value"):
                t = Tape()
                va = t.leaf(a, "a") if form != "number-value" else a
                vb = t.leaf(b, "b") if form != "value-number" else b
                if form == "number-value":
                    t.leaf(1.0, "unused")  # keep the graph's first node a leaf for readability
                cases.append((f"a if a {cmp} b else b ({form}) a={a!r} b={b!r}", _scaled(t, t.pick(va, cmp, vb))))
    return cases


NO_KERNEL_EXPONENTS = (4.0, 1.5, -3.0, 7.0)
NO_KERNEL_BASES = (1.1, 0.3, -1.7, 3.0, 2.5, -0.6, 0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.inf, -math.inf, math.nan,
                   1000.0, -1000.0)


def _edge(op_name, xs, ps, g):
    t = Tape()
    leaves = [t.leaf(x, "ab"[i]) for i, x in enumerate(xs)]
    out = t.op(op_name, *leaves, params=ps, label="out")
    root = out if g == 1.0 else (out * t.leaf(g, "g")).label("out*g")
    return f"{op_name}({', '.join(map(repr, xs + ps))}) g={g!r}", t.set_output(root)


@_pin("pins/pow_without_kernel",
      "v ** k for exponents torch has no special kernel for (4, 1.5, -3, 7) at ordinary and special bases: "
      "a port routing them to the k = 2, 3 or -2 kernels fails (their gradients do use the kernels: k - 1 = 3, 0.5).")
def pow_without_kernel():
    return [_edge("pow_scalar", (x,), (k,), g) for k in NO_KERNEL_EXPONENTS for x in NO_KERNEL_BASES
            for g in (1.0, -2.0)]


# ordinary bases where a kernel's roundings (x*x*x, 1 / (x*x), 1 / sqrt(x)) differ from pow(x, k) correctly
# rounded and from glibc's pow: found by a search over k/1000 in [0.1, 3.1] (XorShift64Star(7))
KERNEL_BASES = {3.0: (1.478, 2.05, 0.757), -2.0: (1.162, 2.056, 0.844), -0.5: (0.345, 1.76, 1.912)}
KERNEL_GRADIENT = {3.0: 4.0, -2.0: -1.0, -0.5: 0.5}  # the exponent whose gradient, k * a ** (k - 1), uses the kernel


@_pin("pins/pow_kernels",
      "v ** k for the kernels that round differently from pow (k = 3, -2, -0.5) at ordinary bases where they do, "
      "and the exponents whose gradient uses them (4, -1, 0.5): a port sending a kernel's k to pow fails.")
def pow_kernels():
    return [_edge("pow_scalar", (x,), (kk,), g) for k, xs in KERNEL_BASES.items() for kk in (k, KERNEL_GRADIENT[k])
            for x in xs for g in (1.0, -2.0)]


@_pin("pins/pow_overflow",
      "pow overflowing with an odd negative integer exponent and a base between -1 and 1: 1e-200 ** -3 = inf, "
      "(-1e-200) ** -3 = -inf (even exponents: +inf), as v ** k and as v ** w.")
def pow_overflow():
    cases = []
    for x in (1e-200, -1e-200, 1e-100, -1e-100, 5e-324, -5e-324):
        for k in (-3.0, -5.0, -4.0, -2.5):
            for g in (1.0, -2.0):
                cases.append(_edge("pow_scalar", (x,), (k,), g))
                cases.append(_edge("pow", (x, k), (), g))
    return cases


# values found by a search (see tests/test_pins.py) for which every listed rewrite of a gradient formula
# differs from torch's in the last bit: g / b against g * (1 / b); -g * ((a / b) / b) against -g * (a / (b*b)),
# (-g * (a / b)) / b, -(g * a) / (b*b), -g * a / b / b, (-g / b) * (a / b); sigmoid's g * (1 - out) * out
# against g * ((1 - out) * out), g * out * (1 - out), (g * out) * (1 - out), g * (out - out*out), g*out - g*out*out;
# tanh's g * fma(-out, out, 1) against g * (1 - out*out) in two roundings, g - g*out*out, g * (1-out) * (1+out),
# g * ((1-out) * (1+out)); pow_scalar k=3's g * (3 * (a*a)) against
# (g * 3) * (a*a), g*3*a*a; log's g / a against g * (1/a).
ORDER_DIV = ((2.064, -3.056, -2.029), (1.61, 2.094, 3.841), (1.267, -1.539, 1.37))
ORDER_SIGMOID = ((-5.804, -2.404), (-4.263, 3.675), (4.851, -1.434))
ORDER_TANH = ((2.986, 3.966), (-2.997, -2.322), (1.636, -1.368))
ORDER_POW3_LOG = ((1.336, -1.785), (1.718, 0.581), (3.391, 1.514))


@_pin("pins/evaluation_order",
      "Gradient formulas evaluated term for term as torch does (g / b, not g * (1/b); -g * ((a / b) / b); sigmoid's "
      "g * (1 - out) * out; tanh's g * fma(-out, out, 1); g * (k * pow_scalar(a, k - 1)); log's g / a), at values where each "
      "rewrite differs in the last bit.")
def evaluation_order():
    cases = [_edge("div", (a, b), (), g) for a, b, g in ORDER_DIV]
    cases += [_edge("sigmoid", (x,), (), g) for x, g in ORDER_SIGMOID]
    cases += [_edge("tanh", (x,), (), g) for x, g in ORDER_TANH]
    cases += [_edge("pow_scalar", (a,), (3.0,), g) for a, g in ORDER_POW3_LOG]
    cases += [_edge("log", (a,), (), g) for a, g in ORDER_POW3_LOG]
    return cases


ACCUMULATION_SCALES = (1.0, 1e-16, 3e-17, 1e-16, 7e-17, 1e-16)

# Graphs found by a search over parity.generate.reuse_tape (tests/test_accumulation_order.py): on each, the
# wrong orders named give other bits than the spec's (section 3). (leaf values x0, x1..., then ops over node
# ids, leaves first; the output, often not the last node: the nodes after it get no gradient.)
ORDER_GRAPHS = (
    ((1.5,), (("neg", 0), ("mul", 0, 0)), 1),  # from the last node
    ((2.5,), (("mul", 0, 0), ("add", 1, 0)), 1),  # from the last node
    ((-0.0,), (("mul", 0, 0), ("add", 1, 1)), 2),  # sum from +0.0
    ((-0.0,), (("sub", 0, 0), ("mul", 0, 0)), 2),  # sum from +0.0
    ((-3e-17,), (("sub", 0, 0), ("add", 0, 1), ("add", 0, 2), ("add", 2, 0), ("mul", 4, 3)), 5),  # b before a
    ((7e-17,), (("mul", 0, 0), ("sub", 0, 0), ("mul", 0, 1), ("sub", 3, 2)), 4),  # old stack, depth-first
    ((0.1, -1e-16), (("mul", 0, 0), ("sub", 0, 0), ("add", 2, 3)), 4),  # breadth-first
    ((1e-16,), (("sub", 0, 0), ("mul", 0, 0), ("sub", 2, 1)), 3),  # old stack, depth-first
    ((3.0, -3e-17), (("sub", 0, 0), ("mul", 1, 0), ("sub", 2, 3)), 4),  # breadth-first
    ((-3e-17,), (("sub", 0, 0), ("sub", 0, 1), ("mul", 0, 2), ("add", 1, 1)), 3),  # b before a, from the last node
)


def order_graph(values, steps, output):
    t = Tape()
    nodes = [t.leaf(v, f"x{i}") for i, v in enumerate(values)]
    for op, *ins in steps:
        nodes.append(t.op(op, *(nodes[i] for i in ins)))
    return t.set_output(nodes[output])


@_pin("pins/accumulation_order",
      "Contributions summed in the spec's order (SPEC section 3: nodes made later first, a's share before b's, the "
      "first contribution as is): a node with many consumers of very different magnitudes, x - x after a tiny "
      "contribution, a zero partial sum followed by -0.0, and graphs found by search on which the old stack, "
      "depth-first, breadth-first, b-before-a, sum-from-+0.0 and from-the-last-node walks each give other bits.",
      ("order",))  # skipped at --tolerance, which does not promise torch's order (harness.Run.entry)
def accumulation_order():
    cases = []
    # x feeds n products of very different magnitudes, summed left to right: x's contributions arrive last
    # product first in the spec's order, first product first when b is pushed before a
    for scales in (ACCUMULATION_SCALES, tuple(reversed(ACCUMULATION_SCALES))):
        t = Tape()
        x = t.leaf(1.5, "x")
        terms = [(x * t.leaf(c, f"c{i}")).label(f"y{i}") for i, c in enumerate(scales)]
        total = terms[0]
        for y in terms[1:]:
            total = total + y
        cases.append((f"sum of x * c_i, c = {scales!r}", t.set_output(total.label("s"))))
    # the same with the chain on the other side (y_i + s) and mixed ops: sub, div, neg
    t = Tape()
    x = t.leaf(0.75, "x")
    s = x * 1.0
    for i, c in enumerate(ACCUMULATION_SCALES[1:]):
        s = (x / (1.0 / c)) - s if i % 2 else (-(x * c)) + s
    cases.append(("alternating x / (1/c) - s and -(x * c) + s", t.set_output(s.label("s"))))
    # x - x: a's share (+g) is added before b's (-g), after a tiny contribution reached x first
    for tiny, w in ((1e-16, 1.0), (3e-17, -1.0), (1e-16, 3.0)):
        t = Tape()
        x = t.leaf(2.0, "x")
        d = (x - x).label("d")
        out = (d * t.leaf(w, "w")) + (x * t.leaf(tiny, "tiny"))
        cases.append((f"(x - x) * {w!r} + x * {tiny!r}", t.set_output(out.label("out"))))
        t = Tape()
        x = t.leaf(2.0, "x")
        q = (x / x).label("q")
        out = (q * t.leaf(w, "w")) + (x * t.leaf(tiny, "tiny"))
        cases.append((f"(x / x) * {w!r} + x * {tiny!r}", t.set_output(out.label("out"))))
    # a zero partial sum, then -0.0: made in the order c3, c2, c1, the products send x their shares as 1.0, -1.0,
    # -0.0; (1.0 + -1.0) + -0.0 is +0.0, where a sum kept in .grad under step 4's zero rule (or restarted at a
    # zero) starts again from the -0.0; w's two shares tell that from keeping only the last one (=, not +=)
    t = Tape()
    x, w, nz, m1, one = t.leaves(("x", 3.0), ("w", 0.5), ("nz", -0.0), ("m1", -1.0), ("one", 1.0))
    c3, c2, c1 = (x * nz).label("c3"), (x * m1).label("c2"), (x * one).label("c1")
    out = c1 + c2 + c3 + (w * 2.0 + w * 3.0)
    cases.append(("x * 1 + x * -1 + x * -0.0 + (w * 2 + w * 3)", t.set_output(out.label("out"))))
    for k, graph_def in enumerate(ORDER_GRAPHS):
        cases.append((f"order graph {k}", order_graph(*graph_def)))
    return cases
