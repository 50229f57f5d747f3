"""The engine after things go wrong: a backward() that raised midway, apply() called with the wrong counts."""

import math
from dataclasses import replace

import pytest

from micrograd_ref import OPS, Value, apply


def _flaky(row, exc):
    """row with a backward that raises exc on its first call and behaves normally afterwards."""
    calls = []

    def backward(*args):
        calls.append(1)
        if len(calls) == 1:
            raise exc("planted failure in the middle of backward()")
        return row.backward(*args)

    return replace(row, backward=backward), calls


def _graph(mul_row):
    """Shared nodes (a, b, x used by several consumers) with the mul_row node in the middle of the walk:
    when it raises, some nodes have already passed on their gradient and others still wait for consumers."""
    x, y = Value(0.75), Value(-1.25)
    a = x * y
    b = a + x
    c = apply(mul_row, b, a)
    d = c.tanh() + b * a + x * 3.0
    e = d * d + a
    out = e + b.exp()
    return [x, y, a, b, c, d, e, out]


def _same(u, v):
    return math.copysign(1.0, u) == math.copysign(1.0, v) and (u == v or (u != u and v != v))


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt], ids=["op_error", "keyboard_interrupt"])
def test_backward_after_a_backward_that_raised_midway_gives_the_clean_gradients(exc):
    clean = _graph(OPS["mul"])
    clean[-1].backward()
    want = [n.grad for n in clean]

    row, calls = _flaky(OPS["mul"], exc)
    nodes = _graph(row)
    with pytest.raises(exc, match="planted"):
        nodes[-1].backward()
    assert calls == [1]
    assert nodes[-1].grad == 1.0 and nodes[0].grad == 0.0  # it did stop midway: the root got its grad, x not yet

    for n in nodes:  # start over, as after zero_grad()
        n.grad = 0.0
    nodes[-1].backward()
    got = [n.grad for n in nodes]
    assert all(map(_same, got, want)), list(zip(got, want))

    # and a walk from another root through the same nodes is clean too
    for n in nodes + clean:
        n.grad = 0.0
    nodes[5].backward()
    clean[5].backward()
    assert all(_same(n.grad, m.grad) for n, m in zip(nodes, clean))


@pytest.mark.parametrize(
    "op,n_inputs,params",
    [
        ("mul", 1, ()),
        ("add", 0, ()),
        ("add", 3, ()),
        ("neg", 2, ()),
        ("add", 2, (2.0,)),
        ("pow_scalar", 1, ()),
        ("pow_scalar", 1, (2.0, 3.0)),
        ("pow_scalar", 2, (2.0,)),
    ],
)
def test_apply_with_wrong_number_of_inputs_or_params_raises_type_error_naming_op_and_counts(op, n_inputs, params):
    row = OPS[op]
    inputs = [Value(0.5 + i) for i in range(n_inputs)]
    with pytest.raises(TypeError) as info:
        apply(op, *inputs, params=params)
    assert str(info.value) == (
        f"{op} takes {row.arity} input(s) and {len(row.params)} parameter(s), "
        f"got {n_inputs} input(s) and {len(params)} parameter(s)"
    )
    with pytest.raises(TypeError, match=f"^{op} takes"):
        apply(row, *inputs, params=params)  # the same through the Op row itself
