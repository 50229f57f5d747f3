"""pickle and copy.deepcopy of Value graphs and models: the restored graph backpropagates the same gradients."""

import copy
import math
import pickle

import pytest

from micrograd_ref import OPS, Value, maximum, minimum, trace
from micrograd_ref.nn import MLP, sgd_step
from micrograd_ref.ops import POW_SCALAR


def _graph():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    e = a * b
    e.label = "e"
    out = (((e + 10.0) * -2.0) ** 2 / a - maximum(a, c) + minimum(b, c) ** 3).tanh() + (c.exp().log() ** 0.5) - (-b).relu()
    out = out + 2 ** c + c.sigmoid() + a ** b
    return out, [a, b, c]


def _leaves(root):
    return sorted((n for n in trace(root)[0] if not n._prev and n.label), key=lambda n: n.label)


@pytest.mark.parametrize("restore", [lambda g: pickle.loads(pickle.dumps(g)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_restored_graph_has_every_node_op_and_label_and_backpropagates_the_same_gradients(restore):
    out, leaves = _graph()
    copy_ = restore(out)
    nodes, copied = trace(out)[0], trace(copy_)[0]
    assert [(n.data, n._op, n.op, n.params, n.label) for n in nodes] == \
        [(n.data, n._op, n.op, n.params, n.label) for n in copied]
    assert not set(map(id, nodes)) & set(map(id, copied))  # a copy, not the same nodes
    out.backward()
    copy_.backward()
    assert [v.grad for v in leaves] == [v.grad for v in _leaves(copy_)]
    assert all(math.isfinite(v.grad) and v.grad != 0.0 for v in leaves)


def test_pickling_keeps_grads_and_nodes_shared_between_pickled_objects_stay_one_node():
    m = MLP(2, [4, 1], seed=3, activation="tanh")
    loss = m([1.0, -1.0])
    loss.backward()
    w = m.parameters()[0]
    loss2, w2 = pickle.loads(pickle.dumps((loss, w)))
    assert w2.grad == w.grad != 0.0
    assert any(n is w2 for n in trace(loss2)[0])  # the pickled parameter is the one in the graph
    loss3, w3 = copy.deepcopy((loss, w))
    assert any(n is w3 for n in trace(loss3)[0])


@pytest.mark.parametrize("restore", [lambda g: pickle.loads(pickle.dumps(g)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_restored_mlp_trains_exactly_like_the_original(restore):
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    models = [MLP(2, [8, 8, 1], seed=11)]
    models.append(restore(models[0]))
    history = []
    for m in models:
        losses = []
        for _ in range(3):
            loss = sum(((m(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
            m.zero_grad()
            loss.backward()
            sgd_step(m.parameters(), 0.05)
            losses.append(loss.data)
        history.append((losses, [p.data for p in m.parameters()]))
    assert history[0] == history[1]
    assert models[0].parameters()[0] is not models[1].parameters()[0]


def test_a_200000_node_chain_pickles_and_deep_copies_without_recursion_error():
    x = Value(1.0, label="x")
    v = x
    for _ in range(100_000):
        v = (v * 1.0000001).relu()  # 200,000 op nodes, plus the constants
    v.backward()
    for restored in (pickle.loads(pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)), copy.deepcopy(v)):
        assert restored.data == v.data
        restored.backward()
        (x2,) = (n for n in trace(restored)[0] if n.label == "x")
        assert x2.grad == 2 * x.grad  # the copied grad plus one more backward
    intermediate = v._prev[0]._prev[0]
    assert pickle.loads(pickle.dumps([intermediate, v]))[1].data == v.data


def test_op_rows_pickle_by_name_and_bound_rows_by_name_and_parameter():
    for row in [*OPS.values(), POW_SCALAR.bind(2.0), POW_SCALAR.bind(-0.5)]:
        assert pickle.loads(pickle.dumps(row)) is row
        assert copy.deepcopy(row) is row


def test_a_row_that_is_not_in_the_op_table_refuses_to_pickle():
    out = Value(0.3).tanh()
    out._row = type(out._row)(**{**out._row.__dict__, "backward": lambda g, o, a: (2 * g,)})
    with pytest.raises(TypeError, match="not a row of the op table"):
        pickle.dumps(out)


def test_a_lecture_style_closure_node_refuses_to_pickle_or_deepcopy_with_a_clear_error():
    x = Value(0.5, label="x")
    out = Value(math.tanh(x.data), (x,), "tanh", label="t")

    def _backward():
        x.grad += (1 - out.data ** 2) * out.grad
    out._backward = _backward
    for fn in (pickle.dumps, copy.deepcopy):
        with pytest.raises(TypeError, match="'t'.*_backward is a closure"):
            fn(out * 2.0)
    bare = Value(1.0, (x,), "f")  # no closure yet: pickles, and still asks for one in backward
    with pytest.raises(RuntimeError, match="no _backward"):
        pickle.loads(pickle.dumps(bare)).backward()


def test_copy_copy_of_a_node_shares_its_inputs_and_leaves_deep_pickling_working():
    x = Value(1.0, label="x")
    v = x
    for _ in range(3000):
        v = v * 1.0
    c = copy.copy(v)
    assert c is not v and c._prev == v._prev and (c.data, c._op, c.op) == (v.data, "*", "mul")
    mid = v._prev[0]._prev[0]
    assert pickle.loads(pickle.dumps(mid)).data == 1.0  # no RecursionError after copy.copy


def _order_example():
    x, y = Value(0.1), Value(-1e-16)
    n = -(x * y)
    d = y - y
    return x, y, n, d


def test_pickled_and_copied_graphs_keep_torchs_accumulation_order():
    """y receives d's two contributions first, then m's (decreasing creation order): -0.1, as torch. A restored
    graph keeps each node's place in creation order, and nodes made after it come later."""
    import copy

    for restore in (lambda g: pickle.loads(pickle.dumps(g)), copy.deepcopy):
        x, y, n, d = restore(_order_example())
        out = d + n  # made after the restored nodes
        out.backward()
        assert y.grad == -0.1 and x.grad == 1e-16


def test_a_graph_pickled_in_one_process_keeps_its_order_in_another(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "g.pkl"
    path.write_bytes(pickle.dumps(_order_example()))
    code = ("import pickle, sys; from micrograd_ref import Value\n"
            "[Value(0.0) for _ in range(10)]\n"  # a fresh process whose counter is far behind the pickled nodes'
            f"x, y, n, d = pickle.loads(open({str(path)!r}, 'rb').read())\n"
            "out = d + n; out.backward(); print(repr(y.grad))")
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert got == "-0.1"
