"""python -m parity: the table, exit codes, --json, --junit, --dot, graph selection."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.usefixtures("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parity(*args, env=None):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_cli_prints_a_row_per_graph_and_exits_0_when_all_agree(tmp_path):
    r = parity("seed/*", "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "seed/toy_max" in r.stdout and "PASS" in r.stdout and "all agree" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["ok"] and len(doc["graphs"]) >= 19
    assert {g["name"] for g in doc["graphs"]} >= {"seed/toy_max", "seed/relu_net"}
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.tag == "testsuite" and suite.get("failures") == "0" and len(suite.findall("testcase")) == len(doc["graphs"])


def test_cli_selects_graphs_by_prefix_and_glob():
    r = parity("edge/m*")
    assert r.returncode == 0
    assert "edge/maximum" in r.stdout and "edge/minimum" in r.stdout and "edge/mul" in r.stdout
    assert "edge/add" not in r.stdout


def test_cli_unknown_graph_or_bad_option_is_a_usage_error_exit_2():
    assert parity("no/such/graph").returncode == 2
    assert parity("--no-such-option").returncode == 2
    assert parity("--random", "-1").returncode == 2


def test_cli_without_torch_exits_2_with_a_one_line_fix(tmp_path):
    (tmp_path / "torch.py").write_text("raise ImportError('no torch here')\n")
    r = parity("seed/toy_max", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert r.returncode == 2
    assert "make parity" in r.stderr and "torch" in r.stderr


def test_cli_random_graphs_are_drawn_by_hypothesis_from_the_seed():
    r = parity("seed/toy_max", "--random", "60", "--seed", "1000")
    assert r.returncode == 0, r.stdout
    assert "random/hypothesis_60_seed_1000" in r.stdout


SHRINKING = """
import sys, runpy
from micrograd_ref import OPS
row = OPS["sigmoid"]
orig = row.backward
object.__setattr__(row, "backward", lambda g, out, a: (orig(g, out, a)[0] * 1.001,))
sys.argv = ["parity"] + sys.argv[1:]
runpy.run_module("parity", run_name="__main__")
"""


def test_cli_random_failure_shrinks_to_a_minimal_runnable_graph():
    r = subprocess.run([sys.executable, "-c", SHRINKING, "seed/toy_max", "--random", "200", "--seed", "3"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "backward of 'sigmoid'" in r.stdout
    program = r.stdout[r.stdout.index("from math import inf, nan"):r.stdout.index("\n\n", r.stdout.index("print(i"))]
    assert program.count(" = ") <= 3  # a leaf and a sigmoid: shrunk to the minimum
    assert ".sigmoid()" in program


BROKEN_ENGINE = """
import sys, runpy
from micrograd_ref import OPS
row = OPS["mul"]
orig = row.backward
object.__setattr__(row, "backward", lambda g, out, a, b: (orig(g, out, a, b)[0], -orig(g, out, a, b)[1]))
sys.argv = ["parity"] + sys.argv[1:]
runpy.run_module("parity", run_name="__main__")
"""


def test_cli_exits_1_and_names_graph_node_values_and_culprit_on_a_broken_engine(tmp_path):
    r = subprocess.run([sys.executable, "-c", BROKEN_ENGINE, "seed/L_graph", "seed/toy_max", "--json",
                        str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"), "--dot", str(tmp_path / "dots")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL" in r.stdout
    assert "seed/L_graph: node #1 'b' (leaf): grad micrograd_ref=4.0 torch=-4.0 difference=8.0" in r.stdout
    assert "likely culprit: seed/L_graph: backward of 'mul'" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    bad = [g for g in doc["graphs"] if not g["ok"]]
    assert bad and bad[0]["mismatches"][0]["reference_name"] == "torch"
    failures = ET.parse(tmp_path / "r.xml").getroot().findall("testcase/failure")
    assert any("seed/L_graph: node" in f.get("message") for f in failures)
    dots = os.listdir(tmp_path / "dots")
    assert dots
    text = (tmp_path / "dots" / dots[0]).read_text()
    assert "color=red" in text and "torch" in text


def test_results_are_bit_identical_across_processes():
    digests = set()
    for seed in ("1", "2"):
        r = parity("seed/*", "random/*", "mlp/classic*", "--json", "/dev/stdout", "-q",
                   env={"PYTHONHASHSEED": seed})
        doc = json.loads(r.stdout[: r.stdout.rindex("}") + 1])
        digests.add(tuple(g["digest"] for g in doc["graphs"]))
    assert len(digests) == 1
