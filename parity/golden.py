"""Golden vectors: the catalogue as language-neutral JSON, with the spec's data and grad of every node.

The answers are the spec engine's (parity/engines/spec_engine.py): the op table's formulas with every
primitive correctly rounded (MPFR), gradients summed in torch's order. No libm and no torch is involved,
so an export is byte-identical on every machine; torch, JAX, micrograd_ref and any port are measured
against it.

Numbers: finite doubles are JSON numbers written with the shortest round-trip
repr (any correct parser recovers the exact double, -0.0 included); the three
specials are the strings "inf", "-inf" and "nan".
"""

import gzip
import json
import math
import os

from micrograd_ref.ops import OPS

from .catalogue import CATALOGUE, TRAINING, build_tape, cases_of, sgd, trained_weights
from .compare import DEFAULT
from .engines.base import Graph
from .tape import SELECTS, Node, Tape

FORMAT = "micrograd_ref-golden/1"
MADE_BY = ("the spec engine (python -m parity export): the op table's formulas in binary64 with every primitive "
           "correctly rounded (tanh, exp, log, pow by MPFR through gmpy2; sqrt, + - * / by IEEE hardware; fma exactly), "
           "gradients summed in torch's order (docs/SPEC.md, section 3); the same bytes on every machine")


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)


def from_num(v):
    if isinstance(v, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[v]
    return float(v)


def tape_nodes(tape):
    out = []
    for n in tape.nodes:
        if n.op is None:
            d = {"id": n.id, "op": "leaf", "value": num(n.data)}
            if n.const:
                d["const"] = True
        elif n.op == "select":
            d = {"id": n.id, "op": "select", "by": n.by, "inputs": list(n.inputs)}
            if n.params:
                d["params"] = [int(p) for p in n.params]
        else:
            d = {"id": n.id, "op": n.op, "inputs": list(n.inputs)}
            if n.params:
                d["params"] = [num(p) for p in n.params]
        if n.label:
            d["label"] = n.label
        out.append(d)
    return out


def tape_from_nodes(nodes, output):
    t = Tape()
    for d in nodes:
        if d["op"] == "leaf":
            t.nodes.append(Node(d["id"], None, label=d.get("label", ""), data=from_num(d["value"]),
                                const=d.get("const", False)))
        elif d["op"] == "select":
            if d.get("by") not in SELECTS:
                raise ValueError(f"unknown select {d.get('by')!r}")
            t.nodes.append(Node(d["id"], "select", tuple(d["inputs"]), tuple(int(p) for p in d.get("params", ())),
                                d.get("label", ""), by=d["by"]))
        else:
            if d["op"] not in OPS:
                raise ValueError(f"unknown op {d['op']!r}")
            t.nodes.append(Node(d["id"], d["op"], tuple(d["inputs"]), tuple(from_num(p) for p in d.get("params", ())),
                                d.get("label", "")))
    t.output = output
    return t


def graph_doc(case, tape, expected):
    return {"case": case, "output": tape.output, "nodes": tape_nodes(tape),
            "expected": {"data": [num(x) for x in expected.data], "grad": [num(x) for x in expected.grad]}}


def entry_graphs(entry, engine=None):
    """[(case, tape, the engine's Replay)] for an entry (the spec engine unless another engine is given);
    training entries give one graph per SGD step, each step from the engine's own previous gradients."""
    if engine is None:
        from .engines.spec_engine import Spec

        engine = Spec()
        engine.start()
    if entry.kind != "training":
        return [(case, tape, engine.run(Graph(entry.name, case, tape))) for case, tape in cases_of(entry)]
    cfg = TRAINING[entry.name]
    tape = build_tape(entry)
    weights = trained_weights(tape)
    graphs = []
    for step in range(cfg["steps"]):
        for i, w in weights.items():
            tape.nodes[i].data = w
        snapshot = tape.copy()
        ref = engine.run(Graph(entry.name, f"step {step}", snapshot))
        graphs.append((f"step {step}", snapshot, ref))
        weights = sgd(weights, ref.grad, cfg["lr"])
    return graphs


def entry_doc(entry):
    tol = entry.tol
    return {
        "format": FORMAT,
        "name": entry.name,
        "kind": entry.kind,
        "doc": entry.doc,
        # exact: every value of the entry is exact for any two engines (its ops round through IEEE operations only);
        # otherwise exactness is derived node by node (docs/SPEC.md, section 6) and the rest is within this bound
        "tolerance": {"exact": entry.exact, "rtol": tol.rtol, "atol": tol.atol, "ulps": tol.ulps},
        "graphs": [graph_doc(c, t, r) for c, t, r in entry_graphs(entry)],
    }


COMPRESSED_LEVELS = ("scale",)  # graphs of 50,000+ nodes: stored gzip-compressed (deterministic bytes, mtime 0)


def filename(name, level="core"):
    return name.replace("/", "__") + (".json.gz" if level in COMPRESSED_LEVELS else ".json")


def dumps(doc):
    """Stable, diff-friendly JSON: one node (and one expected row) per line."""
    lines = ["{"]
    head = {k: v for k, v in doc.items() if k != "graphs"}
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "graphs": [')
    for gi, g in enumerate(doc["graphs"]):
        lines.append("    {")
        lines.append(f'      "case": {json.dumps(g["case"])}, "output": {g["output"]},')
        lines.append('      "nodes": [')
        lines.append(",\n".join("        " + json.dumps(n, separators=(",", ":")) for n in g["nodes"]))
        lines.append("      ],")
        lines.append('      "expected": {')
        lines.append('        "data": ' + json.dumps(g["expected"]["data"], separators=(",", ":")) + ",")
        lines.append('        "grad": ' + json.dumps(g["expected"]["grad"], separators=(",", ":")))
        lines.append("      }")
        lines.append("    }" + ("," if gi < len(doc["graphs"]) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def export(directory, names=None):
    os.makedirs(directory, exist_ok=True)
    index = {"format": FORMAT, "default_tolerance": {"rtol": DEFAULT.rtol, "atol": DEFAULT.atol},
             "made_by": MADE_BY, "entries": []}
    for name, entry in CATALOGUE.items():
        if names and name not in names:
            continue
        doc = entry_doc(entry)
        file = filename(name, entry.level)
        text = dumps(doc).encode()
        with open(os.path.join(directory, file), "wb") as f:
            f.write(gzip.compress(text, compresslevel=9, mtime=0) if file.endswith(".gz") else text)
        index["entries"].append({"name": name, "file": file, "graphs": len(doc["graphs"]),
                                 "nodes": sum(len(g["nodes"]) for g in doc["graphs"])})
    with open(os.path.join(directory, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    return index


def default_dir():
    """The golden vectors: the repository's golden/ next to the parity package, else the copy installed with it."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
    if os.path.exists(os.path.join(here, "index.json")):
        return here
    installed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_vectors")
    return installed if os.path.exists(os.path.join(installed, "index.json")) else here


def load_index(directory):
    with open(os.path.join(directory, "index.json")) as f:
        index = json.load(f)
    if index.get("format") != FORMAT:
        raise ValueError(f"format {index.get('format')!r}, this runner reads {FORMAT!r}")
    return index


def load_entry(directory, file):
    """One entry's document; files ending in .gz are gzip-compressed JSON."""
    opener = gzip.open if file.endswith(".gz") else open
    with opener(os.path.join(directory, file), "rt", encoding="utf-8") as f:
        return json.load(f)


def load(directory):
    """[(entry doc)] from an exported directory, in index order."""
    return [load_entry(directory, e["file"]) for e in load_index(directory)["entries"]]
