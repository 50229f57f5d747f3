"""The example ports and the template speak conformance protocol v1 (docs/SPEC.md section 7).

Driven here directly, line by line, with a few lines of test code (not parity's runner):
handshake, one answer per graph carrying the request's id, golden numbers, exit 0 at
end of input, and the worked example of the spec replayed for real.
"""

import ast
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

from micrograd_ref import OPS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = shutil.which("node")

PORTS = {
    "python_port": [sys.executable, os.path.join(ROOT, "examples", "python_port", "port.py")],
    "js_port": [NODE or "node", os.path.join(ROOT, "examples", "js_port", "port.js")],
    "port_template": [sys.executable, os.path.join(ROOT, "examples", "port_template", "port.py")],
}
ALL = list(PORTS)


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def exchange(port, messages, timeout=120):
    """Write every message as one JSON line, close stdin, return (answers, exit code, stderr)."""
    if port == "js_port" and NODE is None:
        pytest.fail("Node.js is needed for the JavaScript port (install nodejs)")
    text = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
    r = subprocess.run(PORTS[port], input=text, capture_output=True, text=True, timeout=timeout, cwd=ROOT)

    def strict(token):
        raise ValueError(f"bare {token} is not JSON")

    answers = [json.loads(line, parse_constant=strict) for line in r.stdout.splitlines()]
    return answers, r.returncode, r.stderr


START = {"type": "start", "protocol": 1}


def golden(name):
    from parity.golden import load_entry  # .json, or .json.gz for the scale entries

    index = json.loads(read("golden", "index.json"))
    return load_entry(os.path.join(ROOT, "golden"), next(e["file"] for e in index["entries"] if e["name"] == name))


def request(doc, g, rid):
    return {"type": "graph", "id": rid, "name": doc["name"], "case": g["case"], "output": g["output"],
            "nodes": g["nodes"]}


def value(v):
    """A wire number: a JSON number (not a bool) or "inf"/"-inf"/"nan"; anything else fails."""
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[v]
    assert isinstance(v, (int, float)) and not isinstance(v, bool), v
    return float(v)


def agrees(x, y, tol):
    if math.isnan(x) and math.isnan(y):
        return True
    if x == y:
        return True
    if tol["exact"] or not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= tol["atol"] + tol["rtol"] * abs(y)


def check_answers(docs, port, ops):
    """Send every graph of `docs` whose ops the port declared; return how many were checked."""
    msgs, wanted = [START], []
    for doc in docs:
        for g in doc["graphs"]:
            if {n["op"] for n in g["nodes"]} - {"leaf"} <= set(ops):
                rid = 1000 + len(wanted)
                msgs.append(request(doc, g, rid))
                wanted.append((rid, doc, g))
    answers, code, err = exchange(port, msgs)
    assert code == 0, err[-2000:]
    assert len(answers) == 1 + len(wanted)
    for answer, (rid, doc, g) in zip(answers[1:], wanted):
        where = f"{port}: {doc['name']} [{g['case']}]"
        assert set(answer) == {"id", "data", "grad"}, (where, answer)
        assert answer["id"] == rid, where
        for q in ("data", "grad"):
            got, want = answer[q], g["expected"][q]
            assert len(got) == len(g["nodes"]), (where, q)
            bad = [i for i, (x, y) in enumerate(zip(got, want)) if not agrees(value(x), value(y), doc["tolerance"])]
            assert not bad, f"{where}: {q} of node {bad[0]}: port {got[bad[0]]}, golden {want[bad[0]]}"
    return len(wanted)


# --- handshake -------------------------------------------------------------------------

@pytest.mark.parametrize("port", ALL)
def test_port_answers_start_with_a_complete_hello_and_exits_0_at_end_of_input(port):
    answers, code, err = exchange(port, [START])
    assert code == 0, err
    (hello,) = answers
    assert set(hello) == {"type", "protocol", "name", "version", "language", "ops"}
    assert hello["type"] == "hello" and hello["protocol"] == 1
    assert all(isinstance(hello[k], str) and hello[k] for k in ("name", "version", "language"))
    assert isinstance(hello["ops"], list) and set(hello["ops"]) <= set(OPS) | {"select"}  # select: SPEC section 2
    assert len(set(hello["ops"])) == len(hello["ops"])
    expected = ["add", "mul"] if port == "port_template" else [*OPS, "select"]
    assert sorted(hello["ops"]) == sorted(expected)


@pytest.mark.parametrize("port", ALL)
def test_port_answers_a_protocol_it_does_not_speak_with_the_version_it_speaks(port):
    answers, code, _ = exchange(port, [{"type": "start", "protocol": 99}])
    assert code == 0
    assert answers[0]["type"] == "hello" and answers[0]["protocol"] == 1


@pytest.mark.parametrize("port", ALL)
def test_port_answers_an_unrunnable_graph_with_an_error_for_that_id_and_keeps_serving(port):
    bad = {"type": "graph", "id": 41, "name": "x", "case": "", "output": 1,
           "nodes": [{"id": 0, "op": "leaf", "value": 1.0}, {"id": 1, "op": "no_such_op", "inputs": [0]}]}
    doc = golden("seed/chain_rule/add")
    answers, code, _ = exchange(port, [START, bad, request(doc, doc["graphs"][0], 42)])
    assert code == 0
    assert answers[1]["id"] == 41 and isinstance(answers[1]["error"], str) and "data" not in answers[1]
    assert answers[2]["id"] == 42 and answers[2]["data"][-1] == -2.0


# --- graphs ------------------------------------------------------------------------------

def test_template_computes_every_golden_graph_of_add_and_mul_exactly_as_golden():
    names = [e["name"] for e in json.loads(read("golden", "index.json"))["entries"]]
    docs = [golden(n) for n in names]
    checked = check_answers(docs, "port_template", ["add", "mul"])
    # the chain-rule graphs, L_graph(_step), layer3 and every case of edge/add and edge/mul
    assert checked >= 8 + 2 + 1 + 605 + 605


@pytest.mark.parametrize("port", ["python_port", "js_port"])
def test_example_port_answers_each_graph_with_its_id_and_the_golden_numbers(port):
    docs = [golden(n) for n in ("seed/toy_max", "seed/cost", "seed/tanh_neuron", "seed/layer3",
                                "mlp/classic_3_4_4_1", "edge/pow", "random/fixed_40")]
    assert check_answers(docs, port, list(OPS)) == 5 + 605 + 40


# --- the spec's worked example ------------------------------------------------------------

def worked_example():
    """The `>` and `<` lines of docs/SPEC.md section 7, in order."""
    spec = read("docs", "SPEC.md")
    text = spec[spec.index("**Worked example**"):spec.index("\n## 8.")]
    return [(line[0], json.loads(line[2:])) for line in text.splitlines() if line[:2] in ("> ", "< ")]


def test_spec_worked_example_is_a_real_exchange_with_the_template_and_golden_requests():
    lines = worked_example()
    assert [d for d, _ in lines] == [">", "<", ">", "<", ">", "<"]
    sent = [m for d, m in lines[:4] if d == ">"]
    answers, code, _ = exchange("port_template", sent)
    assert code == 0
    assert answers == [m for d, m in lines[:4] if d == "<"]
    for _, req in (lines[2], lines[4]):
        doc = golden(req["name"])
        assert req["nodes"] == doc["graphs"][0]["nodes"] and req["output"] == doc["graphs"][0]["output"]


@pytest.mark.parametrize("port", ["python_port", "js_port"])
def test_spec_worked_example_toy_max_answer_is_what_the_example_ports_answer(port):
    lines = worked_example()
    answers, code, _ = exchange(port, [START, lines[4][1]])
    assert code == 0 and answers[1] == lines[5][1]


# --- the template stays a template ----------------------------------------------------------

def test_template_port_uses_only_the_standard_library():
    tree = ast.parse(read("examples", "port_template", "port.py"))
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules and modules <= set(sys.stdlib_module_names), modules
    assert "micrograd_ref" not in read("examples", "port_template", "port.py").replace(
        "does not use micrograd_ref", "")


def test_template_readme_replay_command_writes_the_two_lines_the_port_answers():
    readme = read("examples", "port_template", "README.md")
    block = readme[readme.index("```\npython3 -c"):]
    command = block[4:block.index("> request.jsonl")]
    r = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    start, graph = [json.loads(line) for line in r.stdout.splitlines()]
    assert start == START and graph["case"] == "mul(inf, -0.0) g=nan"
    expected = json.loads(r.stderr.split("expected:", 1)[1])
    answers, code, _ = exchange("port_template", [start, graph])
    assert code == 0 and answers[1] == {"id": 1, **expected}
