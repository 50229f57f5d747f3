"""The porting kit: the spec, the golden vectors and the conformance runner."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from micrograd_ref import OPS
from parity.catalogue import CATALOGUE
from parity.golden import load_entry
from parity.spec import op_names_in, render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "golden")


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


# --- the spec -----------------------------------------------------------------------

def test_spec_has_a_section_for_every_op_and_no_other():
    assert op_names_in(read("docs", "SPEC.md")) == list(OPS)


def test_committed_spec_is_the_fresh_render_of_the_op_table():
    assert read("docs", "SPEC.md") == render(), "docs/SPEC.md is stale: run `make golden`"


def test_spec_states_every_op_formula_and_convention():
    spec = read("docs", "SPEC.md")
    for op in OPS.values():
        for text in (op.math, *op.grads, *op.conventions):
            assert text in spec, (op.name, text)


# --- golden vectors ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def fresh_export(tmp_path_factory):
    pytest.importorskip("torch")
    from parity.golden import export

    out = tmp_path_factory.mktemp("golden")
    export(str(out))
    return out


def test_committed_golden_vectors_equal_a_fresh_export(fresh_export):
    committed = sorted(f for f in os.listdir(GOLDEN) if f != "schema.json")
    assert committed == sorted(os.listdir(fresh_export))
    stale = [f for f in committed if open(os.path.join(GOLDEN, f), "rb").read() != (fresh_export / f).read_bytes()]
    assert not stale, f"golden vectors changed: {stale}; review the diff and run `make golden`"


def test_golden_vectors_validate_against_the_published_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(read("golden", "schema.json"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    index = json.loads(read("golden", "index.json"))
    for entry in index["entries"]:
        doc = load_entry(GOLDEN, entry["file"])
        errors = list(validator.iter_errors(doc))
        assert not errors, (entry["file"], errors[0].message)
        for g in doc["graphs"]:
            n = len(g["nodes"])
            assert [node["id"] for node in g["nodes"]] == list(range(n))
            assert len(g["expected"]["data"]) == n == len(g["expected"]["grad"])
            assert all(i < node["id"] for node in g["nodes"] for i in node.get("inputs", []))


def test_golden_covers_the_whole_catalogue():
    from parity.catalogue import CATALOGUE

    index = json.loads(read("golden", "index.json"))
    assert [e["name"] for e in index["entries"]] == list(CATALOGUE)


def test_golden_numbers_round_trip_exactly_including_specials():
    doc = json.loads(read("golden", "edge__div.json"))
    values = [v for g in doc["graphs"] for v in g["expected"]["data"]]
    assert {"inf", "-inf", "nan"} <= {v for v in values if isinstance(v, str)}
    from parity.golden import from_num, num

    for v in values:
        assert num(from_num(v)) == v or v == "nan"


# --- the conformance runner ------------------------------------------------------------------

def check_port(*args, timeout=None):
    cmd = [sys.executable, "-m", "parity", "check-port", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def test_python_port_passes_every_golden_graph(tmp_path):
    r = check_port("--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"), "--",
                   sys.executable, "examples/python_port/port.py")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "all agree" in r.stdout
    assert json.loads((tmp_path / "r.json").read_text())["ok"]


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js not installed")
def test_js_port_written_from_the_spec_passes_every_golden_graph():
    r = check_port("--", NODE, "examples/js_port/port.js")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr


@pytest.mark.skipif(NODE is None, reason="Node.js not installed")
def test_js_port_passes_its_generator_self_test():
    r = subprocess.run([NODE, "examples/js_port/port.js", "--selftest"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "selftest ok" in r.stdout


@pytest.mark.skipif(NODE is None, reason="Node.js not installed")
def test_runner_names_the_op_of_a_bug_planted_in_the_js_port(tmp_path):
    source = read("examples", "js_port", "port.js")
    row = "  mul: (g, out, a, b) => [g * b, g * a],"
    assert row in source
    (tmp_path / "port.js").write_text(source.replace(row, "  mul: (g, out, a, b) => [g * b, -g * a],"))
    r = check_port("seed/*", "--", NODE, str(tmp_path / "port.js"))
    assert r.returncode == 1
    assert "likely culprit" in r.stdout and "backward of 'mul'" in r.stdout
    assert "js_port=" in r.stdout and "golden=" in r.stdout


HELLO = ("import sys, json\n"
         "sys.stdin.readline()\n"
         "print(json.dumps({'type': 'hello', 'protocol': 1, 'name': 'fake', 'version': '0', 'language': 'Python',"
         " 'ops': ['add', 'sub', 'mul', 'div', 'neg', 'pow_scalar', 'relu', 'maximum']}), flush=True)\n"
         "def graphs():  # the graph requests; a line of another type is ignored (SPEC section 7)\n"
         "    for line in sys.stdin:\n"
         "        r = json.loads(line)\n"
         "        if r.get('type') == 'graph':\n"
         "            yield r\n")
PORTS = {
    "crash": HELLO + "if next(graphs(), None) is not None:\n    sys.exit(3)\n",
    "hang": HELLO + "import time\nif next(graphs(), None) is not None:\n    time.sleep(60)\n",
    "garbage": HELLO + "for r in graphs():\n    print('hello', flush=True)\n",
    "short": HELLO + "for r in graphs():\n    print(json.dumps({'id': r['id'], 'data': [1.0], "
                     "'grad': [1.0]}), flush=True)\n",
    "error": HELLO + "for r in graphs():\n    print(json.dumps({'id': r['id'], "
                     "'error': 'not implemented'}), flush=True)\n",
    "bare_nan": HELLO + "for r in graphs():\n    n = len(r['nodes'])\n"
                        "    print('{\"id\": %d, \"data\": [NaN%s], \"grad\": [1%s]}' % (r['id'], ', 1' * (n - 1), "
                        "', 1' * (n - 1)), flush=True)\n",
    "string_number": HELLO + "for r in graphs():\n    n = len(r['nodes'])\n"
                             "    print(json.dumps({'id': r['id'], 'data': ['1.5'] * n, 'grad': [1] * n}), flush=True)\n",
    "wrong_id": HELLO + "for r in graphs():\n    n = len(r['nodes'])\n"
                        "    print(json.dumps({'id': r['id'] + 100, 'data': [1] * n, 'grad': [1] * n}), flush=True)\n",
}


@pytest.mark.parametrize("kind, message", [
    ("crash", "port exited with code 3"),
    ("hang", "port timed out after 1s"),
    ("garbage", "not a JSON line"),
    ("short", "must be a list of 6 numbers, got 1 entries"),
    ("error", "port reported an error: not implemented"),
    ("bare_nan", "bare NaN is not JSON"),
    ("string_number", "answer's data[0] is \"1.5\": not a JSON number"),
    ("wrong_id", "port answered request id 101, expected 1"),
])
def test_runner_survives_a_port_that_crashes_hangs_or_prints_garbage(tmp_path, kind, message):
    port = tmp_path / f"{kind}.py"
    port.write_text(PORTS[kind])
    r = check_port("--timeout", "1", "-j", "1", "seed/toy_max", "seed/L_graph", "--", sys.executable, str(port),
                   timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert message in r.stdout
    assert r.stdout.count("ERROR") >= 2  # each graph is its own ERROR; the port was restarted for the next


HANDSHAKES = {
    "answers_unknown": (HELLO.split("def graphs")[0] + "for line in sys.stdin:\n    print(json.dumps({'id': "
                        "json.loads(line).get('id'), 'error': 'unknown request'}), flush=True)\n",
                        "answered a line of unknown type (SPEC section 7: answer nothing to a line of unknown type"),
    "dies_on_unknown": (HELLO.split("def graphs")[0] + "r = json.loads(sys.stdin.readline())\n"
                        "assert r['type'] == 'graph', 'unexpected message'\n",
                        "exited with code 1 after a line of unknown type and the end of its input"),
    "silent": ("import sys\nsys.stdin.readline()\nsys.exit(0)\n", "did not answer the handshake"),
    "no_hello": ("import sys\nsys.stdin.readline()\nprint('{}', flush=True)\nsys.stdin.read()\n",
                 "answered the handshake wrongly"),
    "version_2": ("import sys, json\nsys.stdin.readline()\nprint(json.dumps({'type': 'hello', 'protocol': 2, "
                  "'name': 'x', 'version': '1', 'language': 'x', 'ops': []}), flush=True)\nsys.stdin.read()\n",
                  "it speaks protocol 2; this runner speaks protocol 1"),
    "unknown_op": ("import sys, json\nsys.stdin.readline()\nprint(json.dumps({'type': 'hello', 'protocol': 1, "
                   "'name': 'x', 'version': '1', 'language': 'x', 'ops': ['add', 'matmul']}), flush=True)\n"
                   "sys.stdin.read()\n", "unknown ops matmul"),
}


@pytest.mark.parametrize("kind", sorted(HANDSHAKES))
def test_port_that_fails_the_handshake_is_a_one_line_usage_error_exit_2(tmp_path, kind):
    source, message = HANDSHAKES[kind]
    port = tmp_path / f"{kind}.py"
    port.write_text(source)
    r = check_port("--timeout", "2", "seed/toy_max", "--", sys.executable, str(port), timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stdout == ""


def test_graphs_with_ops_a_port_did_not_declare_are_skipped_and_a_run_of_skips_alone_proves_nothing(tmp_path):
    """A skip is not a failure (the port grows op by op), but a run in which every graph was skipped compared
    nothing: NOTHING COMPARED, exit 1, so a gate cannot be green on an engine it never checked."""
    port = tmp_path / "addmul.py"
    port.write_text(HELLO.replace("'sub', 'mul', 'div', 'neg', 'pow_scalar', 'relu', 'maximum'", "'mul'") +
                    "for r in graphs():\n    print(json.dumps({'id': r['id'], 'error': 'x'}), flush=True)\n")
    r = check_port("seed/toy_max", "seed/cost", "--", sys.executable, str(port))
    assert r.returncode == 1 and "NOTHING COMPARED" in r.stdout.splitlines()[-1], r.stdout + r.stderr
    assert "SKIP" in r.stdout and "lacks maximum" in r.stdout + check_port(
        "seed/toy_max", "--json", "/dev/stdout", "-q", "--", sys.executable, str(port)).stdout
    strict = check_port("--strict", "seed/toy_max", "--", sys.executable, str(port))
    assert strict.returncode == 1, strict.stdout


def test_runner_usage_errors_exit_2():
    assert check_port("seed/toy_max").returncode == 2  # no -- CMD
    assert check_port("no/such", "--", sys.executable, "-c", "pass").returncode == 2
    assert check_port("--", "/no/such/program").returncode == 2


def test_spec_recipe_for_generated_graphs_rebuilds_them():
    """An independent implementation of docs/SPEC.md's recipe (section 5) rebuilds the generator's graphs."""
    import math

    from micrograd_ref.rng import XorShift64Star
    from parity.generate import rng_tape

    special = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, math.inf, -math.inf, math.nan, 1000.0, -1000.0]
    exponents = [0, 1, 2, 3, 0.5, -0.5, -1, -2, 1.5, -1.5]
    names = sorted(OPS)
    for seed in range(30):
        r, nodes = XorShift64Star(seed), []
        for _ in range(1 + r.below(5)):
            nodes.append(("leaf", special[r.below(11)] if r.below(4) == 0 else (r.below(49) - 24) / 8))
        for _ in range(1 + r.below(12)):
            op = names[r.below(14)]
            ins = []
            for _ in range(OPS[op].arity):
                n = len(nodes)
                ins.append(n - 1 - r.below(min(n, 4)) if r.below(2) else r.below(n))
            nodes.append((op, tuple(ins), tuple(float(exponents[r.below(10)]) for _ in OPS[op].params)))
        used = {i for node in nodes if node[0] != "leaf" for i in node[1]}
        sinks = [i for i in range(len(nodes)) if i not in used]
        root = sinks[0]
        for k, s in enumerate(sinks[1:], 1):
            nodes += [("leaf", 1 + k / 4), ("mul", (s, len(nodes)), ())]
            nodes.append(("add", (root, len(nodes) - 1), ()))
            root = len(nodes) - 1
        tape = rng_tape(seed)
        got = [(n.op, n.inputs, n.params) if n.op else ("leaf", n.data) for n in tape.nodes]
        assert repr(got) == repr(nodes), seed
        assert tape.output == root


# --- the compliance report across ports ------------------------------------------------------------

def test_committed_ports_report_is_the_fresh_run_of_every_in_tree_port(tmp_path):
    """docs/PORTS.md: op by level, one column per port; a test fails when it is stale (`make ports`)."""
    r = subprocess.run([sys.executable, "-m", "parity", "ports", "--out", str(tmp_path / "PORTS.md"),
                        "--json", str(tmp_path / "PORTS.json")], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    fresh = (tmp_path / "PORTS.md").read_text()
    assert read("docs", "PORTS.md") == fresh, "docs/PORTS.md is stale: run `make ports`"
    assert json.loads(read("docs", "PORTS.json")) == json.loads((tmp_path / "PORTS.json").read_text())
    assert "| port_template |" in fresh and "| micrograd 0.1.0 |" in fresh
    row = next(line for line in fresh.splitlines() if line.startswith("| add | scale |"))
    assert row.count("3/3") == 2 and "E](#micrograd" in row  # example ports pass; micrograd's RecursionError


def test_strict_fails_an_entry_that_ran_some_of_its_cases_and_skipped_the_others():
    """--strict: no skips, so an entry some of whose cases use an op the engine lacks fails too, not only an entry
    whose every case was skipped; the summary says why it failed."""
    from parity import report
    from parity.engines import make, started
    from parity.harness import Run

    engine = make("micrograd_ref")
    engine.start()
    engine.ops = frozenset(engine.ops) - {"log"}
    res = Run(engine, started("golden")).entry(CATALOGUE["pins/evaluation_order"])
    assert res.status == "PASS" and res.count("SKIP") and res.count("PASS")
    assert report.run_ok([res]) and not report.run_ok([res], strict=True)
    line = report.summary([res], 0.0, "mine", "golden", strict=True)
    assert line.endswith("1 entry FAILED (mine vs golden: 1 with skipped cases (--strict))"), line
