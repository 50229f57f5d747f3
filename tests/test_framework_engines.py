"""The framework engines (TensorFlow, HIPS autograd, tinygrad) against torch, and docs/FRAMEWORKS.md.

One full run of every framework over the whole catalogue (`python -m parity frameworks --check`, shared by
the tests below) proves the committed report fresh; since it is, the report's counts are each framework's
result: no disagreement left undeclared, no declared difference stale. Each framework's command line
(`python -m parity --engine NAME`) runs once more on a few graphs.
"""

import json
import os
import subprocess
import sys

import pytest

from parity.catalogue import CATALOGUE
from parity.engines import BUILTIN, make
from parity.expectations import load
from parity.frameworks import FRAMEWORKS
from parity.harness import run_entry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEW = ("tensorflow", "autograd", "tinygrad")
ENV = {"MKL_CBWR": "AVX2", "TF_CPP_MIN_LOG_LEVEL": "2"}  # torch's MKL as on the machines the golden vectors came from


def parity(*args, env=None, timeout=900):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **ENV, **(env or {})}, timeout=timeout)


@pytest.fixture(scope="module")
def report():
    """docs/FRAMEWORKS.json, after a fresh run of every framework proved it (and FRAMEWORKS.md) up to date."""
    r = parity("frameworks", "--check")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    with open(os.path.join(ROOT, "docs", "FRAMEWORKS.json")) as f:
        return {fw["name"]: fw for fw in json.load(f)["frameworks"]}


def test_committed_frameworks_report_is_fresh_regenerate_with_make_frameworks(report):
    assert list(report) == list(FRAMEWORKS)


@pytest.mark.parametrize("name", NEW)
def test_framework_engine_is_one_builtin_module(name):
    assert BUILTIN[name] == f"parity.engines.{name}_engine:{make(name).__class__.__name__}"
    assert os.path.exists(os.path.join(ROOT, "parity", "engines", f"{name}_differences.toml"))


@pytest.mark.parametrize("name", NEW)
def test_framework_engine_declares_every_difference_from_torch_over_the_whole_catalogue(report, name):
    cells = report[name]["cells"]
    assert sum(c["pass"] for c in cells) > 4000, name
    assert sum(c["xfail"] for c in cells) > 100, name  # it does differ, and says where
    assert not [c for c in cells if c["fail"] or c["error"]], name
    assert report[name]["stale"] == [], name  # every declared difference still occurs


@pytest.mark.parametrize("name", NEW)
def test_every_declared_difference_has_an_op_or_a_graph_a_reason_a_link_and_a_first_case(report, name):
    entries = load(make(name).differences).entries
    assert len(entries) >= 30
    for e in entries:
        assert e.reason and e.link.startswith("https://"), e.match
        assert e.op or e.match.startswith(("random/", "pins/accumulation_order")), e.match
    for row in report[name]["declared"]:
        assert row["cases"] > 0 and row["first"], row["match"]


def test_scale_graphs_run_in_autograd_and_are_skipped_with_the_measured_cost_in_tensorflow_and_tinygrad(report):
    scale = lambda name, status: sum(c[status] for c in report[name]["cells"] if c["level"] == "scale")
    assert scale("autograd", "pass") > 0 and scale("autograd", "skip") == 0
    assert scale("tensorflow", "skip") > 0 and scale("tensorflow", "pass") == 0
    for name, measured in (("tensorflow", "0.4 ms a node"), ("tinygrad", "70 ms a node")):
        res = run_entry(CATALOGUE["scale/sum_50k"], engine=make(name), reference=make("micrograd_ref"))
        assert res.status == "SKIP" and measured in res.cases[0].reason, (name, res.cases[0].reason)


CLI = {  # graphs, a declared reason and a disagreement the run must list
    "tensorflow": (["seed/", "edge/maximum", "edge/relu"], "TensorFlow sends the whole gradient to the first input",
                   "edge/maximum [maximum(1.0, 1.0) g=1.0]: node #0 'a' (leaf): grad tensorflow=1.0 torch=0.5"),
    "autograd": (["seed/", "edge/relu", "pins/builtin_max_min_sorted"], "autograd splits a tie evenly",
                 "edge/relu [relu(0.0) g=1.0]: node #0 'a' (leaf): grad autograd=0.5 torch=0.0"),
    "tinygrad": (["seed/toy_max", "seed/L_graph", "edge/relu", "edge/minimum"], "relu(nan) is 0 in tinygrad",
                 "edge/relu [relu(nan) g=1.0]: node #1 'out' (relu): data tinygrad=0.0 torch=nan"),
}


@pytest.mark.parametrize("name", NEW)
def test_cli_engine_exits_0_and_lists_the_declared_differences_it_found(name):
    graphs, reason, line = CLI[name]
    r = parity("--engine", name, *graphs, "-j", "1")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert f"Expected differences ({name} vs torch)" in r.stdout
    assert reason in r.stdout and line in r.stdout
    assert "stale" not in r.stdout


@pytest.mark.parametrize("name", NEW)
def test_framework_engine_about_reports_its_version_and_platform(name):
    about = make(name).about()
    assert about["name"] == name and about["version"][0].isdigit()
    assert "float64" in about["dtype"] and about["platform"]


@pytest.mark.parametrize("name,module", [("tensorflow", "tensorflow"), ("autograd", "autograd"),
                                         ("tinygrad", "tinygrad")])
def test_a_framework_that_cannot_be_imported_is_a_one_line_usage_error_naming_the_fix(tmp_path, name, module):
    (tmp_path / f"{module}.py").write_text(f"raise ImportError('no {module} here')\n")
    r = parity("--engine", name, "seed/toy_max", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "micrograd_ref[frameworks]" in r.stderr and "make test" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_frameworks_subcommand_refuses_a_partial_report_and_an_unknown_framework():
    r = parity("frameworks", "--framework", "autograd")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--stale" in r.stderr
    r = parity("frameworks", "--stale", "--framework", "mlx")
    assert r.returncode == 2 and "unknown framework 'mlx'" in r.stderr
