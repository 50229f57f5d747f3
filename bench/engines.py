"""What is timed: catalogue tapes replayed through the engine interface (parity.engines), plus the vectorized
and plain-float MLPs.

Every scalar engine is a parity engine (micrograd_ref, torch, classic micrograd's adapter, and the framework
engines jax, tensorflow, autograd, tinygrad when installed): the bench has no replay of its own. What an
engine's cell times is ``Engine.timing_run(graph, backward)`` (parity/engines/base.py): one replay of the
graph through the engine's public API and one backward() from its output, returning nothing, so dropping
the graph is timed too. Engines without a cheaper timing mode time their ``run(graph)`` (which also captures
every node's data and grad) and have no forward-only cell (n/a). torch, matplotlib and micrograd are imported
lazily: the table/slope/baseline code needs none of them.
"""

import functools
import re

ENGINES = ("micrograd_ref", "torch", "micrograd")  # every workload: catalogue, scaling series, memory
FRAMEWORKS = ("jax", "tensorflow", "autograd", "tinygrad")  # the catalogue's graphs, fwd+bwd, side by side
SPECS = {"micrograd": "examples.micrograd_adapter:Micrograd"}  # bench name -> parity engine name
ENGINE_LABEL = {
    "micrograd_ref": "micrograd_ref",
    "torch": "torch scalar",
    "micrograd": "micrograd 0.1.0",
    "jax": "JAX",
    "tensorflow": "TensorFlow (eager)",
    "autograd": "HIPS autograd",
    "tinygrad": "tinygrad (PYTHON device)",
    "torch-vec": "torch vectorized",
    "floats-table": "floats (op table)",
    "floats-hand": "floats (hand loop)",
}


class Unsupported(Exception):
    """The engine cannot express this graph, or is not installed (an 'n/a' cell)."""


# --- engines: the parity engines, started once ----------------------------------------------------------


@functools.lru_cache(maxsize=None)
def engine(name):
    """The started parity engine of a bench engine name; Unsupported when it is not installed."""
    from parity.engines import EngineUnavailable, make

    if name == "torch":
        import_torch()  # one intra-op thread, before the engine's first tensor
    try:
        eng = make(SPECS.get(name, name))
        eng.start()
    except EngineUnavailable as exc:
        raise Unsupported(str(exc)) from None
    return eng


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


def graphs(tapes, name="bench"):
    from parity.engines import Graph

    return [Graph(name, str(i), t) for i, t in enumerate(tapes)]


def missing_ops(engine_name, tapes):
    eng = engine(engine_name)
    return set().union(*(eng.missing_ops(g) for g in graphs(tapes)))


def supports(engine_name, tape):
    try:
        return not missing_ops(engine_name, [tape])
    except Unsupported:
        return False


def workload(tapes, engine_name, mode):
    """A zero-argument callable timing `mode` ('fwd' or 'fwd+bwd') over every tape (a 'cases' entry is one unit)."""
    from parity.engines import Engine

    eng = engine(engine_name)
    missing = missing_ops(engine_name, tapes)
    if missing:
        raise Unsupported(f"{engine_name} has no {', '.join(sorted(missing))}")
    backward = mode != "fwd"
    if not backward and type(eng).timing_run is Engine.timing_run:
        raise Unsupported(f"{engine_name} has no forward-only timing mode (its run() always runs backward)")
    gs, timed = graphs(tapes), eng.timing_run

    def run():
        for g in gs:
            timed(g, backward)

    return run


def training(tape, engine_name, steps, lr):
    """`steps` SGD steps on the MLP weight leaves (labels L*): replay from current weights, backward, update, each
    step one ``run()`` of the engine (its gradients are what the update needs)."""
    from parity.engines import Graph

    eng = engine(engine_name)
    if missing_ops(engine_name, [tape]):
        raise Unsupported(f"{engine_name} has no {', '.join(sorted(missing_ops(engine_name, [tape])))}")
    work = tape.copy()
    params = [i for i, n in enumerate(work.nodes) if n.op is None and n.label.startswith("L")]
    start = {i: work.nodes[i].data for i in params}

    def run():
        w = dict(start)
        for step in range(steps):
            for i in params:
                work.nodes[i].data = w[i]
            grad = eng.run(Graph("bench/train", str(step), work)).grad
            for i in params:
                w[i] = w[i] - lr * grad[i]
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

