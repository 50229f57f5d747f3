"""Verdict levels: the default is exact (torch bit for bit wherever IEEE allows, bounded elsewhere); --tolerance
REL judges every value as math.isclose(mine, ref, rel_tol=REL), the own-values oracle too, with nan, inf and
the zero signs of data still exact; every report says which level was used. And leaf-only gradients
(Engine.grads = "leaves"): only leaves' gradients are compared, and the reports say so."""

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from parity.catalogue import CATALOGUE, cases_of
from parity.compare import close
from parity.engines import Graph, make
from parity.harness import GraphResult, Run
from tests.misbehaving import Alternating

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROGRAD_AS_IS = "tests.misbehaving:MicrogradInSetOrder"  # micrograd 0.1.0 without the adapter's order fix


def parity(*args):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_an_engine_differing_from_torch_only_in_its_summation_order_fails_mlp_exactly_and_passes_at_1e_9(tmp_path):
    exact = parity("mlp/*", "--engine", MICROGRAD_AS_IS, "--json", str(tmp_path / "exact.json"))
    assert exact.returncode == 1, exact.stdout[-3000:] + exact.stderr
    loose = parity("mlp/*", "--engine", MICROGRAD_AS_IS, "--tolerance", "1e-9", "--json", str(tmp_path / "t.json"),
                   "--junit", str(tmp_path / "t.xml"))
    assert loose.returncode == 0, loose.stdout[-3000:] + loose.stderr
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["verdict_level"] == "tolerance 1e-09" and doc["counts"]["passed"] >= 1
    assert all(g["verdict_level"] == "tolerance 1e-09" for g in doc["graphs"])
    assert json.loads((tmp_path / "exact.json").read_text())["verdict_level"] == "exact"
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "t.xml").getroot().iter("property")}
    assert props["verdict_level"] == "tolerance 1e-09"
    assert "level tolerance 1e-09" in loose.stdout.splitlines()[-1]
    assert "level exact" in exact.stdout.splitlines()[-1]


def test_the_own_values_oracle_judges_at_the_same_level():
    """An engine with its own order of summing fails the own-values oracle at the exact level (the spec's order
    in correctly rounded arithmetic), and passes it within the tolerance."""
    ref = make("golden")
    ref.start()
    entry = CATALOGUE["mlp/classic_3_4_4_1"]
    (case, tape), = cases_of(entry)
    for level, status in ((None, "FAIL"), (1e-9, "PASS")):
        res = GraphResult(entry.name)
        Alternating.flip = False  # the first replay sums in reverse: its own values disagree with the spec's order
        Run(Alternating(), ref, level=level).check(res, Graph(entry.name, case, tape), entry.tol)
        assert res.cases[0].status == status, (level, res.mismatches[:2])
        if status == "FAIL":
            assert any("from its own values" in m.quantity for m in res.mismatches)


@pytest.mark.parametrize("x, ref, quantity, agrees", [
    (1.0, 1.0 + 1e-12, "data", True),
    (1.0, 1.0 + 1e-8, "data", False),
    (math.nan, math.nan, "data", True),
    (math.nan, 1.0, "grad", False),
    (math.inf, math.inf, "grad", True),
    (math.inf, 1e308, "grad", False),
    (math.inf, -math.inf, "data", False),
    (0.0, -0.0, "data", False),  # a zero sign of data stays exact
    (0.0, -0.0, "grad", True),  # a zero gradient's sign follows the order of the sum
    (1e-300, 0.0, "data", False),  # relative: nothing is close to zero but zero
])
def test_tolerance_keeps_nan_inf_and_zero_signs_of_data_exact(x, ref, quantity, agrees):
    assert close(x, ref, 1e-9, quantity) is agrees


def test_tolerance_keeps_skips_skipped(tmp_path):
    r = parity("edge/tanh", "seed/L_graph", "--engine", "examples.micrograd_adapter:Micrograd", "--reference", "golden",
               "--tolerance", "1e-9", "--json", str(tmp_path / "r.json"))
    doc = json.loads((tmp_path / "r.json").read_text())
    assert r.returncode == 0 and doc["counts"]["skipped"] == next(
        g for g in doc["graphs"] if g["name"] == "edge/tanh")["cases"]  # micrograd 0.1.0 has no tanh


@pytest.mark.parametrize("value", ["0", "-1e-9", "1", "nan", "inf"])
def test_a_tolerance_outside_0_to_1_is_exit_2_in_one_line(value):
    r = parity("seed/L_graph", "--reference", "golden", f"--tolerance={value}")
    assert r.returncode == 2 and r.stdout == "" and "--tolerance" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# --- leaf-only gradients -------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["LeafGrads", "LeafGradsWrongAtOpNodes"])
def test_an_engine_keeping_gradients_only_on_leaves_is_compared_at_its_leaves_and_the_reports_say_so(tmp_path, engine):
    r = parity("seed/*", "edge/relu", "--engine", f"tests.misbehaving:{engine}", "--reference", "golden",
               "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "keeps gradients only on leaves: only leaves' gradients were compared" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["grads_compared"] == "leaves" and doc["counts"]["failed"] == doc["counts"]["errored"] == 0
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "r.xml").getroot().iter("property")}
    assert props["grads_compared"] == "leaves"


def test_a_wrong_leaf_gradient_still_fails_an_engine_keeping_only_leaf_gradients():
    from tests.misbehaving import LeafGrads

    class WrongLeaf(LeafGrads):
        def run(self, graph):
            out = super().run(graph)
            leaf = next(n.id for n in graph.tape.nodes if n.op is None)
            out.grad[leaf] = out.grad[leaf] + 1.0
            return out

    ref = make("golden")
    ref.start()
    entry = CATALOGUE["seed/L_graph"]
    (case, tape), = cases_of(entry)
    res = GraphResult(entry.name)
    Run(WrongLeaf(), ref).check(res, Graph(entry.name, case, tape), entry.tol)
    assert res.cases[0].status == "FAIL" and all(tape.nodes[m.node].op is None for m in res.mismatches)


def test_an_engine_answering_none_for_op_node_gradients_without_saying_so_is_an_error():
    from tests.misbehaving import LeafGrads

    class Unsaid(LeafGrads):
        grads = "all"

    ref = make("golden")
    ref.start()
    entry = CATALOGUE["seed/L_graph"]
    (case, tape), = cases_of(entry)
    res = GraphResult(entry.name)
    Run(Unsaid(), ref).check(res, Graph(entry.name, case, tape), entry.tol)
    assert res.cases[0].status == "ERROR" and "None (NoneType) as grad of node" in res.cases[0].reason


def test_the_engine_base_keeps_gradients_on_every_node_by_default():
    from parity.engines import Engine

    assert Engine.grads == "all"


def test_the_summation_order_pin_is_skipped_with_why_at_a_tolerance_and_fails_a_set_ordered_engine_exactly(
        tmp_path):
    """pins/accumulation_order checks torch's order itself (x - x after a tiny contribution is 0.0 in torch's
    order, the tiny contribution in others: no relative tolerance bridges that), which --tolerance does not
    promise: its cases are SKIP, each saying so, and the run is green."""
    loose = parity("pins/accumulation_order", "seed/L_graph", "--engine", MICROGRAD_AS_IS, "--tolerance", "1e-9",
                   "--json", str(tmp_path / "t.json"))
    assert loose.returncode == 0, loose.stdout[-3000:] + loose.stderr
    graph, = [g for g in json.loads((tmp_path / "t.json").read_text())["graphs"] if g["name"].startswith("pins/")]
    assert graph["status"] == "SKIP" and graph["counts"]["skip"] == len(cases_of(CATALOGUE["pins/accumulation_order"]))
    assert graph["skipped"] == ["pins/accumulation_order checks torch's order of summing, which --tolerance does "
                                "not promise"]
    exact = parity("pins/accumulation_order", "--engine", MICROGRAD_AS_IS)
    assert exact.returncode == 1, exact.stdout[-3000:]
