"""micrograd:MODULE: any engine with micrograd's API checked with no adapter code, in process or with
--python in its own interpreter (parity/engines/micrograd_api.py, micrograd_engine.py).

The engines are the zoo (tests/zoo/, plain modules that import nothing of this project) and micrograd 0.1.0,
which the test venv installs. A second venv, made here with `python -m venv --without-pip`, holds nothing but
the zoo module under test: the adapter needs nothing installed there.
"""

import ast
import collections
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import pytest

from parity.catalogue import CATALOGUE, cases_of
from parity.engines import Graph, make
from parity.engines import micrograd_api
from parity.engines.micrograd_engine import SCRIPT
from tests.processes import alive, children, naming

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.join(ROOT, "tests", "zoo")


def bits(x):
    """x's IEEE bits; every nan alike (CPython's own float ops do not keep a nan's sign from one call to the
    next: its specialized multiply takes the other operand's nan once warm)."""
    return "nan" if math.isnan(x) else struct.pack("<d", x)


def parity(*args, python_path=ZOO, timeout=600):
    env = {**os.environ, "PYTHONPATH": python_path}
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


@pytest.fixture
def zoo(monkeypatch):
    monkeypatch.syspath_prepend(ZOO)
    yield
    for name in [m for m in sys.modules if m.split(".")[0] in ZOO_MODULES]:
        del sys.modules[name]


ZOO_MODULES = {"spelled", "leafonly", "float32", "setorder", "segfault", "aborts", "hangs", "garbage", "noops",
               "nobackward", "crashing", "probecrash"}  # crashing: what segfault, aborts and hangs share


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A second interpreter's venv, without pip, holding the zoo's modules as installed packages (its
    site-packages) and a package named micrograd that is not micrograd 0.1.0."""
    path = tmp_path_factory.mktemp("engine_venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = str(path / "bin" / "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    for name in ZOO_MODULES:
        src = os.path.join(ZOO, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(site, name))
        else:
            shutil.copy(src + ".py", site)
    os.mkdir(os.path.join(site, "micrograd"))  # an engine that installs a package named micrograd, as three do
    shutil.copy(os.path.join(ZOO, "float32.py"), os.path.join(site, "micrograd", "__init__.py"))
    return python


def graph(entry, case_prefix=""):
    return next(Graph(entry, c, t) for c, t in cases_of(CATALOGUE[entry]) if c.startswith(case_prefix))


# --- the probe --------------------------------------------------------------------------------------

def test_probe_finds_in_micrograd_0_1_0_exactly_the_ops_its_handwritten_adapter_declares():
    from examples.micrograd_adapter import Micrograd

    adapter = micrograd_api.Adapter("micrograd")
    assert set(adapter.ops) == Micrograd.ops
    assert adapter.value_class == "micrograd.engine.Value" and adapter.version == "0.1.0"
    assert "AssertionError: only supporting int/float powers" in adapter.missing["pow"]  # v ** w exists, fails
    assert adapter.grads == "all"


def test_probe_line_names_ops_found_ops_missing_and_why_and_the_gradients():
    line = micrograd_api.Adapter("micrograd").describe()
    assert "\n" not in line
    assert line.startswith("micrograd:micrograd = micrograd.engine.Value 0.1.0, backward() | found 7 ops: add, sub, "
                           "mul, div, neg, pow_scalar, relu | missing 8: pow (Value(2.0) ** Value(3.0) raised "
                           "AssertionError: only supporting int/float powers for now), tanh exp log sigmoid maximum "
                           "minimum select (no operator, method or function under any usual name)")
    assert line.endswith("gradients: every node")


def test_probe_finds_a_class_spelled_unlike_micrograd_in_a_submodule(zoo):
    adapter = micrograd_api.Adapter("spelled")  # spelled/diffengine.py: class Scalar, ReLU(), ln(), backwards()
    assert adapter.value_class == "spelled.diffengine.Scalar" and adapter.backward_name == "backwards"
    assert set(adapter.ops) == {"add", "sub", "mul", "div", "neg", "pow", "pow_scalar", "relu", "tanh", "exp", "log",
                                "select"}
    assert adapter.spellings["relu"] == "v.ReLU()" and adapter.spellings["log"] == "v.ln()"
    assert adapter.unspelled == ["sigmoid", "maximum", "minimum"]


def test_probe_takes_the_class_named_in_the_target(zoo):
    adapter = micrograd_api.Adapter("spelled.diffengine.Scalar")
    assert adapter.value_class == "spelled.diffengine.Scalar" and "select" in adapter.ops


def test_probe_declares_leaf_only_gradients_when_op_nodes_keep_none(zoo):
    adapter = micrograd_api.Adapter("leafonly")
    assert adapter.grads == "leaves"
    assert adapter.describe().endswith("gradients: leaves only (op nodes' gradients are not compared)")


def test_probe_finds_every_op_of_a_float32_engine_its_rounding_is_for_the_comparison_to_show(zoo):
    adapter = micrograd_api.Adapter("float32")
    assert set(adapter.ops) == {"add", "sub", "mul", "div", "neg", "pow_scalar", "relu", "tanh", "exp", "log"}


def test_probe_declares_an_op_that_gives_a_wrong_value_missing_with_the_value(zoo):
    with pytest.raises(micrograd_api.Unusable) as exc:
        micrograd_api.Adapter("noops")  # its + gives 0.0
    assert "add: Value(2.0) + Value(3.0) gave 0.0, not 5.0" in str(exc.value)


def test_probe_names_a_missing_reflected_operator_without_dropping_the_op(zoo, tmp_path, monkeypatch):
    (tmp_path / "norsub.py").write_text(open(os.path.join(ZOO, "leafonly.py")).read().replace("def __rsub__", "def _x"))
    monkeypatch.syspath_prepend(str(tmp_path))
    adapter = micrograd_api.Adapter("norsub")
    assert "sub" in adapter.ops  # graphs replay constants as values: v - w is what they need
    assert any(r.startswith("2.0 - Value(3.0) raised TypeError") for r in adapter.remarks)
    assert "as user code may also write them: 2.0 - Value(3.0) raised TypeError" in adapter.describe()


# --- replaying ----------------------------------------------------------------------------------------

def _creation_order_backward(Value):
    """micrograd 0.1.0's backward, but summing in creation order: the hand-written adapter's order fix."""
    from examples.micrograd_adapter import _creation_order

    plain = Value.backward

    def backward(self):
        _creation_order(self)
        plain(self)
    return plain, backward


def _replay_or_error(engine, g):
    try:
        return engine.run(g)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def test_micrograd_0_1_0_through_micrograd_module_equals_its_handwritten_adapter_apart_from_the_order_fix():
    """examples/micrograd_adapter.py makes micrograd's set-ordered gradient sums reproducible by walking each node's
    inputs in creation order ("the order fix"). With that same walk applied to the automatic adapter's replays,
    the two give the same bits for every node of every case they run (and the same error where micrograd raises;
    where micrograd's ** makes a complex number, the hand-written adapter's float() raises TypeError and this
    adapter says which node holds what);
    without it, data is the same bits and each gradient is the same sum, added up in micrograd's set order: the
    same bits where no node is used more than twice, equal up to a few roundings elsewhere. Scale entries are left out (micrograd's recursive backward raises
    RecursionError on them, in both)."""
    from micrograd.engine import Value

    from examples.micrograd_adapter import Micrograd

    auto, hand = make("micrograd:micrograd"), Micrograd()
    auto.start()
    plain, fixed = _creation_order_backward(Value)
    compared = 0
    for name, entry in CATALOGUE.items():
        if entry.level == "scale" or entry.kind == "training":
            continue
        for case, tape in cases_of(entry):
            g = Graph(name, case, tape)
            if g.ops - hand.ops:
                continue
            want = _replay_or_error(hand, g)
            Value.backward = fixed
            try:
                got = _replay_or_error(auto, g)
            finally:
                Value.backward = plain
            unfixed = _replay_or_error(auto, g)
            compared += 1
            if isinstance(want, str):  # micrograd's own error, or (the hand-written adapter's float() of a complex)
                assert got == unfixed and got == (want if not want.startswith("TypeError: float()") else
                                                  got.startswith("EngineError: node #") and got), (g.name, got, want)
                continue
            assert [bits(x) for x in got.data + got.grad] == [bits(x) for x in want.data + want.grad], g.name
            assert [bits(x) for x in unfixed.data] == [bits(x) for x in want.data], g.name
            uses = collections.Counter(i for n in tape.nodes for i in n.inputs)
            if max(uses.values(), default=0) <= 2:  # a + b == b + a: the order of two contributions changes no bit
                assert [bits(x) for x in unfixed.grad] == [bits(x) for x in want.grad], g.name
            for x, y in zip(unfixed.grad, want.grad):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) or math.isnan(x) and math.isnan(y), g.name
    assert compared > 2000


def _order_matters(entry):
    """Some graph of the entry uses a node three times or more: micrograd's set order may then change its sums."""
    return any(max(collections.Counter(i for n in t.nodes for i in n.inputs).values(), default=0) > 2
               for _, t in cases_of(CATALOGUE[entry]))


def test_micrograd_module_and_handwritten_adapter_get_the_same_verdicts_in_a_run_with_two_workers(tmp_path):
    """Through the whole harness (-j 2, in process), on the seed graphs and edge cases: the same counts, failing
    cases and largest error for every entry where the order fix cannot matter (no node used three times or
    more); where it can (seed/layer3: each input feeds three neurons), the same cases run and none errors."""
    out = {}
    for engine in ("micrograd:micrograd", "examples.micrograd_adapter:Micrograd"):
        r = parity("--engine", engine, "seed/*", "edge/*", "-j", "2", "-q", "--json", str(tmp_path / "r.json"),
                   python_path="")
        assert r.returncode == 1, r.stderr
        out[engine] = {g["name"]: (g["counts"], g["failing_cases"], g["max_abs_error"])
                       for g in json.load(open(tmp_path / "r.json"))["graphs"]}
    auto, hand = out["micrograd:micrograd"], out["examples.micrograd_adapter:Micrograd"]
    assert auto.keys() == hand.keys()
    order = {name for name in auto if _order_matters(name)}
    assert order == {"seed/layer3"}
    assert {k: v for k, v in auto.items() if k not in order} == {k: v for k, v in hand.items() if k not in order}
    for name in order:
        assert auto[name][0]["error"] == hand[name][0]["error"] == 0
        assert sum(auto[name][0].values()) == sum(hand[name][0].values())


def test_leaf_only_engine_answers_leaves_grads_and_nan_for_op_nodes(zoo):
    engine = make("micrograd:leafonly")
    engine.start()
    assert engine.grads == "leaves"
    g = graph("seed/L_graph")
    got, want = engine.run(g), make("micrograd_ref").run(g)
    leaves = [n.id for n in g.tape.nodes if n.op is None]
    assert [got.grad[i] for i in leaves] == [want.grad[i] for i in leaves]
    assert all(math.isnan(got.grad[n.id]) for n in g.tape.nodes if n.op is not None)
    assert got.data == want.data


def test_a_leaf_only_engine_is_judged_on_its_leaves_and_its_first_culprit_says_op_grads_are_unknown(tmp_path):
    """Through the whole harness: op nodes' nan gradients fail nothing; seed/layer3's leaf x1, summed in the
    engine's own order, differs, and the first culprit says that without op nodes' gradients the fault cannot be
    located (rather than blaming an op's backward as if its grad were known to agree)."""
    r = parity("--engine", "micrograd:leafonly", "seed/*", "--json", str(tmp_path / "r.json"))
    doc = json.load(open(tmp_path / "r.json"))
    failing = {g["name"]: g for g in doc["graphs"] if g["status"] == "FAIL"}
    assert r.returncode == 1 and set(failing) == {"seed/layer3"}, r.stdout[-3000:]
    assert all(m["node_name"].endswith("(leaf)") for m in failing["seed/layer3"]["mismatches"])
    assert "gradients on leaves only" in failing["seed/layer3"]["suspects"][0]
    assert "only leaves' gradients were compared" in r.stdout


def test_garbage_in_grad_or_data_is_that_cases_error_naming_the_node_and_what_came_back(zoo):
    engine = make("micrograd:garbage")
    engine.start()
    with pytest.raises(Exception, match=r"node #0's grad is str 'undefined', not a real number"):
        engine.run(graph("edge/relu", "relu(0.0) g=1.0"))
    with pytest.raises(Exception, match=r"node #1's data is complex \(6.12\d*e-17\+1j\), not a real number"):
        engine.run(graph("edge/pow_scalar", "pow_scalar(-1.0, 0.5) g=1.0"))
    assert engine.run(graph("edge/relu", "relu(2.0) g=1.0")).grad[0] == 1.0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_garbage_changes_no_other_cases_verdict_in_process_and_through_python(venv, jobs, tmp_path):
    counts = {}
    for where in ((), ("--python", venv)):
        r = parity("--engine", "micrograd:garbage", *where, "edge/relu", "-j", jobs, "--json", str(tmp_path / "g.json"))
        assert r.returncode == 1, r.stderr
        (res,) = json.load(open(tmp_path / "g.json"))["graphs"]
        errors = [c for c in res["failing_cases"] if c.startswith(("edge/relu [relu(0.0)", "edge/relu [relu(-0.0)"))]
        assert len(errors) == res["counts"]["error"] == 10  # relu at +-0.0, 5 upstream gradients each
        assert "grad is str 'undefined', not a real number" in r.stdout
        counts[bool(where)] = res["counts"], res["failing_cases"]
    assert counts[True] == counts[False]  # (not the digest: the protocol spells every nan "nan", sign bit lost)


# --- the command line -----------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_prints_the_probe_line_once_before_the_run_in_process_and_through_python(venv, jobs, tmp_path):
    for where in ((), ("--python", venv)):
        r = parity("--engine", "micrograd:spelled", *where, "seed/*", "-j", jobs, "-q", "--json",
                   str(tmp_path / "s.json"))
        assert r.returncode in (0, 1), r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].startswith("micrograd:spelled = spelled.diffengine.Scalar, backwards() | found 12 ops: ")
        assert sum(line.startswith("micrograd:spelled = ") for line in lines) == 1
        report = json.load(open(tmp_path / "s.json"))
        assert report["counts"]["errored"] == 0 and report["counts"]["passed"] >= 15


@pytest.mark.parametrize("module", ["float32", "spelled"])
def test_in_process_and_through_python_replays_are_the_same_bits(zoo, venv, module):
    here, there = make(f"micrograd:{module}"), make(f"micrograd:{module}", python=venv)
    here.start()
    there.start()
    try:
        assert here.ops == there.ops and here.intro == there.intro
        for entry in ("seed/*", "mlp/classic_3_4_4_1", "edge/exp", "edge/tanh"):
            for name in [n for n in CATALOGUE if n == entry or entry.endswith("*") and n.startswith(entry[:-1])]:
                for case, tape in cases_of(CATALOGUE[name]):
                    g = Graph(name, case, tape)
                    if g.ops <= here.ops:
                        a, b = _replay_or_error(here, g), _replay_or_error(there, g)
                        if isinstance(a, str):
                            assert isinstance(b, str) and a.split(":")[0] in b, (g.name, a, b)
                        else:
                            assert [bits(x) for x in a.data + a.grad] == [bits(x) for x in b.data + b.grad], g.name
    finally:
        there.close()


def test_python_runs_the_engine_venvs_own_micrograd_not_the_harnesss(venv):
    r = parity("--engine", "micrograd:micrograd", "--python", venv, "edge/tanh", "-q", python_path="")
    first = r.stdout.splitlines()[0]
    assert first.startswith("micrograd:micrograd = micrograd.Value, backward() | found 10 ops:"), first
    assert "tanh" in first.split("|")[1]  # micrograd 0.1.0, the harness's, has no tanh
    assert r.returncode == 1 and "errored" not in r.stdout.splitlines()[-1]


def test_set_order_engine_runs_the_mlps_with_no_error(zoo, tmp_path):
    r = parity("--engine", "micrograd:setorder", "mlp/*", "-q", "-j", "2", "--json", str(tmp_path / "m.json"))
    assert r.returncode in (0, 1), r.stderr
    graphs = {g["name"]: g for g in json.load(open(tmp_path / "m.json"))["graphs"]}
    assert graphs["mlp/classic_3_4_4_1"]["status"] in ("PASS", "FAIL")
    assert graphs["mlp/train_classic_20_steps"]["counts"]["error"] == 0


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("module, error", [("segfault", "port exited with code -11"),
                                           ("aborts", "port exited with code -6"),
                                           ("hangs", "port timed out after 2s")])
def test_a_crash_through_python_is_that_graphs_error_and_every_report_is_written(venv, module, error, jobs, tmp_path):
    """The zoo's crashers crash in backward() on graphs of 40 nodes or more: of the seed graphs, seed/layer3."""
    out = tmp_path / "c.json"
    r = parity("--engine", f"micrograd:{module}", "--python", venv, "seed/*", "--timeout", "2", "-j", jobs,
               "--json", str(out), "--junit", str(tmp_path / "c.xml"))
    assert r.returncode == 1, r.stderr
    graphs = {g["name"]: g for g in json.load(open(out))["graphs"]}
    assert graphs["seed/layer3"]["status"] == "ERROR"
    assert graphs["seed/layer3"]["error"].startswith(f"seed/layer3: {module}: {error}")  # then the signal's name
    others = [g["status"] for name, g in graphs.items() if name != "seed/layer3"]
    assert set(others) == {"PASS", "SKIP"} and others.count("PASS") == 12
    assert (tmp_path / "c.xml").read_text().count("<testcase") == len(graphs)


def test_check_port_takes_the_same_engine_in_process_and_through_python(venv, tmp_path):
    for where in ((), ("--python", venv)):
        r = parity("check-port", "--engine", "micrograd:spelled", *where, "seed/*", "--json", str(tmp_path / "p.json"))
        assert r.returncode == 1, r.stdout + r.stderr  # its sums in seed/layer3 are in its own order, not torch's
        assert r.stdout.startswith("micrograd:spelled = spelled.diffengine.Scalar")
        report = json.load(open(tmp_path / "p.json"))
        assert report["reference"] == "golden" and report["engine"] == "spelled"
        assert [g["name"] for g in report["graphs"] if not g["ok"]] == ["seed/layer3"]


# --- bad input: exit 2, one line, before any work -----------------------------------------------------------

BAD = [
    (["--engine", "micrograd:no_such_engine"], "parity: micrograd:no_such_engine: cannot import no_such_engine: "
                                               "no module named 'no_such_engine'"),
    (["--engine", "micrograd:spelled.diffengine.Nope"], "parity: micrograd:spelled.diffengine.Nope: cannot import "
                                                        "spelled.diffengine.Nope: spelled.diffengine has no module or "
                                                        "class named 'Nope'"),
    (["--engine", "micrograd:json"], "parity: micrograd:json: no Value class in json: looked for json.Value, "
                                     "json.engine.Value and a class with a backward() or backwards() method in json "
                                     "and its submodules (name it: micrograd:json.MODULE.CLASS)"),
    (["--engine", "micrograd:nobackward"], "parity: micrograd:nobackward: nobackward.Value has no backward() or "
                                           "backwards() method"),
    (["--engine", "micrograd:noops"], "parity: micrograd:noops: the probe found no op of noops.Value that works: "
                                      "add: Value(2.0) + Value(3.0) gave 0.0, not 5.0; "),
    (["--engine", "micrograd_ref", "--python", sys.executable], "parity: --python runs a micrograd:MODULE engine in "
                                                                "another interpreter; 'micrograd_ref' is not one"),
    (["--engine", "micrograd:spelled", "--python", "/no/such/python"], "parity: --python /no/such/python: not a Python "
                                                                       "interpreter that runs here (No such file or "
                                                                       "directory)"),
    (["--engine", "micrograd:spelled", "--python", "/bin/false"], "parity: --python /bin/false: not a working Python "
                                                                  "interpreter (it exited with code 1)"),
    (["--engine", "micrograd:"], "parity: micrograd: no module given (use micrograd:MODULE or "
                                 "micrograd:PACKAGE.MODULE.CLASS)"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_engine_or_interpreter_is_exit_2_in_one_line_before_any_work(args, message, tmp_path):
    r = parity(*args, "seed/*", "--json", str(tmp_path / "never.json"))
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(message), r.stderr
    assert not (tmp_path / "never.json").exists()


@pytest.mark.parametrize("module, message", [
    ("no_such_engine", "micrograd:no_such_engine: cannot import no_such_engine: no module named 'no_such_engine'"),
    ("nobackward", "micrograd:nobackward: nobackward.Value has no backward() or backwards() method"),
    ("noops", "micrograd:noops: the probe found no op of noops.Value that works: add: Value(2.0) + Value(3.0) gave 0.0"),
])
def test_bad_engine_in_its_own_interpreter_is_exit_2_with_the_same_line(venv, module, message):
    r = parity("--engine", f"micrograd:{module}", "--python", venv, "seed/*", python_path="")
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("parity: " + message), r.stderr
    assert r.stderr.rstrip().endswith(f"(in --python {venv})"), r.stderr  # where it was looked for
    r = parity("check-port", "--engine", f"micrograd:{module}", "--python", venv, "seed/*", python_path="")
    assert r.returncode == 2 and r.stderr.startswith("check-port: " + message), r.stderr


def test_served_script_does_not_import_from_the_harnesss_directories(venv):
    """Run as a script, micrograd_api.py does not put its own directory (parity/engines, where a module named
    base is) on sys.path: an engine module is looked up where the engine's interpreter and the working
    directory have it."""
    r = subprocess.run([venv, SCRIPT, "base"], capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.strip() == "micrograd API: micrograd:base: cannot import base: no module named 'base'"


def test_served_script_keeps_what_the_engine_prints_off_the_protocol(venv, tmp_path):
    (tmp_path / "chatty.py").write_text(open(os.path.join(ZOO, "spelled", "diffengine.py")).read().replace(
        "    def backwards(self):\n", "    def backwards(self):\n        print('backward!')\n"))
    start = json.dumps({"type": "start", "protocol": 1})
    g = graph("seed/L_graph")
    from parity.golden import tape_nodes

    request = json.dumps({"type": "graph", "id": 1, "output": g.tape.output, "nodes": tape_nodes(g.tape)})
    r = subprocess.run([venv, SCRIPT, "chatty.Scalar"], input=f"{start}\n{request}\n", capture_output=True,
                       text=True, cwd=tmp_path)
    hello, answer = (json.loads(line) for line in r.stdout.splitlines())
    assert hello["type"] == "hello" and hello["name"] == "chatty.Scalar" and "backward!" in r.stderr
    assert answer["id"] == 1 and answer["data"] == make("micrograd_ref").run(g).data


def test_micrograd_api_is_standard_library_only_python_3_8():
    source = open(micrograd_api.__file__).read()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def test_readme_check_your_own_engine_starts_with_the_one_command_and_shows_the_probe_line_it_prints():
    readme = open(os.path.join(ROOT, "README.md")).read()
    section = readme[readme.index("## Check your own engine"):]
    first = section[section.index("```\n") + 4:]
    first = first[:first.index("```")]
    assert "--engine micrograd:MODULE" in first.splitlines()[0] and "--python" in first
    assert section.index("micrograd:MODULE") < section.index("**The `Engine` class**")
    shown = section[section.index("```\nmicrograd:micrograd = ") + 4:]
    assert shown[:shown.index("\n")] == micrograd_api.Adapter("micrograd").describe()
    fields = section[section.index("**The `Engine` class**"):section.index("This is the whole adapter")]
    for name in ("`name`", "`ops`", "`run(graph)`", "`call`", "`parity.engines.base.OPERATORS`",
                 "`correctly_rounded`", "`promises`", "`grads`", '`grads = "leaves"`'):
        assert name in fields, name


# --- a probe that crashes, exits or hangs ---------------------------------------------------------------

@pytest.mark.parametrize("route", ["in process", "--python"])
def test_an_op_whose_probe_crashes_or_exits_the_interpreter_is_missing_with_why_and_the_run_goes_on(venv, route,
                                                                                                   tmp_path):
    """The probe is rehearsed in a forked child first: pow (a segfault) and tanh (sys.exit) are missing, named
    with what they did; the other ops, relu spelled reLU among them, are found and checked."""
    where = ("--python", venv) if route == "--python" else ()
    out = tmp_path / "p.json"
    r = parity("--engine", "micrograd:probecrash", *where, "seed/L_graph", "edge/pow", "-j", "1",
               "--reference", "golden", "--json", str(out))
    probe = r.stdout.splitlines()[0]
    assert "found 5 ops: add, mul, neg, pow_scalar, relu" in probe, r.stdout + r.stderr
    assert "pow (its probe crashed the interpreter (killed by SIGSEGV, signal 11))" in probe, probe
    assert "tanh (its probe raised SystemExit, which ends the interpreter)" in probe, probe
    assert "Traceback" not in r.stdout + r.stderr
    graphs = {g["name"]: g["status"] for g in json.loads(out.read_text())["graphs"]}
    assert graphs == {"seed/L_graph": "PASS", "edge/pow": "SKIP"}, graphs


def test_a_probe_step_that_hangs_is_missing_after_the_limit(zoo, monkeypatch):
    monkeypatch.setattr(micrograd_api, "PROBE_LIMIT", 1.0)
    monkeypatch.setitem(sys.modules, "hangsprobe", type(sys)("hangsprobe"))
    import crashing

    class Value(crashing.Value):
        def exp(self):
            time.sleep(60)

    sys.modules["hangsprobe"].Value = Value
    adapter = micrograd_api.probed("hangsprobe")
    assert adapter.missing["exp"] == "its probe hung (over 1 s)" and "relu" in adapter.ops


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_hang_through_python_leaves_no_port_process(venv, signum, code):
    """The port process hangs in backward() (seed/layer3) inside a worker; the run is signalled: the worker is
    killed, and its port with it (PR_SET_PDEATHSIG), not left to the init process."""
    env = {**os.environ, "PYTHONPATH": ZOO}
    proc = subprocess.Popen([sys.executable, "-m", "parity", "--engine", "micrograd:hangs", "--python", venv,
                             "seed/layer3", "-j", "1", "--reference", "golden"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def adapters():  # micrograd_api.py run by the engine's interpreter: the handshake's process, the worker's
        return [p for p in naming(venv) if "micrograd_api.py" in _cmdline(p)]

    deadline = time.monotonic() + 60
    while not adapters() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # the worker's port is hanging in seed/layer3's backward()
    ports = adapters()
    if not ports:
        proc.kill()
        pytest.fail(f"no port started: {proc.communicate()}")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code and err.strip().endswith("interrupted"), (out, err)
    deadline = time.monotonic() + 5
    while [p for p in ports if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in ports if alive(p)], "a port process outlived the run"
