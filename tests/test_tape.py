"""The engine-neutral recorder that the catalogue's graphs are written against."""

import pytest

from micrograd_ref import OPS
from parity.tape import Sym, Tape


@pytest.mark.parametrize("name", sorted(OPS))
def test_recorder_spells_every_op_as_the_engine_does(name):
    op = OPS[name]
    t = Tape()
    inputs = [t.leaf(1.5, "a"), t.leaf(-0.5, "b")][: op.arity]
    out = op.call(t, *inputs, *(2.0 for _ in op.params))  # the op's user spelling, on the recorder
    assert isinstance(out, Sym) and t.nodes[out.id].op == name
    assert t.nodes[out.id].inputs == tuple(s.id for s in inputs)


def test_numbers_become_const_leaves_and_the_exponent_a_parameter():
    t = Tape()
    x = t.leaf(3.0, "x")
    y = 2 - x ** 2
    nodes = t.nodes
    assert nodes[y.id].op == "sub" and nodes[nodes[y.id].inputs[0]].const
    assert nodes[nodes[y.id].inputs[1]].op == "pow_scalar" and nodes[nodes[y.id].inputs[1]].params == (2.0,)


def test_evaluate_uses_the_op_table_forward():
    t = Tape()
    x = t.leaf(0.25, "x")
    t.set_output((x * 4).log())
    assert t.evaluate()[t.output] == 0.0


def test_leaves_reject_non_numbers():
    with pytest.raises(TypeError, match="str"):
        Tape().leaf("1.0")
