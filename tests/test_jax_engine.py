"""The JAX engine (parity/engines/jax_engine.py): JAX float64 against torch, with JAX's declared differences."""

import math
import os
import subprocess
import sys

import pytest

from parity.catalogue import CATALOGUE, cases_of
from parity.engines import EngineUnavailable, Graph, make
from parity.engines.jax_engine import DIFFERENCES, PERTURBATION, Jax
from parity.harness import run_entry
from parity.tape import Tape

pytest.importorskip("jax")  # installed by `make test` (the test extra); never skipped in CI
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parity(*args, env=None):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def jax_engine():
    engine = Jax()
    engine.start()
    return engine


@pytest.fixture(scope="module")
def torch_engine():
    engine = make("torch")
    engine.start()
    return engine


def test_jax_engine_passes_the_seed_graphs_bit_for_bit_where_the_ops_are_exact(jax_engine, torch_engine):
    from parity.expectations import load

    declared = load(jax_engine.differences)
    seeds = [e for n, e in CATALOGUE.items() if n.startswith("seed/")]
    assert len(seeds) >= 19
    passed = 0
    for entry in seeds:
        res = run_entry(entry, engine=jax_engine, reference=torch_engine, expectations=declared)
        assert res.status in ("PASS", "XFAIL"), (entry.name, [str(m) for m in res.mismatches])
        passed += res.status == "PASS"
        if entry.exact and res.status == "PASS":
            assert res.exact and res.worst == 0.0 and res.max_abs == 0.0, entry.name
    assert passed >= len(seeds) - 1  # seed/layer3: JAX sums x1's contributions in its own order (declared)


def test_perturbation_is_the_ieee_identity_and_keeps_negative_zero_data(jax_engine):
    assert math.copysign(1.0, PERTURBATION) == -1.0 and PERTURBATION == 0.0
    t = Tape()
    z, one = t.leaf(-0.0, "z"), t.leaf(1.0, "one")
    a = z * one            # -0.0
    b = a + z              # -0.0 + -0.0 = -0.0
    c = -t.leaf(0.0, "p")  # -0.0
    d = t.maximum(b, c)    # a tie of -0.0s
    t.set_output((d + c) * one)
    tape = t
    for attempt in range(3):  # compiled the first time, from the cache after that
        out = jax_engine.run(Graph("signed_zeros", f"run {attempt}", tape))
        for node in tape.nodes:
            if node.op is not None:
                assert out.data[node.id] == 0.0 and math.copysign(1.0, out.data[node.id]) == -1.0, \
                    (attempt, tape.name_of(node.id), out.data[node.id])


def test_levelwise_replay_of_large_graphs_agrees_with_the_node_by_node_replay_within_tolerance(jax_engine):
    from parity.compare import DEFAULT, agree

    small = Jax()
    small.start()
    wide = Jax()
    wide.start()
    wide.LEVELWISE_FROM = 0  # every graph level by level
    graphs = [Graph("random/fixed_40", c, t) for c, t in cases_of(CATALOGUE["random/fixed_40"])]
    graphs += [Graph("mlp/classic_3_4_4_1", c, t) for c, t in cases_of(CATALOGUE["mlp/classic_3_4_4_1"])]
    for g in graphs:
        a, b = small.run(g), wide.run(g)
        for q in ("data", "grad"):
            for i, (x, y) in enumerate(zip(getattr(a, q), getattr(b, q))):
                # sums in another order: an ulp apart, and a cancelling sum's zero may take either sign
                assert x == y or agree(x, y, DEFAULT, q), (g.name, i, q, x, y)


def test_jax_engine_skips_a_large_graph_deeper_than_its_budget_with_the_reason(jax_engine):
    res = run_entry(CATALOGUE["scale/sum_50k"], engine=jax_engine, reference=make("micrograd_ref"))
    assert res.status == "SKIP"
    assert "levels deep" in res.cases[0].reason


def test_cli_engine_jax_exits_0_and_lists_the_differences_it_found():
    r = parity("--engine", "jax", "seed/", "edge/relu", "edge/maximum", "edge/pow", "random/fixed_40")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Expected differences (jax vs torch)" in r.stdout
    assert "relu'(nan) is 0 in JAX" in r.stdout
    assert "edge/relu [relu(nan) g=1.0]: node #0 'a' (leaf): grad jax=0.0 torch=1.0" in r.stdout
    assert "maximum(x, nan) sends 0 to both inputs" in r.stdout
    assert "random/fixed_40 [seed 36]" in r.stdout
    assert "stale" not in r.stdout


PLANTED = '''
from parity.engines.jax_engine import Jax


class JaxPlanted(Jax):
    """The real JAX engine with another declared-differences file."""
    differences = {differences!r}
'''


def jax_with_differences(tmp_path, toml):
    diffs = tmp_path / "jax_differences.toml"
    diffs.write_text(toml)
    (tmp_path / "jax_planted.py").write_text(PLANTED.format(differences=str(diffs)))
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}


def declared_without(match):
    """The committed file with the entry of `match` removed."""
    text = open(DIFFERENCES).read()
    blocks = text.split("[[expected]]")
    kept = [b for b in blocks if f'match = "{match}"' not in b]
    assert len(kept) == len(blocks) - 1, match
    return "[[expected]]".join(kept)


def test_cli_engine_jax_fails_naming_the_op_and_case_of_an_undeclared_difference(tmp_path):
    env = jax_with_differences(tmp_path, declared_without("edge/relu [relu(nan)*"))
    r = parity("--engine", "jax_planted:JaxPlanted", "edge/relu", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "edge/relu [relu(nan) g=1.0]: node #0 'a' (leaf): grad jax=0.0 torch=1.0" in r.stdout
    assert "backward of 'relu'" in r.stdout
    assert "1e-310" not in r.stdout.split("Disagreements:")[1]  # the other relu cases stay declared


def test_cli_engine_jax_reports_a_declared_difference_that_no_longer_occurs_as_stale(tmp_path):
    env = jax_with_differences(tmp_path, open(DIFFERENCES).read() + '''
[[expected]]
match = "edge/relu [relu(2.0)*"
op = "relu"
reason = "an old difference, since fixed"
''')
    r = parity("--engine", "jax_planted:JaxPlanted", "edge/relu", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "stale: edge/relu [relu(2.0)*: no longer differs" in r.stdout


def test_jax_missing_is_a_one_line_usage_error_naming_the_fix(tmp_path):
    (tmp_path / "jax.py").write_text("raise ImportError('no jax here')\n")
    r = parity("--engine", "jax", "seed/toy_max", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "micrograd_ref[jax]" in r.stderr and "make test" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_jax_engine_start_raises_engine_unavailable_when_jax_cannot_be_imported(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else object())
    with pytest.raises(EngineUnavailable, match=r"pip install 'micrograd_ref\[jax\]'"):
        Jax().start()
