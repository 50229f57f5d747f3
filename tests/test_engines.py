"""Engines are plug-ins: any two engines, one harness; adapters, golden vectors, declared differences,
known failures. (Ports behind the line protocol: test_porting_kit.py.)"""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from parity.catalogue import CATALOGUE
from parity.engines import BUILTIN, Engine, EngineUnavailable, make
from parity.harness import run_entry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROGRAD = "examples.micrograd_adapter:Micrograd"


def parity(*args, env=None, cwd=ROOT, python=sys.executable, timeout=300):
    return subprocess.run([python, "-m", "parity", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


# --- the design: the harness names no engine ---------------------------------------------------------

ENGINE_NAMES = ("micrograd_ref", "torch", "jax", "golden", "micrograd", "tensorflow", "autograd", "tinygrad")


@pytest.mark.parametrize("module", ["harness.py", "compare.py", "report.py", "diagnose.py", "expectations.py"])
def test_comparison_and_reporting_code_names_no_engine(module):
    tree = ast.parse(read("parity", module))
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    named = [s for s in strings if s in ENGINE_NAMES]
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    engine_imports = [m for m in imports if "engines." in m or m in ("torch", "jax", "micrograd")]
    assert not named and not engine_imports, (named, engine_imports)


def test_parity_package_has_no_import_cycle_counting_imports_inside_functions():
    """Every import inside parity/, at module level or inside a function, follows one direction: commands on
    top (cli, porting, ports, conventions), the machinery they share below them (the run, usage errors,
    workers, the Graph type). A lazy import does not make a circle acceptable: it only hides it."""
    graph = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "parity")):
        for f in files:
            if not f.endswith(".py"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
            mod = rel[: -len(".__init__")] if rel.endswith(".__init__") else rel
            pkg = mod if f == "__init__.py" else mod.rsplit(".", 1)[0]
            deps = set()
            for node in ast.walk(ast.parse(open(path).read())):  # module level and inside functions
                if isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                        base = ".".join(parts + ([base] if base else []))
                    if base.startswith("parity"):
                        deps.add(base)
                        deps.update(f"{base}.{a.name}" for a in node.names)
                elif isinstance(node, ast.Import):
                    deps.update(a.name for a in node.names if a.name.startswith("parity"))
            graph[mod] = deps
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "active", " -> ".join(path + [m])
        state[m] = "active"
        for d in graph[m]:
            visit(d, path + [m])
        state[m] = "done"

    for m in graph:
        visit(m, [])


def test_every_builtin_engine_is_one_module_and_one_registry_entry():
    assert set(BUILTIN) >= {"micrograd_ref", "torch", "golden", "jax"}
    for name, target in BUILTIN.items():
        module = target.split(":")[0]
        assert os.path.exists(os.path.join(ROOT, *module.split(".")) + ".py"), target
    for name in ("micrograd_ref", "torch", "golden"):
        engine = make(name)
        assert isinstance(engine, Engine) and engine.name == name


def test_unknown_engine_or_adapter_is_a_one_line_usage_error_exit_2():
    for spec, message in [("nosuch", "unknown engine 'nosuch'"), ("no.such.module:X", "cannot import no.such.module"),
                          ("examples.micrograd_adapter:Nope", "has no Nope"), ("json:loads", "is not an engine")]:
        r = parity("--engine", spec, "seed/toy_max")
        assert r.returncode == 2, (spec, r.stdout, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and r.stdout == "", r.stderr
    with pytest.raises(EngineUnavailable):
        make("nosuch")


# --- any pair of engines -----------------------------------------------------------------------------------

def test_golden_reference_gates_micrograd_ref_like_torch_does():
    r = parity("--reference", "golden", "-q")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "all agree (micrograd_ref == golden)" in r.stdout


def test_golden_reference_runs_in_a_venv_without_torch(tmp_path):
    """A real venv with nothing installed (no torch, no numpy): micrograd_ref is gated by the stored vectors."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    assert subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0
    r = parity("--reference", "golden", "-q", python=python, env={"PYTHONPATH": ROOT})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "all agree (micrograd_ref == golden)" in r.stdout
    torch_ref = parity("seed/toy_max", python=python, env={"PYTHONPATH": ROOT})
    assert torch_ref.returncode == 2 and "torch is not installed" in torch_ref.stderr


def test_golden_engine_refuses_a_graph_its_vectors_were_not_made_for():
    from parity.engines import Graph
    from parity.engines.golden_engine import Golden
    from parity.catalogue import build_tape

    golden = Golden()
    golden.start()
    tape = build_tape(CATALOGUE["seed/toy_max"])
    assert golden.run(Graph("seed/toy_max", "", tape)).data[-1] == 6.0
    tape.nodes[0].data = 1.5  # the same graph at another point: the stored answer is not for it
    with pytest.raises(RuntimeError, match="golden vectors of seed/toy_max are for another graph"):
        golden.run(Graph("seed/toy_max", "", tape))


def test_reports_name_both_engines_in_the_table_json_and_junit(tmp_path):
    r = parity("--engine", "golden", "--reference", "torch", "seed/*", "edge/relu", "--json", str(tmp_path / "r.json"),
               "--junit", str(tmp_path / "r.xml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all agree (golden == torch)" in r.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["engine"] == "golden" and doc["reference"] == "torch"
    assert [e["name"] for e in doc["engines"]] == ["golden", "torch"]
    assert {g["engine"] for g in doc["graphs"]} == {"golden"}
    assert doc["python"] and doc["platform"] and "commit" in doc
    assert 'name="parity: golden vs torch"' in (tmp_path / "r.xml").read_text()


# --- a Python adapter: classic micrograd 0.1.0 -----------------------------------------------------------------

@pytest.fixture(scope="module")
def micrograd_run(tmp_path_factory):
    pytest.importorskip("micrograd")
    out = tmp_path_factory.mktemp("mg") / "r.json"
    return parity("--engine", MICROGRAD, "--json", str(out)), json.loads(out.read_text())


def test_micrograd_adapter_runs_the_whole_catalogue_each_graph_pass_fail_or_skip(micrograd_run):
    r, doc = micrograd_run
    assert r.returncode == 1, r.stderr  # micrograd disagrees with torch on edge cases: honest FAILs
    assert "Traceback" not in r.stdout + r.stderr
    assert len(doc["graphs"]) == len(CATALOGUE)
    statuses = {g["name"]: g["status"] for g in doc["graphs"]}
    assert set(statuses.values()) <= {"PASS", "FAIL", "ERROR", "SKIP"}
    assert statuses["seed/toy_max"] == "SKIP"  # micrograd has no maximum
    assert statuses["seed/tanh_neuron"] == "SKIP"
    assert statuses["seed/L_graph"] == "PASS" and statuses["seed/relu_net"] == "PASS"
    assert doc["counts"]["skipped"] and doc["counts"]["errored"] and doc["counts"]["failed"] and doc["counts"]["passed"]
    m = re.search(r"\((\d+) passed, (\d+) failed, (\d+) errored, (\d+) skipped\)", r.stdout)
    assert m, r.stdout[-500:]


def test_micrograd_adapter_shows_micrograds_own_zero_division_error(micrograd_run):
    r, doc = micrograd_run
    assert "ERROR micrograd raised ZeroDivisionError" in r.stdout
    div = next(g for g in doc["graphs"] if g["name"] == "edge/div")
    assert div["status"] == "ERROR" and "ZeroDivisionError" in div["error"]
    assert doc["by_op"]["maximum"]["SKIP"] > 0 and doc["by_op"]["maximum"]["PASS"] == 0


def test_readme_check_your_own_engine_shows_the_tested_adapter_file():
    readme = read("README.md")
    section = readme[readme.index("## Check your own engine"):]
    block = section[section.index("```python\n") + 10:]
    block = block[: block.index("```")]
    assert block == read("examples", "micrograd_adapter.py")


# --- declared differences and known failures -----------------------------------------------------------------------

PLANTED = '''
from parity.engines import Replay
from parity.engines.micrograd_ref_engine import MicrogradRef


class ReluNanZero(MicrogradRef):
    """micrograd_ref, except that relu sends 0 to a nan input (JAX's convention)."""
    name = "relu_nan_zero"
    differences = {differences!r}

    def run(self, graph):
        out = super().run(graph)
        grad = list(out.grad)
        for n in graph.tape.nodes:
            if n.op == "relu" and graph.tape.nodes[n.inputs[0]].data != graph.tape.nodes[n.inputs[0]].data:
                grad[n.inputs[0]] = 0.0
        return Replay(out.data, grad)
'''


def planted_engine(tmp_path, toml):
    diffs = tmp_path / "differences.toml"
    diffs.write_text(toml)
    (tmp_path / "planted_engine.py").write_text(PLANTED.format(differences=str(diffs)))
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}


DECLARED = '''
[[expected]]
match = "edge/relu [relu(nan) g=*"
op = "relu"
reason = "relu'(nan) is 0 here; torch passes the gradient"
'''


def test_declared_difference_is_reported_with_its_reason_and_does_not_fail(tmp_path):
    env = planted_engine(tmp_path, DECLARED)
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", "seed/relu_net", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Expected differences" in r.stdout and "relu'(nan) is 0 here" in r.stdout
    assert "XFAIL" in r.stdout and "expected-fail" in r.stdout


def test_undeclared_difference_fails_naming_the_op_and_the_case(tmp_path):
    env = planted_engine(tmp_path, "")
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "edge/relu [relu(nan) g=1.0]: node #0 'a' (leaf): grad relu_nan_zero=0.0 torch=1.0" in r.stdout
    assert "backward of 'relu'" in r.stdout


def test_declared_difference_that_no_longer_occurs_is_reported_stale(tmp_path):
    env = planted_engine(tmp_path, DECLARED + '''
[[expected]]
match = "edge/relu [relu(2.0) g=*"
reason = "an old difference, since fixed"
''')
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "stale: edge/relu [relu(2.0) g=*: no longer differs" in r.stdout


def test_known_failures_are_xfail_and_a_listed_graph_that_passes_is_xpass_and_fails(tmp_path):
    env = planted_engine(tmp_path, "")
    known = tmp_path / "known.toml"
    # known failures are strict: the pattern names exactly the failing cases (g = 0 agrees: 0 * anything masked)
    known.write_text("".join(DECLARED.replace("g=*", f"g={g}]").replace("reason", "link = \"https://example.org/1\"\nreason")
                             for g in ("1.0", "inf", "nan", "-2.0")))
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", "--known-failures", str(known), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "XFAIL" in r.stdout and "https://example.org/1" in r.stdout
    known.write_text(DECLARED.replace("relu(nan)", "relu(2.0)"))
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", "--known-failures", str(known), env=env)
    assert r.returncode == 1 and "XPASS" in r.stdout, r.stdout


def test_known_failure_entry_matching_no_graph_is_a_usage_error(tmp_path):
    known = tmp_path / "known.toml"
    known.write_text('[[expected]]\nmatch = "edge/rleu*"\nreason = "typo"\n')
    r = parity("edge/relu", "--known-failures", str(known))
    assert r.returncode == 2 and "matches no graph" in r.stderr and r.stdout == ""
    known.write_text('[[expected]]\nmatch = "edge/relu*"\n')
    r = parity("edge/relu", "--known-failures", str(known))
    assert r.returncode == 2 and "needs a non-empty 'match' and 'reason'" in r.stderr


def test_an_engine_that_fails_is_that_graphs_error_never_a_harness_crash():
    class Broken(Engine):
        name = "broken"

        def run(self, graph):
            raise ZeroDivisionError("float division by zero")

    res = run_entry(CATALOGUE["seed/L_graph"], engine=Broken())
    assert res.status == "ERROR" and "broken raised ZeroDivisionError: float division by zero" in res.error
    assert res.nodes == 0  # nothing was compared, and the count says so


def test_python_adapter_written_in_30_lines_is_enough(tmp_path):
    source = textwrap.dedent('''
        import micrograd_ref
        from parity.engines import Engine, Replay, replay_tape

        class Mine(Engine):
            name = "mine"
            ops = frozenset({"add", "mul", "sub"})

            def run(self, graph):
                vals = replay_tape(graph.tape, lambda x, label: micrograd_ref.Value(x), ns=micrograd_ref)
                vals[graph.tape.output].backward()
                return Replay([v.data for v in vals], [v.grad for v in vals])
    ''')
    (tmp_path / "mine.py").write_text(source)
    r = parity("--engine", "mine:Mine", "seed/*", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "seed/L_graph" in r.stdout and "SKIP" in r.stdout and "all agree (mine == torch)" in r.stdout


def test_any_engine_behind_the_protocol_micrograd_shows_skips_recursion_and_zero_division(tmp_path):
    """`python -m parity serve ENGINE` is a port process: micrograd 0.1.0 behind the protocol."""
    pytest.importorskip("micrograd")
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "--json", str(tmp_path / "r.json"), "seed/*",
                        "edge/div", "scale/*", "--", sys.executable, "-m", "parity", "serve", MICROGRAD],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    status = {g["name"]: g for g in doc["graphs"]}
    assert status["seed/toy_max"]["status"] == "SKIP" and "micrograd lacks maximum" in status["seed/toy_max"]["skipped"]
    assert status["seed/L_graph"]["status"] == "PASS"
    assert "micrograd: port reported an error: RecursionError" in status["scale/chain_100k"]["error"]
    assert "ZeroDivisionError" in status["edge/div"]["error"]
    assert doc["by_op"]["relu"]["PASS"] > 0 and doc["by_level"]["scale"]["ERROR"] == 3


def test_known_failures_do_not_make_an_engines_declared_differences_strict(tmp_path):
    """Strictness belongs to each entry: a declared difference matching an agreeing case (g = 0) stays quiet
    even when a known-failures file is given too."""
    env = planted_engine(tmp_path, DECLARED)
    known = tmp_path / "known.toml"
    known.write_text('[[expected]]\nmatch = "edge/relu [relu(nan) g=1.0]"\nreason = "also listed by the porter"\n')
    r = parity("--engine", "planted_engine:ReluNanZero", "edge/relu", "--known-failures", str(known), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "XPASS" not in r.stdout and "relu'(nan) is 0 here" in r.stdout
