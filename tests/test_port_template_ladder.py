"""The template reaches every op, select included: README section 2 is a ladder of blocks to paste into
port.py, one per op, and each step is true when run. The test pastes the blocks one by one, exactly as the
README prints them, and at every step runs check-port against the golden vectors on the graphs that step
unlocks: they all pass, the rest are skipped, and the README's "unlocks" column is what the catalogue says."""

import json
import os
import re
import subprocess
import sys

import pytest

from micrograd_ref.ops import OPS
from parity import golden

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE_DIR = os.path.join(ROOT, "examples", "port_template")
README = open(os.path.join(TEMPLATE_DIR, "README.md")).read()
MARKER = "# ADD ROWS HERE"
FIRST = ["add", "mul"]  # what port.py has from the start


def ladder_section():
    return re.search(r"^## 2\. .*?(?=^## 3\. )", README, flags=re.M | re.S).group(0)


def steps():
    """[(op, code)] in README order: each '### `op`' heading and the python block under it."""
    found = re.findall(r"^### `(\w+)`\n(.*?)(?=^### |\Z)", ladder_section(), flags=re.M | re.S)
    out = []
    for op, body in found:
        blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
        assert len(blocks) == 1, f"step {op}: {len(blocks)} python blocks"
        out.append((op, blocks[0]))
    return out


def golden_cases():
    """{entry: [frozenset of ops of each case]} from the committed golden vectors."""
    d = golden.default_dir()
    out = {}
    for e in golden.load_index(d)["entries"]:
        doc = golden.load_entry(d, e["file"])
        out[e["name"]] = [frozenset(n["op"] for n in g["nodes"] if n["op"] != "leaf") for g in doc["graphs"]]
    return out


def unlocks(cases, before, now):
    """{entry: (cases runnable now, total)} for entries that gain cases when `now` ops are declared."""
    out = {}
    for name, ops in cases.items():
        was, has = sum(c <= before for c in ops), sum(c <= now for c in ops)
        if has > was:
            out[name] = (was, has, len(ops))
    return out


def describe(gained):
    """The README's words for what a step unlocks."""
    parts = []
    for name, (was, has, total) in gained.items():
        if total == 1:
            parts.append(f"`{name}`")
        elif has == total and was == 0:
            parts.append(f"`{name}` ({total} cases)")
        elif has == total:
            parts.append(f"the last {has - was} of the {total} cases of `{name}`")
        else:
            parts.append(f"{has - was} of the {total} cases of `{name}`")
    return ", ".join(parts)


def ladder_rows():
    """[(ops of the row, what it unlocks)] as the README's table must say them."""
    cases = golden_cases()
    rows, have = [], set()
    for names in [FIRST] + [[op] for op, _ in steps()]:
        before, have = set(have), have | set(names)
        rows.append((names, describe(unlocks(cases, before, have))))
    return rows


def table_rows():
    return re.findall(r"^\| (`[\w`, ]+`) \| (.*) \|$", ladder_section(), flags=re.M)


def test_the_ladder_has_one_step_per_op_and_one_for_select_and_nothing_else():
    assert sorted(FIRST + steps_order()) == sorted([*OPS, "select"])


def steps_order():
    return [op for op, _ in steps()]


def test_the_unlocks_column_is_what_the_catalogue_unlocks_in_the_order_the_steps_are_listed():
    want = [(", ".join(f"`{op}`" for op in names), text) for names, text in ladder_rows()]
    assert table_rows() == want, "the table to paste: python tests/test_port_template_ladder.py"


def port_at(tmp_path, k):
    source = open(os.path.join(TEMPLATE_DIR, "port.py")).read()
    assert source.count(MARKER) == 1
    code = "\n".join(block for _, block in steps()[:k])
    path = tmp_path / f"port_{k}.py"
    head, rest = source.split(MARKER)
    line, tail = rest.split("\n", 1)
    path.write_text(head + MARKER + line + "\n" + code + "\n" + tail)  # right below the marker's line
    return str(path)


@pytest.mark.parametrize("k", range(len(steps()) + 1), ids=lambda k: "+".join((FIRST + steps_order())[: k + 2][-1:]))
def test_each_step_of_the_ladder_passes_every_graph_it_unlocks_when_run(tmp_path, k):
    cases = golden_cases()
    ops = set(FIRST) | {op for op, _ in steps()[:k]}
    before = set(FIRST) | {op for op, _ in steps()[:k - 1]} if k else set()
    gained = unlocks(cases, before, ops)
    last = k == len(steps())
    args = ["--strict"] if last else sorted(gained)  # the last step: every graph, nothing skipped
    report = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "-q", "-j", "2", "--json", str(report), *args,
                        "--", sys.executable, port_at(tmp_path, k)], capture_output=True, text=True, cwd=ROOT,
                       timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    doc = json.loads(report.read_text())
    names = list(cases) if last else sorted(gained)
    runnable = sum(sum(c <= ops for c in cases[n]) for n in names)
    total = sum(len(cases[n]) for n in names)
    assert doc["counts"]["passed"] == runnable and doc["counts"]["skipped"] == total - runnable, doc["counts"]


if __name__ == "__main__":  # after golden/ changes: `python tests/test_port_template_ladder.py` prints the table
    print("| op | what it unlocks, given the rows above |\n|---|---|")
    for names, text in ladder_rows():
        print("| " + ", ".join(f"`{op}`" for op in names) + f" | {text} |")
