"""The harness must fail on a broken engine, and name the op.

Each test plants one bug in micrograd_ref (a row of the op table, or the backward
loop), runs the harness, and asserts a FAIL that names the culprit. The bugs are
generated systematically: every op, every input's gradient, several kinds of
single-point arithmetic mistake, plus a one-ulp-scale bias in every forward.
"""

import contextlib
import inspect
import math

import pytest

import micrograd_ref.engine as engine
from micrograd_ref import OPS
from parity.catalogue import CATALOGUE
from parity.harness import run_entry

pytestmark = pytest.mark.usefixtures("torch")


@contextlib.contextmanager
def planted(op, **fields):
    """Temporarily replace fields (forward/backward) of an op table row."""
    row = OPS[op]
    saved = {k: getattr(row, k) for k in fields}
    for k, v in fields.items():
        object.__setattr__(row, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            object.__setattr__(row, k, v)


GRAD_BUGS = {
    "flipped sign": lambda g: -g,
    "dropped": lambda g: 0.0,
    "off by 1e-9": lambda g: g * (1 + 1e-9),
    "doubled": lambda g: g + g,
}


def grad_mutant(op, position, bug):
    original = OPS[op].backward

    def backward(*args):
        grads = list(original(*args))
        grads[position] = GRAD_BUGS[bug](grads[position])
        return tuple(grads)

    return backward


def assert_caught(op, results):
    """Every failing result names the planted op in its FIRST suspect (the op ranked most likely). When the
    evidence cannot separate two ops (an innocent op shares the one wrong input, and no other graph of
    the run tells them apart), that first line names both, the planted op included."""
    bad = [r for r in results if not r.ok]
    assert bad, "the harness passed a broken engine"
    for r in bad:
        assert r.suspects, f"{r.name} failed without naming a suspect"
        first = r.suspects[0]
        primary, _, tied = first.partition(" (this graph cannot tell it from ")
        assert f"of '{op}'" in primary or f"'{op}'" in tied, \
            f"{r.name}: the first suspect is not {op}:\n" + "\n".join(r.suspects)


CASES = [(op, pos, bug) for op in sorted(OPS) for pos in range(OPS[op].arity) for bug in GRAD_BUGS]


@pytest.mark.parametrize("op, position, bug", CASES, ids=[f"{o}-input{p}-{b.replace(' ', '_')}" for o, p, b in CASES])
def test_harness_catches_a_wrong_derivative_and_names_the_op(op, position, bug):
    with planted(op, backward=grad_mutant(op, position, bug)):
        results = [run_entry(CATALOGUE[f"edge/{op}"], keep_failing=False)]
    assert_caught(op, results)


DIAGNOSIS_GRAPHS = ("random/fixed_40", "seed/toy_max", "seed/relu_net", "seed/chain_rule/reuse_b_mul")


SHARED_CASES = [c for c in CASES if c[2] in ("flipped sign", "off by 1e-9")]  # the other two rank alike (measured)


@pytest.mark.parametrize("op, position, bug", SHARED_CASES,
                         ids=[f"{o}-input{p}-{b.replace(' ', '_')}" for o, p, b in SHARED_CASES])
def test_the_planted_op_is_the_first_suspect_in_shared_graphs(op, position, bug):
    """In graphs where ops share inputs, an innocent op that feeds the same node must not come first."""
    with planted(op, backward=grad_mutant(op, position, bug)):
        results = [run_entry(CATALOGUE[n], keep_failing=False) for n in DIAGNOSIS_GRAPHS]
    if all(r.ok for r in results):
        assert op in ("exp", "log", "pow", "tanh") and bug == "off by 1e-9", "only a 1e-9 slip may hide here"
        return
    assert_caught(op, results)


def test_sub_with_a_flipped_gradient_is_named_before_sigmoid_and_add_in_fixed_40():
    with planted("sub", backward=grad_mutant("sub", 1, "flipped sign")):
        r = run_entry(CATALOGUE["random/fixed_40"], keep_failing=False)
    assert not r.ok and "backward of 'sub'" in r.suspects[0], r.suspects


def test_mul_broken_is_named_before_add_in_the_toy_max_graph():
    for position in (0, 1):
        with planted("mul", backward=grad_mutant("mul", position, "flipped sign")):
            r = run_entry(CATALOGUE["seed/toy_max"], keep_failing=False)
        assert not r.ok and r.suspects[0].startswith("seed/toy_max: backward of 'mul'"), r.suspects


def test_when_one_graph_cannot_tell_two_ops_apart_the_first_suspect_names_both():
    # toy_max: y feeds a = x + y and b = max(y, z); with max's gradient to y broken, the node grads alone
    # cannot say whether add or maximum sent the wrong share
    with planted("maximum", backward=grad_mutant("maximum", 0, "doubled")):
        r = run_entry(CATALOGUE["seed/toy_max"], keep_failing=False)
    assert "'add'" in r.suspects[0] and "'maximum'" in r.suspects[0] and "cannot tell" in r.suspects[0]


def _rounds_through_ieee_only(op):
    from parity.formulas import rounds

    return all(not rounds(OPS[op], (k,) if OPS[op].params else ()) - {"sqrt", "rsqrt"} for k in (2.0, 3.0, 0.5, -1.0))


EXACT_FORWARDS = [op for op in sorted(OPS) if _rounds_through_ieee_only(op)]
APPROXIMATE_FORWARDS = [op for op in sorted(OPS) if op not in EXACT_FORWARDS]


@pytest.mark.parametrize("op", EXACT_FORWARDS)
def test_harness_catches_a_one_ulp_bias_in_any_forward_of_ieee_operations(op):
    original = OPS[op].forward
    with planted(op, forward=lambda *a: math.nextafter(original(*a), math.inf)):
        results = [run_entry(CATALOGUE[f"edge/{op}"], keep_failing=False)]
    bad = [r for r in results if not r.ok]
    assert bad
    assert all(r.suspects[0].split(": ", 1)[1].startswith(f"forward of '{op}'") for r in bad)


@pytest.mark.parametrize("op", APPROXIMATE_FORWARDS)
def test_harness_catches_a_1e_13_relative_bias_in_any_forward_through_libm(op):
    """tanh, exp, log and pow are compared within 4 ulps (libm's own error): a bias of 1e-13 (450 ulps) shows."""
    assert op in ("exp", "log", "pow", "sigmoid", "tanh")
    original = OPS[op].forward
    with planted(op, forward=lambda *a: original(*a) * (1 + 1e-13)):
        results = [run_entry(CATALOGUE[f"edge/{op}"], keep_failing=False)]
    bad = [r for r in results if not r.ok]
    assert bad
    assert all(r.suspects[0].split(": ", 1)[1].startswith(f"forward of '{op}'") for r in bad)


def test_harness_catches_a_wrong_tie_rule_in_max():
    def winner_takes_all(g, out, a, b):
        return (0.0 if a < b else g, 0.0 if a >= b else g)

    with planted("maximum", backward=winner_takes_all):
        results = [run_entry(CATALOGUE["edge/maximum"], keep_failing=False)]
    assert_caught("maximum", results)
    assert any("0.5" in str(m.reference) for m in results[0].mismatches)


def test_harness_catches_a_missing_accumulation_on_reused_nodes(monkeypatch):
    # the classic bug: `=` instead of `+=`, so a node used twice keeps only one path's gradient
    source = inspect.getsource(engine._propagate)
    assert source.count(" if u is None else u + ") == 3
    namespace = {}
    exec(source.replace(" if u is None else u + ", " if True else u + "), vars(engine), namespace)
    monkeypatch.setattr(engine, "_propagate", namespace["_propagate"])
    results = [run_entry(CATALOGUE[n], keep_failing=False)
               for n in ("seed/chain_rule/reuse_b_add", "seed/chain_rule/reuse_b_mul", "random/fixed_40")]
    assert all(not r.ok for r in results)
    assert all(r.suspects for r in results)
    assert any("accumulation" in s or "backward of" in s for r in results for s in r.suspects)


def test_harness_catches_an_operator_wired_to_the_wrong_op(monkeypatch):
    # graphs are replayed through the engine's public operators, so a mis-wired one shows
    monkeypatch.setattr(engine.Value, "__sub__", engine.Value.__add__)
    r = run_entry(CATALOGUE["seed/cost"], keep_failing=False)
    assert not r.ok
    assert "forward of 'sub'" in r.suspects[0]


def test_a_crash_in_the_engine_is_a_fail_of_that_graph_not_of_the_harness():
    def boom(*args):
        raise ZeroDivisionError("planted")

    with planted("tanh", forward=boom):
        r = run_entry(CATALOGUE["seed/tanh_neuron"])
    assert not r.ok and "ZeroDivisionError: planted" in r.error


def test_mismatch_message_names_graph_node_quantity_both_values_and_difference():
    with planted("mul", backward=grad_mutant("mul", 0, "flipped sign")):
        r = run_entry(CATALOGUE["seed/L_graph"])
    text = "\n".join(map(str, r.mismatches))
    assert "seed/L_graph: node #1 'b' (leaf): grad micrograd_ref=4.0 torch=-4.0 difference=8.0" in text
    assert "backward of 'mul'" in r.suspects[0]
