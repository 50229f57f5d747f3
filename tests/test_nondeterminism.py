"""A failing case is replayed once more in the candidate: when its bits change, the case is named
nondeterministic (with both values of the first node that changed), counted in the summary and the JSON, and
--write-known-failures lists its whole entry as `nondeterministic = true`, so the round trip is green run
after run on an engine that sums in the order of a set of objects (tests/misbehaving.py SetOrder)."""

import json
import os
import re
import subprocess
import sys

from parity.catalogue import CATALOGUE, cases_of
from parity.engines import Graph, make
from parity.expectations import Expected, Expectations, load
from parity.harness import GraphResult, Run
from tests.misbehaving import Alternating, SetOrder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPHS = ("mlp/classic_3_4_4_1", "seed/*")  # the MLP sums many contributions per node; the seed graphs few


def parity(*args):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def golden():
    ref = make("golden")
    ref.start()
    return ref


def test_a_failing_case_whose_second_replay_differs_is_named_nondeterministic_with_both_values():
    res = GraphResult("mlp/classic_3_4_4_1")
    entry = CATALOGUE["mlp/classic_3_4_4_1"]
    (case, tape), = cases_of(entry)
    Alternating.flip = False
    Run(Alternating(), golden()).check(res, Graph(entry.name, case, tape), entry.tol)
    assert res.cases[0].status == "FAIL" and res.cases[0].nondeterministic
    # first, or right after the order it sums in when that is the first culprit (the order is its cause)
    line = next(s for s in res.suspects[:2] if "nondeterministic" in s)
    assert re.fullmatch(r"mlp/classic_3_4_4_1: the engine at node #\d+ .*: nondeterministic: two replays of the same "
                        r"graph gave \S+ and \S+ as its (data|grad)", line), line
    x, y = re.search(r"gave (\S+) and (\S+) as", line).groups()
    assert float(x) != float(y)


def test_a_deterministic_failure_is_not_called_nondeterministic():
    class Reversed(SetOrder):  # always the same wrong order: every node's contributions summed last first
        def order(self, consumers):
            return list(consumers)[::-1]

    res = GraphResult("mlp/classic_3_4_4_1")
    entry = CATALOGUE["mlp/classic_3_4_4_1"]
    (case, tape), = cases_of(entry)
    Run(Reversed(), golden()).check(res, Graph(entry.name, case, tape), entry.tol)
    assert res.cases[0].status == "FAIL" and not res.cases[0].nondeterministic and not res.varying


def test_summary_and_json_count_the_nondeterministic_cases(tmp_path):
    r = parity(*GRAPHS, "--engine", "tests.misbehaving:Alternating", "--reference", "golden", "--json",
               str(tmp_path / "r.json"))
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["nondeterministic"] >= 1
    mlp = next(g for g in doc["graphs"] if g["name"] == "mlp/classic_3_4_4_1")
    assert mlp["nondeterministic"] == 1 and any("nondeterministic: two replays" in s for s in mlp["suspects"][:2])
    assert f"{doc['nondeterministic']} nondeterministic" in r.stdout.splitlines()[-1]


def test_known_failures_round_trip_is_green_run_after_run_on_an_engine_that_sums_in_set_order(tmp_path):
    kf = tmp_path / "known.toml"
    first = parity(*GRAPHS, "--engine", "tests.misbehaving:SetOrder", "--reference", "golden",
                   "--write-known-failures", str(kf))
    assert first.returncode == 1, first.stdout[-3000:] + first.stderr
    listed = load(kf).entries  # every case was replayed twice: entries whose bits vary, failing or not yet
    assert "mlp/classic_3_4_4_1" in [e.match for e in listed] and all(e.nondeterministic for e in listed)
    assert "nondeterministic: two replays of the same graph gave" in kf.read_text()
    for _ in range(4):
        again = parity(*GRAPHS, "--engine", "tests.misbehaving:SetOrder", "--reference", "golden", "-j", "2",
                       "--known-failures", str(kf))
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr
        assert "XPASS" not in again.stdout


def test_a_nondeterministic_known_failure_that_agrees_is_pass_not_xpass(tmp_path):
    kf = tmp_path / "known.toml"
    kf.write_text('[[expected]]\nmatch = "seed/L_graph"\nexact = true\nnondeterministic = true\nreason = "varies"\n')
    r = parity("seed/L_graph", "--reference", "golden", "--known-failures", str(kf))
    assert r.returncode == 0 and "XPASS" not in r.stdout, r.stdout[-2000:]
    kf.write_text('[[expected]]\nmatch = "seed/L_graph"\nexact = true\nreason = "listed"\n')
    r = parity("seed/L_graph", "--reference", "golden", "--known-failures", str(kf))
    assert r.returncode == 1 and "XPASS" in r.stdout  # without it, a listed case that agrees is XPASS


def test_nondeterministic_must_be_true_or_false(tmp_path):
    kf = tmp_path / "known.toml"
    kf.write_text('[[expected]]\nmatch = "seed/L_graph"\nnondeterministic = "yes"\nreason = "varies"\n')
    r = parity("seed/L_graph", "--reference", "golden", "--known-failures", str(kf))
    assert r.returncode == 2 and "entry 1" in r.stderr and r.stdout == ""


def test_an_expectation_marked_nondeterministic_still_turns_a_disagreement_into_xfail():
    e = Expected("mlp/classic_3_4_4_1", "varies", strict=True, exact=True, nondeterministic=True)
    res = GraphResult("mlp/classic_3_4_4_1")
    entry = CATALOGUE["mlp/classic_3_4_4_1"]
    (case, tape), = cases_of(entry)
    Alternating.flip = False
    Run(Alternating(), golden(), Expectations([e])).check(res, Graph(entry.name, case, tape), entry.tol)
    assert res.cases[0].status == "XFAIL"
