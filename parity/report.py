"""Reports: the terminal table, --json, --junit and --dot."""

import json
import os
import platform
import re
from xml.etree import ElementTree as ET

from .compare import DEFAULT


def table(results, engine="micrograd_ref", reference="torch"):
    w = max([len(r.name) for r in results] + [5])
    lines = [f"{'graph':<{w}}  {'nodes':>7}  {'max abs err':>11}  {'max rel err':>11}  result",
             "-" * (w + 46)]
    for r in results:
        status = "PASS" if r.ok else ("ERROR" if r.error else "FAIL")
        lines.append(f"{r.name:<{w}}  {r.nodes:>7}  {r.max_abs:>11.2e}  {r.max_rel:>11.2e}  {status}")
    return "\n".join(lines)


def failures(results, limit=20):
    lines = []
    for r in results:
        if r.error:
            lines.append(f"{r.name}: ERROR {r.error}")
        for sus in r.suspects:
            lines.append(f"likely culprit: {sus}")
        for m in r.mismatches[:limit]:
            lines.append(str(m))
        if len(r.mismatches) > limit:
            lines.append(f"{r.name}: ... and {len(r.mismatches) - limit} more mismatches")
    return "\n".join(lines)


def summary(results, seconds, engine="micrograd_ref", reference="torch float64"):
    n_fail = sum(not r.ok for r in results)
    nodes = sum(r.nodes for r in results)
    head = f"{len(results)} graphs, {nodes} nodes compared (data and grad, tolerance {DEFAULT} unless exact) in {seconds:.1f}s: "
    if n_fail:
        return head + f"{n_fail} FAILED ({engine} disagrees with {reference})"
    return head + f"all agree ({engine} == {reference})"


def write_json(path, results, seconds, extra=None):
    doc = {
        "ok": all(r.ok for r in results),
        "seconds": round(seconds, 3),
        "tolerance": {"rtol": DEFAULT.rtol, "atol": DEFAULT.atol},
        "python": platform.python_version(),
        "graphs": [r.as_dict() for r in results],
    }
    doc.update(extra or {})
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def write_junit(path, results, suite="parity"):
    root = ET.Element("testsuite", name=suite, tests=str(len(results)),
                      failures=str(sum(bool(r.mismatches) for r in results)),
                      errors=str(sum(bool(r.error) for r in results)),
                      time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        case = ET.SubElement(root, "testcase", classname=suite, name=r.name, time=f"{r.seconds:.3f}")
        if r.error:
            ET.SubElement(case, "error", message=r.error).text = r.error
        elif r.mismatches:
            msg = str(r.mismatches[0])
            body = "\n".join(str(m) for m in r.mismatches[:50])
            ET.SubElement(case, "failure", message=msg).text = body
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_dots(directory, results):
    """A Graphviz drawing of each failing graph, disagreeing nodes in red with both values."""
    from micrograd_ref import to_dot

    os.makedirs(directory, exist_ok=True)
    written = []
    for r in results:
        for graph, tape, eng, mismatches in r.failing_tapes:
            values = eng.extra.get("values")
            if not values:
                continue
            notes = {}
            for m in mismatches:
                if m.node < len(values):
                    note = f"{m.quantity}: mine {m.value:.6g}, {m.reference_name} {m.reference:.6g}"
                    notes[values[m.node]] = (notes.get(values[m.node], "") + " " + note).strip()
            path = os.path.join(directory, re.sub(r"[^\w.-]+", "_", graph).strip("_") + ".dot")
            with open(path, "w") as f:
                f.write(to_dot(values[tape.output], highlight=notes, number_format="%.6g"))
            written.append(path)
    return written


def emit(results, seconds, quiet=False, json_path=None, junit_path=None, suite="parity", extra=None,
         engine="micrograd_ref", reference="torch float64", after_failures=None):
    """Print the table, the mismatches and the summary; write --json/--junit. Returns the exit status."""
    if not quiet:
        print(table(results))
    bad = failures(results)
    if bad:
        print("\nMismatches:\n" + bad)
        if after_failures:
            after_failures()
    if json_path:
        write_json(json_path, results, seconds, extra)
    if junit_path:
        write_junit(junit_path, results, suite=suite)
    print(summary(results, seconds, engine=engine, reference=reference))
    return 0 if all(r.ok for r in results) else 1
