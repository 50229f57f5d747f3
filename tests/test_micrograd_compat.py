"""Drop-in for micrograd users: micrograd's API, the seed notes' own code and micrograd's demo, unchanged."""

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_ref import Value, maximum, minimum, render, to_dot
from micrograd_ref.nn import MLP, Layer, Neuron

ROOT = Path(__file__).resolve().parent.parent


# -- Value(data, _children=(), _op='', label='') -------------------------------------


def test_value_takes_micrograds_positional_children_op_and_label():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    v = Value(a.data * b.data, (a, b), "*", "e")
    assert (v.data, v._prev, v._op, v.label) == (-6.0, (a, b), "*", "e")
    leaf = Value(1.0, (), "", "x")
    assert leaf._prev == () and leaf._op == "" and leaf.label == "x" and leaf.op == ""


@pytest.mark.parametrize("make, symbol, name", [
    (lambda a, b: a + b, "+", "add"),
    (lambda a, b: a * b, "*", "mul"),
    (lambda a, b: a - b, "-", "sub"),
    (lambda a, b: a / b, "/", "div"),
    (lambda a, b: a ** b, "**", "pow"),
    (lambda a, b: a ** 2, "**2", "pow_scalar"),
    (lambda a, b: a ** 0.5, "**0.5", "pow_scalar"),
    (lambda a, b: a ** -1, "**-1", "pow_scalar"),
    (lambda a, b: a.relu(), "ReLU", "relu"),
    (lambda a, b: a.tanh(), "tanh", "tanh"),
    (lambda a, b: a.exp(), "exp", "exp"),
    (lambda a, b: a.log(), "log", "log"),
    (lambda a, b: maximum(a, b), "max", "maximum"),
    (lambda a, b: minimum(a, b), "min", "minimum"),
])
def test_op_is_the_symbol_string_micrograd_and_the_notes_spell_and_op_the_table_name(make, symbol, name):
    a, b = Value(2.0), Value(3.0)
    v = make(a, b)
    assert v._op == symbol and v.op == name
    assert set(v._prev) <= {a, b} and a in v._prev


def test_a_label_as_second_positional_argument_is_a_clear_error_not_a_tuple_label():
    with pytest.raises(TypeError, match=r"second argument is the node's inputs.*Value\(1.0, label='x'\)"):
        Value(1.0, "x")


def test_children_must_be_values_and_at_most_two():
    a = Value(1.0)
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(2.0, (a, 3.0), "*")
    with pytest.raises(TypeError, match="_op is the op's symbol"):
        Value(2.0, (a,), None)
    with pytest.raises(ValueError, match="at most two inputs.*Adding an op"):
        Value(3.0, (a, a, a), "sum3")


# -- the lecture's way of adding an op: Value(t, (self,), 'tanh') and a _backward closure ---


def lecture_tanh(self):
    """The lecture's tanh, verbatim but for being a function instead of a method."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), 'tanh')

    def _backward():
        self.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def lecture_mul(self, other):
    out = Value(self.data * other.data, (self, other), '*')

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


def lecture_add(self, other):
    out = Value(self.data + other.data, (self, other), '+')

    def _backward():
        self.grad += 1.0 * out.grad
        other.grad += 1.0 * out.grad
    out._backward = _backward
    return out


def _neuron(tanh, mul, add):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = add(add(mul(x1, w1), mul(x2, w2)), b)
    o = tanh(add(mul(n, n), n))  # n used three times: contributions must add up
    return o, [x1, x2, w1, w2, b]


def test_lecture_style_ops_with_backward_closures_give_the_built_in_gradients():
    o, leaves = _neuron(lecture_tanh, lecture_mul, lecture_add)
    o.backward()
    ref, ref_leaves = _neuron(Value.tanh, Value.__mul__, Value.__add__)
    ref.backward()
    assert o._op == "tanh" and o.op == "custom"
    assert o.data == pytest.approx(ref.data, rel=1e-15)
    for v, r in zip(leaves, ref_leaves):
        assert v.grad == pytest.approx(r.grad, rel=1e-12, abs=1e-15), v.label
    assert leaves[2].grad != 0.0


def test_lecture_style_node_used_twice_and_backward_twice_add_up_like_built_in_ops():
    a = Value(3.0, label="a")
    sq = lecture_mul(a, a)  # one node as both inputs
    out = lecture_add(sq, sq)
    out.backward()
    assert a.grad == 12.0  # d(2 a^2)/da
    out.backward()
    assert a.grad == 24.0  # backward twice adds twice, as for the op table's ops
    assert out.grad == 2.0 and sq.grad == 4.0


def test_lecture_style_node_without_backward_is_a_clear_error_naming_the_documented_way():
    x = Value(0.5, label="x")
    out = Value(math.tanh(x.data), (x,), "tanh")  # note 001 before it writes backward
    with pytest.raises(RuntimeError, match=r"no _backward.*out\._backward.*Adding an op"):
        out.backward()
    assert x.grad == 0.0
    (out * 2.0).tanh()  # the graph stays usable
    out._backward = lambda: None
    out.backward()
    assert x.grad == 0.0


def test_micrograds_own_backward_loop_over_node_backward_gives_backwards_gradients():
    """Code written against micrograd may walk the graph itself (the lecture's topo sort)."""
    def build():
        a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        c, f = Value(10.0, label="c"), Value(-2.0, label="f")
        L = ((a * b + c) * f).tanh() ** 2 / a + a.relu()
        return L, [a, b, c, f]

    L, leaves = build()
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)
    build_topo(L)
    L.grad = 1.0
    for node in reversed(topo):
        node._backward()
    L2, leaves2 = build()
    L2.backward()
    assert [v.grad for v in leaves] == pytest.approx([v.grad for v in leaves2], rel=1e-14)


# -- drawing as the notes draw ---------------------------------------------------------


def notes_draw_dot():
    """Note 001's trace and draw_dot, verbatim (graphviz.Digraph)."""
    from graphviz import Digraph

    def trace(root):
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)
        build(root)
        return nodes, edges

    def draw_dot(root, format='svg', rankdir='LR'):
        assert rankdir in ['LR', 'TB']
        nodes, edges = trace(root)
        dot = Digraph(format=format, graph_attr={'rankdir': rankdir})
        for n in nodes:
            dot.node(name=str(id(n)), label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
            if n._op:
                dot.node(name=str(id(n)) + n._op, label=n._op)
                dot.edge(str(id(n)) + n._op, str(id(n)))
        for n1, n2 in edges:
            dot.edge(str(id(n1)), str(id(n2)) + n2._op)
        return dot

    return draw_dot


def test_the_notes_draw_dot_draws_the_L_graph_with_op_nodes_and_records():
    draw_dot = notes_draw_dot()
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a * b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    L.backward()
    dot = draw_dot(L)
    src = dot.source
    assert "{ L | data -8.0000 | grad 1.0000 }" in src
    assert "{ a | data 2.0000 | grad 6.0000 }" in src and "{ b | data -3.0000 | grad -4.0000 }" in src
    assert src.count("label=\"*\"") == 2 and src.count("label=\"+\"") == 1
    svg = dot.pipe(format="svg").decode()  # the Graphviz program renders it
    assert "<svg" in svg and "data &#45;8.0000" in svg


def test_the_notes_draw_dot_draws_the_neuron_with_a_lecture_style_tanh():
    draw_dot = notes_draw_dot()
    x1 = Value(2.0, label='x1')
    w1 = Value(-3.0, label='w1')
    b = Value(6.8813735870195432, label='b')
    n = x1 * w1 + b; n.label = 'n'
    o = lecture_tanh(n); o.label = 'output'
    o.backward()
    src = draw_dot(o).source
    assert "label=tanh" in src and "{ n | data 0.8814 | grad 0.5000 }" in src


def test_render_writes_the_drawing_with_graphviz(tmp_path):
    x = Value(2.0, label="x")
    out = (x * x).tanh()
    out.backward()
    path = render(out, tmp_path / "g", format="svg")
    assert path == str(tmp_path / "g.svg") and "<svg" in Path(path).read_text()
    assert render(out, tmp_path / "g", format="png").endswith(".png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]


def test_render_without_the_dot_program_is_a_one_line_error_naming_it_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = Value(1.0, label="x") * 2.0
    with pytest.raises(RuntimeError) as err:
        render(out, tmp_path / "g")
    msg = str(err.value)
    assert "\n" not in msg and "Graphviz" in msg and "'dot'" in msg and "apt-get install graphviz" in msg
    assert list(tmp_path.iterdir()) == []


def test_render_with_an_unknown_format_is_a_clear_error_and_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError, match="dot failed on format 'nope'"):
        render(Value(1.0, label="x") * 2.0, tmp_path / "g", format="nope")
    assert list(tmp_path.iterdir()) == []


def test_to_dot_shows_the_exponent_in_the_op_node_as_micrograd_spells_it():
    assert 'label="**2"' in to_dot(Value(3.0, label="x") ** 2)


# -- nn: micrograd's initialisation and signatures ------------------------------------


def test_mlp_without_seed_has_micrograds_weights_from_global_random_and_zero_biases():
    from micrograd.nn import MLP as MicrogradMLP

    random.seed(1337)
    theirs = MicrogradMLP(2, [16, 16, 1])
    after_theirs = random.random()
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert random.random() == after_theirs  # the same number of draws from the global generator
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert all(n.b.data == 0.0 for layer in ours.layers for n in layer.neurons)
    assert repr(ours) == repr(theirs)


def test_bias_uniform_gives_the_lectures_uniform_biases_from_global_random():
    random.seed(5)
    m = MLP(2, [3, 1], bias="uniform")
    random.seed(5)
    assert [p.data for p in m.parameters()] == [random.uniform(-1, 1) for _ in range(3 * 3 + 4)]
    m = MLP(2, [3, 1], seed=4, bias="zero")
    r = random.Random(4)
    assert [n.w[0].data for n in m.layers[0].neurons] == [(r.uniform(-1, 1), r.uniform(-1, 1))[0] for _ in range(3)]
    assert all(n.b.data == 0.0 for layer in m.layers for n in layer.neurons)
    with pytest.raises(ValueError, match="bias must be one of"):
        MLP(2, [1], bias="normal")


def test_neuron_and_layer_take_micrograds_nonlin_flag():
    from micrograd.nn import Layer as MicrogradLayer
    from micrograd.nn import Neuron as MicrogradNeuron

    random.seed(3)
    theirs = [MicrogradNeuron(3, nonlin=False), MicrogradLayer(2, 3, nonlin=False), MicrogradNeuron(2)]
    random.seed(3)
    ours = [Neuron(3, nonlin=False), Layer(2, 3, nonlin=False), Neuron(2)]
    for t, o in zip(theirs, ours):
        assert repr(o) == repr(t)
        assert [p.data for p in o.parameters()] == [p.data for p in t.parameters()]
    x = [Value(-1.0), Value(-2.0), Value(0.5)]
    assert ours[0](x).data == theirs[0]([v.data for v in x]).data
    assert ours[0].nonlin is False and ours[2].nonlin is True
    with pytest.raises(TypeError, match="activation='tanh'"):
        Neuron(3, "tanh")


def _moons(n, noise, seed):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import moons
    finally:
        sys.path.pop(0)
    return moons.make_moons(n, noise, seed)


def _demo(Value, MLP, X, y, steps):
    """micrograd's demo notebook's training loop, verbatim but for the engine passed in."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    out = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        out.append((total_loss.data, acc))
    return out


def test_micrograds_moons_demo_gives_micrograds_losses_step_0_exactly_then_within_1e_9():
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP

    X, y = _moons(40, 0.1, seed=0)
    theirs = _demo(MicrogradValue, MicrogradMLP, X, y, steps=4)
    ours = _demo(Value, MLP, X, y, steps=4)
    assert ours[0] == theirs[0]  # to the last digit
    for (lo, ao), (lt, at) in zip(ours, theirs):
        assert lo == pytest.approx(lt, rel=1e-9) and ao == at
    assert ours[-1][0] < ours[0][0]


def test_moons_example_runs_and_writes_the_boundary_png_and_graph_svg(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "moons.py"), "--steps", "2", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("step")]
    assert len(lines) == 2 and "loss 0.897591" in lines[0] and "accuracy" in lines[0] and "2/2" in lines[1]
    png, svg = tmp_path / "moons_boundary.png", tmp_path / "moons_graph.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "<svg" in svg.read_text() and "ReLU" in svg.read_text()
