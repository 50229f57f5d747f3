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

from .compare import DEFAULT, EXACT, Tolerance
from .generate import SPECIAL, rng_tape
from .tape import Tape


@dataclass
class Entry:
    name: str
    build: object  # Tape -> output Sym or list of Syms (kind "graph"); () -> [(case, Tape)] (kind "cases")
    kind: str = "graph"  # "graph", "cases" or "training"
    tol: Tolerance = DEFAULT
    smooth: bool = False  # finite differences at the leaves are a valid third oracle
    doc: str = ""
    tags: tuple = field(default=())

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
        """The ops its graphs use, in op-table order."""
        used = {n.op for _, tape in cases_of(self) for n in tape.nodes if n.op is not None}
        return [op for op in OPS if op in used]


CATALOGUE = {}


def graph(name, tol=DEFAULT, smooth=False, kind="graph", tags=()):
    def register(fn):
        CATALOGUE[name] = Entry(name, fn, kind, tol, smooth, (fn.__doc__ or "").strip(), tags)
        return fn

    return register


# --- seed notes ---------------------------------------------------------------

@graph("seed/toy_max", tol=EXACT, tags=("seed",))
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


@graph("seed/L_graph", tol=EXACT, smooth=True, tags=("seed",))
def L_graph(t):
    """Note 001: L = (a*b + c) * f at a=2, b=-3, c=10, f=-2: L=-8; grads a 6, b -4, c -2, f 4."""
    return _L_graph(t, 2.0, -3.0, 10.0, -2.0)


@graph("seed/L_graph_step", tol=EXACT, smooth=True, tags=("seed",))
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
    graph(f"seed/chain_rule/{_form}", tol=EXACT, smooth=True, tags=("seed",))(_chain_graph(_form))


def _relu_neuron(t, w, b):
    xs = [t.leaf(v, f"x{i}") for i, v in enumerate((1.0, -2.0, 3.0))]
    ws = [t.leaf(v, f"w{i}") for i, v in enumerate(w)]
    bias = t.leaf(b, "b")
    z = (xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2] + bias).label("z")
    return z.relu().label("y")


@graph("seed/relu_neuron", tol=EXACT, smooth=True, tags=("seed",))
def relu_neuron(t):
    """Note 003: y = relu(x.w + b), x=[1,-2,3], w=[-3,-1,2], b=1: y=6; grads x -3,-1,2; w 1,-2,3; b 1."""
    return _relu_neuron(t, (-3.0, -1.0, 2.0), 1.0)


@graph("seed/relu_neuron_step", tol=EXACT, smooth=True, tags=("seed",))
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


@graph("seed/cost", tol=EXACT, smooth=True, tags=("seed",))
def cost(t):
    """Note 004: J = (wx + b - y)^2 / 2 at w=2, b=8, x=-2, y=2: J=2; dJ/dw=-4, dJ/db=2."""
    return _cost(t, 2.0, 8.0, -2.0, 2.0)


@graph("seed/lab_square", tol=EXACT, smooth=True, tags=("seed",))
def lab_square(t):
    """Note 004 lab: J = (2 + 3w)^2 at w=3: a=11, J=121, dJ/da=22, dJ/dw=66."""
    w = t.leaf(3.0, "w")
    a = (2 + 3 * w).label("a")
    return (a ** 2).label("J")


@graph("seed/lab_cost", tol=EXACT, smooth=True, tags=("seed",))
def lab_cost(t):
    """Note 004 lab: x=2, w=-2, b=8, y=1: c=-4, a=4, d=3, J=4.5; dJ/dw=6, dJ/db=3."""
    return _cost(t, -2.0, 8.0, 2.0, 1.0)


@graph("seed/relu_net", tol=EXACT, smooth=True, tags=("seed",))
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


@graph("scale/chain_100k", tol=EXACT, tags=("scale",))
def chain_100k(t):
    """A chain 100,000 ops deep: x = 0.25, then 20,000 times: + c, relu, neg, + c, neg (c = 0.5, one leaf used 40,000 times)."""
    v = t.leaf(0.25, "x")
    c = t.leaf(0.5, "c")
    for _ in range(CHAIN_OPS // 5):
        v = -((-((v + c).relu())) + c)  # 0.25 -> 0.75 -> 0.75 -> -0.75 -> -0.25 -> 0.25
    return v.label("out")


@graph("scale/sum_50k", tol=EXACT, tags=("scale",))
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
# Declared exact: micrograd_ref's forward and backward formulas are torch's, term for term,
# so at these values the two agree bit for bit (signed zeros aside), and a one-ulp bias fails.

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
        f"edge/{_op}", (lambda o=_op: edge_cases(o)), "cases", EXACT, False,
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
