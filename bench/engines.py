"""What is timed: tapes replayed through each engine's public API, plus the vectorized and plain-float MLPs.

A tape (parity.tape.Tape) is compiled once into a plan (outside any timing); running the plan
creates the leaves (Value(x) / torch.tensor(x, dtype=float64, requires_grad=True)) and applies
every op with ``OPS[op].call(ns, *inputs, *params)``, exactly the harness's replay, minus
retain_grad. The timed callables return None, so dropping the graph is timed too (one training
step's worth of work). torch, matplotlib and micrograd are imported lazily: the
table/slope/baseline code needs none of them.
"""

import functools
import re

from micrograd_ref.ops import OPS

ENGINES = ("micrograd_ref", "torch", "micrograd")  # scalar engines replaying tapes
ENGINE_LABEL = {
    "micrograd_ref": "micrograd_ref",
    "torch": "torch scalar",
    "micrograd": "micrograd 0.1.0",
    "torch-vec": "torch vectorized",
    "floats-table": "floats (op table)",
    "floats-hand": "floats (hand loop)",
}
# ops classic micrograd 0.1.0 can express: +, -, *, / (as b ** -1), -a (as a * -1), a ** number, relu
MICROGRAD_OPS = frozenset({"add", "sub", "mul", "div", "neg", "pow_scalar", "relu"})


class Unsupported(Exception):
    """The engine cannot express this graph (an 'n/a' cell)."""


# --- engines -------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def engine(name):
    """(ns, make_leaf, grad_of) for a scalar engine: ns is passed to Op.call, make_leaf(x) makes a leaf."""
    if name == "micrograd_ref":
        import micrograd_ref

        return micrograd_ref, micrograd_ref.Value, lambda v: v.grad
    if name == "torch":
        torch = import_torch()
        return torch, functools.partial(torch.tensor, dtype=torch.float64, requires_grad=True), lambda v: v.grad.item()
    if name == "micrograd":
        from micrograd.engine import Value

        return None, Value, lambda v: v.grad
    raise KeyError(name)


def import_torch():
    """torch with one intra-op thread (BENCH_TORCH_THREADS to change): scalar ops never use more, and on this
    shared 2-core machine two threads made small vectorized ops stall ~80 ms at random (0.8 ms with one)."""
    import os

    from parity.engines import import_torch as parity_import_torch

    torch = parity_import_torch()  # the harness's import, with its one-line fix when torch is missing
    threads = int(os.environ.get("BENCH_TORCH_THREADS", "1"))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch


def supports(engine_name, tape):
    if engine_name != "micrograd":
        return True
    missing = {n.op for n in tape.nodes if n.op is not None} - MICROGRAD_OPS
    return not missing


def unsupported_ops(engine_name, tapes):
    if engine_name != "micrograd":
        return set()
    return {n.op for t in tapes for n in t.nodes if n.op is not None} - MICROGRAD_OPS


# --- replay ----------------------------------------------------------------------


class Plan:
    """A tape compiled for replay: one (call, inputs, params_or_data) step per node."""

    __slots__ = ("steps", "output", "nodes")

    def __init__(self, tape):
        steps = []
        for n in tape.nodes:
            if n.op is None:
                steps.append((None, (), n.data))
            else:
                steps.append((OPS[n.op].call, tuple(n.inputs), tuple(n.params)))
        self.steps = steps
        self.output = tape.output
        self.nodes = len(steps)


def replay(plan, ns, leaf, leaf_data=None):
    """All node values of one replay (leaves from leaf_data[i] when given)."""
    vals = []
    append = vals.append
    for i, (call, ins, p) in enumerate(plan.steps):
        if call is None:
            append(leaf(p if leaf_data is None else leaf_data.get(i, p)))
        elif p:
            append(call(ns, *[vals[j] for j in ins], *p))
        elif len(ins) == 2:
            append(call(ns, vals[ins[0]], vals[ins[1]]))
        else:
            append(call(ns, vals[ins[0]]))
    return vals


def forward(plan, ns, leaf):
    """The root of one replay; everything else is reachable from it (or already freed)."""
    return replay(plan, ns, leaf)[plan.output]


def workload(tapes, engine_name, mode):
    """A zero-argument callable timing `mode` ('fwd' or 'fwd+bwd') over every tape (a 'cases' entry is one unit)."""
    if unsupported_ops(engine_name, tapes):
        raise Unsupported(f"{engine_name} has no {', '.join(sorted(unsupported_ops(engine_name, tapes)))}")
    ns, leaf, _ = engine(engine_name)
    plans = [Plan(t) for t in tapes]
    if len(plans) == 1:
        plan = plans[0]
        if mode == "fwd":
            def run():
                forward(plan, ns, leaf)
        else:
            def run():
                forward(plan, ns, leaf).backward()
    else:
        if mode == "fwd":
            def run():
                for plan in plans:
                    forward(plan, ns, leaf)
        else:
            def run():
                for plan in plans:
                    forward(plan, ns, leaf).backward()
    return run


def training(tape, engine_name, steps, lr):
    """`steps` SGD steps on the MLP weight leaves (labels L*): replay from current weights, backward, update."""
    if unsupported_ops(engine_name, [tape]):
        raise Unsupported(f"{engine_name} has no {', '.join(sorted(unsupported_ops(engine_name, [tape])))}")
    ns, leaf, grad_of = engine(engine_name)
    plan = Plan(tape)
    params = [i for i, n in enumerate(tape.nodes) if n.op is None and n.label.startswith("L")]
    start = {i: tape.nodes[i].data for i in params}

    def run():
        w = dict(start)
        for _ in range(steps):
            vals = replay(plan, ns, leaf, w)
            root = vals[plan.output]
            root.backward()
            for i in params:
                w[i] = w[i] - lr * grad_of(vals[i])
        return w

    return run


# --- MLP structure, vectorized torch and plain floats ------------------------------

_PARAM = re.compile(r"L(\d+)\.N(\d+)\.(?:w(\d+)|b)")
_HINGE_X = re.compile(r"p(\d+)\.x([01])")
_CLASSIC_X = re.compile(r"x(\d+)\.(\d+)")


class MLPSpec:
    """Weights and inputs of a catalogue MLP tape, read back from its leaf labels."""

    def __init__(self, tape):
        w, b, xs = {}, {}, {}
        kind = None
        for n in tape.nodes:
            if n.op is not None or not n.label:
                continue
            m = _PARAM.fullmatch(n.label)
            if m:
                li, j = int(m.group(1)), int(m.group(2))
                if m.group(3) is None:
                    b[li, j] = n.data
                else:
                    w.setdefault((li, j), {})[int(m.group(3))] = n.data
                continue
            for pat, k in ((_HINGE_X, "hinge"), (_CLASSIC_X, "classic")):
                m = pat.fullmatch(n.label)
                if m:
                    kind = k
                    xs.setdefault(int(m.group(1)), {})[int(m.group(2))] = n.data
        if kind is None or not w:
            raise ValueError("not a catalogue MLP tape (no L*.N*.w* / p*.x* / x*.* leaves)")
        n_layers = 1 + max(li for li, _ in w)
        self.layers = []
        for li in range(n_layers):
            n_neurons = 1 + max(j for l2, j in w if l2 == li)
            self.layers.append([
                ([w[li, j][i] for i in range(len(w[li, j]))], b[li, j]) for j in range(n_neurons)
            ])
        self.X = [[row[i] for i in range(len(row))] for _, row in sorted(xs.items())]
        self.kind = kind
        if kind == "hinge":
            self.ys = [1.0 if x[0] * x[1] > 0 else -1.0 for x in self.X]
            self.activation = "relu"
        else:
            from parity.catalogue import CLASSIC_YS

            self.ys = list(CLASSIC_YS)
            self.activation = "tanh"


def torch_vectorized(spec, mode):
    """The same loss with float64 tensors and matmuls; returns a callable giving the loss tensor."""
    torch = import_torch()

    f64 = torch.float64
    Ws = [[w for w, _ in layer] for layer in spec.layers]
    Bs = [[b for _, b in layer] for layer in spec.layers]
    X, ys, kind = spec.X, spec.ys, spec.kind
    act = torch.relu if spec.activation == "relu" else torch.tanh
    last = len(Ws) - 1

    def loss():
        W = [torch.tensor(w, dtype=f64, requires_grad=True) for w in Ws]
        B = [torch.tensor(b, dtype=f64, requires_grad=True) for b in Bs]
        h = torch.tensor(X, dtype=f64)
        y = torch.tensor(ys, dtype=f64)
        for li in range(len(W)):
            h = h @ W[li].T + B[li]
            if li < last:
                h = act(h)
        score = h[:, 0]
        if kind == "hinge":
            reg = sum((w * w).sum() + (b * b).sum() for w, b in zip(W, B))
            return torch.relu(1.0 - y * score).mean() + 1e-4 * reg
        return ((score - y) ** 2).sum()

    if mode == "fwd":
        def run():
            loss()
    else:
        def run():
            loss().backward()
    return run, loss


def floats_hand(spec):
    """The MLP's loss in plain Python floats, written by hand (the same sums in the same order)."""
    layers, X, ys, kind = spec.layers, spec.X, spec.ys, spec.kind
    relu = spec.activation == "relu"
    import math

    last = len(layers) - 1

    def run():
        total = 0.0
        for x, y in zip(X, ys):
            for li, layer in enumerate(layers):
                out = []
                for w, b in layer:
                    a = b
                    for wi, xi in zip(w, x):
                        a = a + wi * xi
                    if li < last:
                        a = (0.0 if a < 0.0 else a) if relu else math.tanh(a)
                    out.append(a)
                x = out
            if kind == "hinge":
                h = 1.0 + -y * x[0]
                total = total + (0.0 if h < 0.0 else h)
            else:
                total = total + (x[0] - y) ** 2
        if kind == "classic":
            return total
        reg = 0.0
        for layer in layers:
            for w, b in layer:
                for p in (*w, b):
                    reg = reg + p * p
        return total * (1.0 / len(X)) + 1e-4 * reg

    return run


def floats_table(tape):
    """The tape's forward in plain floats through the op table (Tape.evaluate)."""
    def run():
        return tape.evaluate()[tape.output]

    return run


# --- scaling series tapes ------------------------------------------------------------

SERIES = {
    "mlp": (25, 50, 100, 200, 400),  # batch size of MLP 2->16->16->1 with the hinge loss
    "chain": (1_000, 10_000, 100_000),  # ops in x -> x * 1.0000001 -> ...
    "wide": (1_000, 10_000, 100_000),  # leaves summed with Python's sum()
}
SERIES_DOC = {
    "mlp": "MLP 2->16->16->1, hinge loss + L2, size = batch",
    "chain": "y = y * 1.0000001 repeated, size = ops (2 nodes per op: the op and its constant)",
    "wide": "sum(x_i) of `size` leaves with Python's sum() (a left fold: size adds)",
}


def series_tape(series, size):
    from parity.catalogue import mlp_hinge_loss, mlp_params, points
    from parity.tape import Tape

    t = Tape()
    if series == "mlp":
        return t.set_output(mlp_hinge_loss(t, mlp_params(t, 2, [16, 16, 1], seed=3), points(size, seed=2)))
    if series == "chain":
        y = t.leaf(1.0, "x")
        for _ in range(size):
            y = y * 1.0000001
        return t.set_output(y)
    if series == "wide":
        xs = [t.leaf((i % 7) * 0.25 - 0.5, f"x{i}") for i in range(size)]
        return t.set_output(sum(xs))
    raise KeyError(series)


def catalogue_tapes(name):
    """[Tape] of a catalogue entry (one per case). Not cached: big live heaps would slow every later gc pass."""
    from parity.catalogue import CATALOGUE, cases_of

    return [t for _, t in cases_of(CATALOGUE[name])]

