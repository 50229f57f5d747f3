"""python -m parity: the table, exit codes, --json, --junit, --dot, graph selection."""

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from tests.processes import alive, children

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


# --- the CLI refuses what it cannot honour, before it runs ------------------------------------

def test_a_pattern_that_matches_nothing_is_exit_2_naming_it_and_the_closest_names():
    r = parity("seed/*", "edge/pwo")
    assert r.returncode == 2 and r.stdout == ""
    assert "no graph matches 'edge/pwo'" in r.stderr and "edge/pow" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_check_port_pattern_that_matches_nothing_is_exit_2():
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "seed/toy_max", "edge/pwo", "--", sys.executable,
                        "examples/python_port/port.py"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "no graph matches 'edge/pwo'" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("option", ["--json", "--junit", "--html"])
@pytest.mark.parametrize("where", ["missing_dir", "a_directory", "unwritable"])
def test_an_output_path_it_cannot_write_is_exit_2_in_one_line_before_any_work(tmp_path, option, where):
    path = {"missing_dir": tmp_path / "no" / "such" / "r.out", "a_directory": tmp_path,
            "unwritable": tmp_path / "ro" / "r.out"}[where]
    if where == "unwritable":
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro" / "r.out").write_text("")
        os.chmod(tmp_path / "ro" / "r.out", 0o444)
        if os.access(tmp_path / "ro" / "r.out", os.W_OK):  # root ignores file modes: make it a directory instead
            os.remove(tmp_path / "ro" / "r.out")
            (tmp_path / "ro" / "r.out").mkdir()
    r = parity("seed/toy_max", option, str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and option in r.stderr


def test_dot_into_a_path_that_is_a_file_is_exit_2(tmp_path):
    (tmp_path / "f").write_text("")
    r = parity("seed/toy_max", "--dot", str(tmp_path / "f"))
    assert r.returncode == 2 and "--dot" in r.stderr and r.stdout == ""


def test_seed_without_random_is_a_usage_error():
    r = parity("seed/toy_max", "--seed", "3")
    assert r.returncode == 2 and "--seed" in r.stderr and "--random" in r.stderr


def test_help_lists_the_subcommands_and_the_exit_codes():
    out = parity("--help").stdout
    for word in ("check-port", "conventions", "ports", "spec", "export", "--engine", "--reference"):
        assert word in out
    for code in ("0 ", "1 ", "2 ", "130", "143"):
        assert code in out


@pytest.mark.parametrize("sub", ["check-port", "spec", "export", "conventions", "ports", "serve"])
def test_every_subcommand_prints_its_help(sub):
    r = subprocess.run([sys.executable, "-m", "parity", sub, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "usage:" in r.stdout, r.stdout + r.stderr


def test_list_filters_by_pattern_and_shows_level_and_ops():
    r = parity("--list", "edge/m*", "scale/*")
    assert r.returncode == 0
    head, *lines = r.stdout.splitlines()
    assert head.split()[:4] == ["entry", "level", "ops", "rounds"]
    assert [line.split()[0] for line in lines] == ["scale/chain_100k", "scale/sum_50k", "scale/mlp_2_32_32_1_x22",
                                                   "edge/mul", "edge/maximum", "edge/minimum"] or \
        sorted(line.split()[0] for line in lines) == sorted(["scale/chain_100k", "scale/sum_50k",
                                                              "scale/mlp_2_32_32_1_x22", "edge/mul", "edge/maximum",
                                                              "edge/minimum"])
    chain = next(line for line in lines if line.startswith("scale/chain_100k")).split()
    assert chain[1] == "scale" and chain[2] == "add,neg,relu" and chain[3] == "IEEE"
    assert parity("--list", "nosuch/*").returncode == 2


def test_list_names_select_among_the_ops_and_the_primitives_each_entry_rounds_through():
    lines = {line.split()[0]: line.split() for line in parity("--list", "pins/*", "edge/tanh").stdout.splitlines()[1:]}
    assert lines["pins/builtin_max_min_sorted"][2] == "add,mul,select"
    assert lines["pins/pow_without_kernel"][3] == "pow,sqrt"  # data through pow; k - 1 = 0.5's gradient through sqrt
    assert lines["edge/tanh"][3] == "fma,tanh"
    assert "bit for bit" not in lines["pins/pow_without_kernel"]  # compared as derived, not as claimed (SPEC 8.7)


def test_op_and_level_select_entries_the_way_a_port_grows():
    names = lambda *a: [line.split()[0] for line in parity("--list", *a).stdout.splitlines()[1:]]
    assert names("--level", "edge", "--op", "tanh") == ["edge/tanh"]
    assert names("--level", "training") == ["mlp/train_classic_20_steps"]
    div = names("--op", "div")
    assert "edge/div" in div and "pins/evaluation_order" in div and "edge/mul" not in div
    assert set(names("--op", "neg", "--op", "exp")) == set(names("--op", "neg")) | set(names("--op", "exp"))
    assert names("seed/*", "--op", "relu") == ["seed/relu_neuron", "seed/relu_neuron_step", "seed/relu_net"]


@pytest.mark.parametrize("args, message", [
    (("--op", "dvi"), "--op dvi: no such op (the ops: add,"),
    (("--level", "edges"), "--level edges: no such level (the levels: core, edge, scale, training)"),
    (("seed/*", "--level", "edge"), "no entry is selected by seed/* --level edge"),
])
def test_an_op_or_level_that_selects_nothing_is_a_usage_error(args, message):
    r = parity(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_check_port_lists_the_entries_without_a_port_command():
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "--list", "--level", "training"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["mlp/train_classic_20_steps"]


def test_json_report_records_versions_platform_and_commit(tmp_path):
    r = parity("seed/toy_max", "--json", str(tmp_path / "r.json"))
    doc = json.loads((tmp_path / "r.json").read_text())
    assert r.returncode == 0
    import micrograd_ref
    import torch

    engines = {e["name"]: e for e in doc["engines"]}
    assert engines["micrograd_ref"]["version"] == micrograd_ref.__version__
    assert engines["torch"]["version"] == torch.__version__
    assert doc["python"] == ".".join(map(str, sys.version_info[:3])) and doc["platform"]
    assert doc["commit"] is None or len(doc["commit"]) == 40


def test_error_column_is_the_worst_error_as_a_fraction_of_the_allowed_error():
    r = parity("seed/tanh_neuron", "seed/L_graph")
    row = next(line for line in r.stdout.splitlines() if line.startswith("seed/tanh_neuron")).split()
    assert 0 < float(row[4]) < 1  # within tolerance: below 1
    exact = next(line for line in r.stdout.splitlines() if line.startswith("seed/L_graph ")).split()
    assert exact[4] == "exact"


# --- signals: a cancelled run stops its workers and says so -----------------------------------

@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_workers_prints_interrupted_and_exits_128_plus_signal(signum, code):
    proc = subprocess.Popen([sys.executable, "-m", "parity", "-j", "2", "scale/*", "mlp/*"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children(proc.pid)
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(0.3)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (out, err)
    assert err.strip() == "interrupted" and "Traceback" not in out + err
    time.sleep(0.2)
    assert not [w for w in workers if alive(w)], "a worker outlived the run"
