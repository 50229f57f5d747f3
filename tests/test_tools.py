"""gradcheck and the drawings."""

import math

import pytest

from micrograd_ref import Value, gradcheck, maximum, to_dot, trace


def test_gradcheck_passes_a_correct_graph_and_prints_a_table():
    rep = gradcheck(lambda a, b, c, f: (a * b + c) * f, [2.0, -3.0, 10.0, -2.0], labels=["a", "b", "c", "f"])
    assert rep and rep.ok
    text = str(rep)
    assert "PASS" in text and "a" in text
    assert [r.analytic for r in rep.rows] == [6.0, -4.0, -2.0, 4.0]
    assert all(abs(r.numeric - r.analytic) < 1e-6 for r in rep.rows)


def test_gradcheck_fails_when_backward_is_wrong():
    def f(x):
        out = x.tanh()
        out._row = type(out._row)(**{**out._row.__dict__, "backward": lambda g, o, a: (2 * g,)})
        return out

    rep = gradcheck(f, [0.3])
    assert not rep and "FAIL" in str(rep)


def test_gradcheck_rejects_a_function_that_does_not_return_a_value():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [1.0])


def test_trace_lists_every_node_once_and_every_edge_deterministically():
    x, y, z = Value(1.0, label="x"), Value(2.0, label="y"), Value(0.0, label="z")
    f = (x + y) * maximum(y, z)
    nodes, edges = trace(f)
    assert len(nodes) == 6 and len(edges) == 6
    assert nodes[0] is f
    assert trace(f)[0] == nodes


def test_to_dot_draws_label_data_grad_records_and_op_nodes():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    e.backward()
    dot = to_dot(e)
    assert dot.startswith("digraph G {")
    assert '"{ a | data 2.0000 | grad -3.0000 }"' in dot
    assert '"{ e | data -6.0000 | grad 1.0000 }"' in dot
    assert 'n0_op [label="*"]' in dot and "n0_op -> n0;" in dot


def test_to_dot_escapes_record_characters_and_highlights_nodes():
    v = Value(math.inf, label="a|b{c}")
    dot = to_dot(v, highlight={v: "torch says 1"})
    assert "a\\|b\\{c\\}" in dot and "color=red" in dot and "torch says 1" in dot
    with pytest.raises(ValueError):
        to_dot(v, rankdir="XY")


def test_to_dot_output_is_valid_graphviz():
    import subprocess

    x, w = Value(2.0, label="x"), Value(-3.0, label="w|<w>")
    out = ((x * w).tanh() ** 2).relu()
    out.backward()
    r = subprocess.run(["dot", "-Tsvg"], input=to_dot(out, highlight={x: "torch {1} | <2>"}), capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert "<svg" in r.stdout
