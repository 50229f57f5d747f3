"""micrograd's demo on micrograd_ref: a 2-16-16-1 ReLU MLP learns two interleaved half-moons.

    python examples/moons.py                 # 100 steps, pictures in the current directory
    python examples/moons.py --steps 20 --out /tmp/moons

The data set is generated here (no scikit-learn): 100 points on two half circles with
Gaussian noise 0.1, labels -1 and +1. The model, loss and schedule are micrograd's demo
notebook's, unchanged: random.seed(1337), MLP(2, [16, 16, 1]) (weights from the global
random, biases 0), the max-margin loss mean(relu(1 - y * score)) plus 1e-4 times the sum
of squared parameters, and SGD with a learning rate from 1.0 down to 0.1.

Writes moons_boundary.png (the decision boundary, with matplotlib) and moons_graph.svg
(one trained neuron on one point after backward, with Graphviz's `dot`).
"""

import argparse
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from micrograd_ref import Value, render  # noqa: E402
from micrograd_ref.nn import MLP  # noqa: E402


def make_moons(n=100, noise=0.1, seed=0):
    """Two interleaved half circles, as scikit-learn's make_moons: points and labels -1/+1."""
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    pts = [(math.cos(math.pi * i / (n_out - 1)), math.sin(math.pi * i / (n_out - 1)), -1) for i in range(n_out)]
    pts += [(1 - math.cos(math.pi * i / (n_in - 1)), 0.5 - math.sin(math.pi * i / (n_in - 1)), 1) for i in range(n_in)]
    rng.shuffle(pts)
    return [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y, _ in pts], [c for _, _, c in pts]


def loss(model, X, y):
    """micrograd's demo loss: max-margin (hinge) plus L2, and the accuracy."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train(model, X, y, steps, out=sys.stdout):
    history = []
    start = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss(model, X, y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
        done = (k + 1) * 30 // steps
        bar = "#" * done + "." * (30 - done)
        print(f"step {k:3d} [{bar}] {k + 1:3d}/{steps} loss {total_loss.data:.6f} accuracy {acc * 100:5.1f}%"
              f"  {time.perf_counter() - start:5.1f}s", file=out, flush=True)
    return history


def plot_boundary(model, X, y, path, h=0.05):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 1, max(xs) + 1
    y0, y1 = min(ys) - 1, max(ys) + 1
    nx, ny = int((x1 - x0) / h) + 1, int((y1 - y0) / h) + 1
    gx = [x0 + i * h for i in range(nx)]
    gy = [y0 + j * h for j in range(ny)]
    # the score's sign at every grid point: the forward pass in plain floats from the
    # trained weights (the same arithmetic as the Value graph, without recording one)
    layers = [[([w.data for w in n.w], n.b.data, n.activation) for n in layer.neurons] for layer in model.layers]

    def score(p):
        for layer in layers:
            p = [_act(sum((wi * xi for wi, xi in zip(w, p)), b), act) for w, b, act in layer]
        return p[0]

    z = [[1.0 if score([u, v]) > 0 else 0.0 for u in gx] for v in gy]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.scatter(xs, ys, c=["#d62728" if c < 0 else "#1f77b4" for c in y], s=30, edgecolors="k", linewidths=0.5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title("micrograd_ref: MLP(2, [16, 16, 1]) decision boundary")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def _act(s, act):
    if act == "relu":
        return 0.0 if s < 0.0 else s
    return math.tanh(s) if act == "tanh" else s


def draw_neuron(model, X, path):
    """One trained neuron of the first layer on the first point, after backward."""
    neuron = model.layers[0].neurons[0]
    x = [Value(v, label=f"x{i}") for i, v in enumerate(X[0])]
    terms = []
    for i, (w, xi) in enumerate(zip(neuron.w, x)):
        t = w * xi
        t.label = f"w{i}*x{i}"
        terms.append(t)
    s = terms[0] + terms[1]
    s.label = "w0*x0 + w1*x1"
    n = s + neuron.b
    n.label = "n"
    o = n.relu()
    o.label = "out"
    for v in neuron.parameters():
        v.grad = 0.0
    o.backward()
    return render(o, path, format="svg")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--out", default=".", help="directory for moons_boundary.png and moons_graph.svg")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    X, y = make_moons(100, 0.1, seed=0)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    print(model)
    print("number of parameters", len(model.parameters()))
    history = train(model, X, y, args.steps)
    png = plot_boundary(model, X, y, os.path.join(args.out, "moons_boundary.png"))
    svg = draw_neuron(model, X, os.path.join(args.out, "moons_graph"))
    print(f"final loss {history[-1][0]:.6f}, accuracy {history[-1][1] * 100:.1f}%")
    print(f"wrote {png} and {svg}")
    return history


if __name__ == "__main__":
    main()
