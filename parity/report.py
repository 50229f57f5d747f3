"""Reports of a run, whatever the two engines: the terminal table, per-op and per-level tables, --json,
--junit and --dot. Engines are named only by the names the results carry."""

import json
import math
import os
import platform
import re
import subprocess
from collections import Counter
from xml.etree import ElementTree as ET

from .compare import DEFAULT
from .kinds import FINITE_KINDS, INF, NAN, ZERO_SIGN

LEVELS = ("core", "edge", "scale", "training")
COUNTED = (("passed", "PASS"), ("failed", "FAIL"), ("errored", "ERROR"), ("skipped", "SKIP"),
           ("expected-fail", "XFAIL"), ("xpass", "XPASS"))


def _worst(r):
    if r.worst == 0.0:
        return "exact" if r.exact else "0"
    return "inf" if math.isinf(r.worst) else f"{r.worst:.2g}"


def skipped_why(r):
    """What the skipped cases of an entry lack, in a few words: "lacks maximum, select" (the ops missing
    from the engine that skipped them), or the first other reason."""
    missing, other = set(), []
    for c in r.cases:
        if c.status != "SKIP":
            continue
        found = re.search(r" lacks (.+)$", c.reason)
        if found:
            missing.update(op.strip() for op in found.group(1).split(","))
        elif c.reason not in other:
            other.append(c.reason)
    parts = ([f"lacks {', '.join(sorted(missing))}"] if missing else []) + other[:1]
    return "; ".join(parts)


def failed_check(r):
    """(check, max abs err, err/allowed) of a FAIL entry, measured by the check that failed it: the reference
    ("torch"), the spec on the candidate's own values ("own values"), "finite differences" or "backward twice"
    (the check of its first kept mismatch). The error is that check's own: the largest |value - expected| over
    its mismatches, or a word when no difference is a finite number ("nan", "inf", "sign": zeros of opposite
    sign); err/allowed is above 1 ("inf" for a bit-for-bit miss)."""
    if not r.mismatches:
        return "", "", ""
    check = r.mismatches[0].check
    mine = [m for m in r.mismatches if m.check == check]
    finite = [abs(m.value - m.reference) for m in mine if m.kind in FINITE_KINDS]
    if finite:
        err = f"{max(finite):.2e}"
    else:
        err = next(word for k, word in ((NAN, "nan"), (INF, "inf"), (ZERO_SIGN, "sign")) if any(m.kind == k for m in mine))
    ratio = max(m.ratio for m in mine)
    return check, err, ("inf" if math.isinf(ratio) else f"{ratio:.2g}")


def table(results):
    """One row per entry: cases, nodes compared, the largest abs error and the largest error as a fraction of
    what the entry's tolerance allows (1 = at the limit; 'exact' = bit for bit where exactness is required).
    A FAIL row is measured by the check that failed it, named in its result: `FAIL (vs torch)`, `FAIL (own
    values)`, `FAIL (finite differences)`, `FAIL (backward twice)` (see failed_check)."""
    w = max([len(r.name) for r in results] + [5])
    lines = [f"{'graph':<{w}}  {'cases':>5}  {'nodes':>7}  {'max abs err':>11}  {'err/allowed':>11}  result",
             "-" * (w + 53)]
    for r in results:
        status = r.status
        err, worst = f"{r.max_abs:.2e}", _worst(r)
        if status == "PASS" and r.count("SKIP"):
            status = f"PASS ({r.count('SKIP')} skipped: {skipped_why(r)})"
        elif status == "SKIP":
            status = f"SKIP ({skipped_why(r)})"
        elif status == "FAIL" and r.mismatches:
            check, err, worst = failed_check(r)
            status = f"FAIL (vs {check})" if check == r.reference else f"FAIL ({check})"
        lines.append(f"{r.name:<{w}}  {len(r.cases):>5}  {r.nodes:>7}  {err:>11}  {worst:>11}  {status}")
    return "\n".join(lines)


def tally(results, key):
    """{group: {status: count, 'first': first failing case}} with cases grouped by key(result, case) -> [groups]."""
    out = {}
    for r in results:
        for c in r.cases:
            for g in key(r, c):
                row = out.setdefault(g, {s: 0 for _, s in COUNTED})
                row[c.status] += 1
                if c.status in ("FAIL", "ERROR", "XPASS") and "first" not in row:
                    row["first"] = c.name
    return out


def by_op(results):
    from micrograd_ref.ops import OPS

    rows = tally(results, lambda r, c: c.ops)
    return {op: rows[op] for op in [*OPS, *sorted(set(rows) - set(OPS))] if op in rows}


def by_level(results):
    rows = tally(results, lambda r, c: (r.level,))
    return {lv: rows[lv] for lv in [*LEVELS, *sorted(set(rows) - set(LEVELS))] if lv in rows}


def op_level_cells(results, statuses, first=lambda c: c.name):
    """{(op, level): {status: cases, "first": {status: first(case)}}} over every case of a run, for the
    compliance reports (docs/PORTS.md, docs/FRAMEWORKS.md); a status not among statuses counts as FAIL."""
    cells = {}
    for r in results:
        for c in r.cases:
            for op in c.ops or ("(none)",):
                cell = cells.setdefault((op, r.level), {**{s: 0 for s in statuses}, "first": {}})
                status = c.status if c.status in cell else "FAIL"
                cell[status] += 1
                if status != "PASS":
                    cell["first"].setdefault(status, first(c))
    return cells


def count_table(rows, head):
    w = max([len(k) for k in rows] + [len(head)])
    cols = [(label, s, max(len(label), 6)) for label, s in COUNTED[:5]]
    lines = [f"{head:<{w}}  " + "  ".join(f"{label:>{cw}}" for label, _, cw in cols) + "  first failing case",
             "-" * (w + 72)]
    for k, row in rows.items():
        cells = "  ".join(f"{row[s]:>{cw}}" for _, s, cw in cols)
        lines.append(f"{k:<{w}}  {cells}  {row.get('first', '')}".rstrip())
    return "\n".join(lines)


_NUMBER = re.compile(r"-?(?:inf|nan|\d+(?:\.\d*)?(?:e[-+]?\d+)?)")


def _number_class(token):
    x = float(token)
    if x != x:
        return "nan"
    if math.isinf(x):
        return "±inf"
    if x == 0.0:
        return "-0" if token.startswith("-") else "0"
    if abs(x) == 1.0:
        return token[0] * (x < 0) + "1"
    return "-x" if x < 0 else "x"


def input_class(graph):
    """The inputs of a case, by class: "pow(1, ±inf)" for "edge/pow [pow(1.0, -inf) g=2.0]" (numbers as 0, -0, 1,
    -1, ±inf, nan, x or -x; the upstream gradient g left out); "" for a graph without a case."""
    case = re.sub(r"\s*g=\S+$", "", graph.partition(" [")[2].rstrip("]"))
    return _NUMBER.sub(lambda m: _number_class(m.group(0)), case)


def failure_kind(m):
    """What kind of failure a mismatch is: (check, quantity, op of the node, how they differ, the case's inputs
    by class)."""
    op = re.search(r"\((\w+)\)$", m.node_name)
    return m.check, m.quantity, op.group(1) if op else "", m.kind, input_class(m.graph)


def group_mismatches(mismatches):
    """[(kind, [mismatches])]: the mismatches grouped by failure_kind, groups in the order first seen. The text
    report shows the first of every group; an HTML report can show the same groups."""
    groups = {}
    for m in mismatches:
        groups.setdefault(failure_kind(m), []).append(m)
    return list(groups.items())


def failures(results, limit=50):
    """The disagreements of every failing entry: errors, the likely culprits, then one mismatch of every kind
    (group_mismatches: the check, quantity, op, how the values differ and the case's inputs by class; at most
    `limit` kinds), then the count of the rest."""
    lines = []
    for r in results:
        if r.ok:
            continue
        errs = [c for c in r.cases if c.status in ("ERROR", "XPASS")]
        for c in errs[:3]:
            lines.append(f"{c.name}: {c.status} {c.reason}")
        if len(errs) > 3:
            lines.append(f"{r.name}: ... and {len(errs) - 3} more")
        for sus in r.suspects:
            lines.append(f"likely culprit: {sus}")
        groups = group_mismatches(r.mismatches)
        for _, found in groups[:limit]:
            lines.append(str(found[0]))
        shown = min(len(groups), limit)
        rest = r.n_mismatches - shown
        if rest > 0:
            kinds = f" of {len(groups) - shown} more kind{'s' if len(groups) - shown > 1 else ''} and the kinds above" \
                if len(groups) > shown else " of the kinds above"
            lines.append(f"{r.name}: ... and {rest} more mismatch{'es' if rest > 1 else ''}{kinds}")
    return "\n".join(lines)


def expected_lines(results, expectations=None, limit=3):
    """The declared differences found, each with its reason, and the stale declarations."""
    lines, by_entry = [], {}
    for r in results:
        for e, m in r.declared:
            by_entry.setdefault(e, []).append(m)
    for e, found in by_entry.items():
        total = sum(r.matched.get(e, 0) for r in results)
        lines.append(f"[{total} case(s)] {e.match}: {e.reason}" + (f" ({e.link})" if e.link else ""))
        lines.extend(f"    {m}" for m in found[:limit])
    for e in stale(results, expectations):
        lines.append(f"stale: {e.match}: no longer differs ({e.source}); remove the entry")
    return lines


def stale(results, expectations):
    """Expectations that matched no disagreement in a run that covered their graphs."""
    if not expectations:
        return []
    ran = [r.name for r in results]
    return [e for e in expectations.entries
            if not any(e in r.matched for r in results) and any(e.matches_entry(n) for n in ran)]


def run_ok(results, strict=False):
    """Whether the run passes: every entry PASS or XFAIL (or SKIP unless strict); any XPASS makes its entry fail;
    and some node was compared (a run that skipped everything has proved nothing)."""
    return bool(results) and all(r.ok_when(strict) for r in results) and any(r.nodes for r in results)


def counts(results):
    return {label: sum(r.count(s) for r in results) for label, s in COUNTED}


def summary(results, seconds, engine, reference, strict=False):
    """The run's one line: what was compared and how, then the verdict (summary_parts)."""
    return "".join(summary_parts(results, seconds, engine, reference, strict))


def summary_parts(results, seconds, engine, reference, strict=False):
    """(what was compared, ending in "level L: "; the verdict in words: "all agree (a == b)", "2 entries FAILED
    (...)", "NOTHING COMPARED (...)")."""
    n = counts(results)
    n_cases = sum(len(r.cases) for r in results)
    nodes = sum(r.nodes for r in results)
    parts = [f"{n[label]} {label}" for label, _ in COUNTED if n[label] or label == "passed"]
    values = sum(r.values for r in results)
    exact = values - sum(r.bounded for r in results)
    varying = sum(r.count_nondeterministic() for r in results)
    if varying:
        parts.append(f"{varying} nondeterministic")
    level = verdict_level(results)
    how = (f"{exact} of {values} values bit for bit, as their ops allow; the rest within {DEFAULT} or the entry's "
           f"ulps" if level == "exact" else f"{values} values at {level} (relative; nan, inf and zero signs of data "
           f"exact)")
    head = (f"{len(results)} entries, {n_cases} cases ({', '.join(parts)}), {nodes} nodes compared "
            f"(data and grad: {how}) in {seconds:.1f}s, level {level}: ")
    why = Counter(r.failed_because(strict) for r in results)
    why.pop("", None)
    bad = sum(why.values())
    if bad:
        entries = f"{bad} entr{'y' if bad == 1 else 'ies'} FAILED"
        if set(why) == {"disagree"}:
            return head, f"{entries} ({engine} disagrees with {reference})"
        return head, f"{entries} ({engine} vs {reference}: " + ", ".join(f"{n} {w}" for w, n in why.most_common()) + ")"
    if not nodes:
        return head, f"NOTHING COMPARED ({engine} vs {reference})"
    return head, f"all agree ({engine} == {reference})"


def verdict_level(results):
    """The verdict level of a run: "exact" or "tolerance REL" (--tolerance)."""
    return results[0].verdict_level if results else "exact"


def grads_compared(engines):
    """"leaves" when an engine keeps gradients only on leaves (op nodes' grads were not compared), else "all"."""
    return "leaves" if any(about.get("grads") == "leaves" for about in engines) else "all"


def _commit():
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _merged_notes(results):
    notes = {}
    for r in results:
        for p, n in r.notes.items():
            notes[p] = notes.get(p, 0) + n
    return notes


def write_json(path, results, seconds, engines=(), strict=False, extra=None):
    doc = {
        "ok": run_ok(results, strict),
        "engines": list(engines),
        "engine": results[0].engine if results else None,
        "reference": results[0].reference if results else None,
        "reference_platform_notes": _merged_notes(results),
        "seconds": round(seconds, 3),
        "counts": counts(results),
        "tolerance": {"rtol": DEFAULT.rtol, "atol": DEFAULT.atol},
        "verdict_level": verdict_level(results),
        "nondeterministic": sum(r.count_nondeterministic() for r in results),
        "grads_compared": grads_compared(engines),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
        "by_op": by_op(results),
        "by_level": by_level(results),
        "graphs": [r.as_dict() for r in results],
    }
    doc.update(extra or {})
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def platform_lines(engines, results):
    """One line per engine that reports its platform (what decides its roundings), then a note for every
    primitive the reference does not round correctly although the spec requires it: those values were
    compared within the bound, and are not the candidate's fault."""
    lines = []
    for about in engines:
        keys = [k for k in about if k not in ("name", "version")]
        if "correctly_rounded" in about and "cpu" in about:
            lines.append(f"{about['name']} {about.get('version', '')}: "
                         + ", ".join(f"{k}={about[k]}" for k in keys if k != "correctly_rounded")
                         + f"; rounds correctly: {', '.join(about['correctly_rounded']) or 'IEEE + - * / only'}")
    for about in engines:
        if about.get("grads") == "leaves":
            lines.append(f"note: {about['name']} keeps gradients only on leaves: only leaves' gradients were compared "
                         f"(op nodes' were not)")
    reference = results[0].reference if results else "the reference"
    for p, n in sorted(_merged_notes(results).items()):
        lines.append(f"note on the reference: {reference} on this platform does not promise {p} correctly rounded (IEEE 754 and "
                     f"the spec require it): {n} values were compared within the bound instead of bit for bit; "
                     f"the candidate's own values were checked against the spec there (a platform difference, "
                     f"not a failure of the candidate)")
    return lines


def write_junit(path, results, suite="parity", engines=()):
    engine = results[0].engine if results else ""
    reference = results[0].reference if results else ""
    root = ET.Element("testsuite", name=f"{suite}: {engine} vs {reference}", tests=str(len(results)),
                      failures=str(sum(r.status in ("FAIL", "XPASS") for r in results)),
                      errors=str(sum(r.status == "ERROR" for r in results)),
                      skipped=str(sum(r.status == "SKIP" for r in results)),
                      time=f"{sum(r.seconds for r in results):.3f}")
    props = ET.SubElement(root, "properties")
    ET.SubElement(props, "property", name="engine", value=engine)
    ET.SubElement(props, "property", name="reference", value=reference)
    ET.SubElement(props, "property", name="verdict_level", value=verdict_level(results))
    ET.SubElement(props, "property", name="grads_compared", value=grads_compared(engines))
    for about in engines:
        for k, v in about.items():
            if k != "name":
                ET.SubElement(props, "property", name=f"{about.get('name', '?')}.{k}",
                              value=", ".join(v) if isinstance(v, list) else str(v))
    for r in results:
        case = ET.SubElement(root, "testcase", classname=suite, name=r.name, time=f"{r.seconds:.3f}")
        if r.status == "ERROR":
            ET.SubElement(case, "error", message=r.error).text = r.error
        elif r.status in ("FAIL", "XPASS"):
            lines = [str(m) for m in r.mismatches[:50]] or [f"{c.name}: {c.reason}" for c in r.cases
                                                            if c.status == "XPASS"][:50]
            ET.SubElement(case, "failure", message=lines[0] if lines else r.status).text = "\n".join(lines)
        elif r.status == "SKIP":
            reasons = sorted({c.reason for c in r.cases})
            ET.SubElement(case, "skipped", message="; ".join(reasons[:3]))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


DOT_MAX_NODES = 400


def _dot_escape(text):
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def tape_dot(graph, tape, eng, ref, mismatches, fmt="%.6g"):
    """A Graphviz drawing of one compared graph: per node its label and op, both engines' data and grad;
    disagreeing nodes in red. Graphs above DOT_MAX_NODES are cut to the disagreeing nodes and their neighbours."""
    bad = {}
    for m in mismatches:
        bad.setdefault(m.node, []).append(m)
    keep = set(range(len(tape.nodes)))
    if len(tape.nodes) > DOT_MAX_NODES:
        keep = set(bad) | {i for b in bad for i in tape.nodes[b].inputs}
        keep |= {n.id for n in tape.nodes if set(n.inputs) & set(bad)}
    e, r = (mismatches[0].engine_name, mismatches[0].reference_name) if mismatches else ("engine", "reference")
    lines = ["digraph G {", "  rankdir=LR;", f'  labelloc=t; label="{_dot_escape(graph)}";']
    for i in sorted(keep):
        n = tape.nodes[i]
        what = n.op or ("const" if n.const else "leaf")
        fields = [_dot_escape(f"#{i} {n.label} ({what})".replace("  ", " ")),
                  _dot_escape(f"{e}: data {fmt % eng.data[i]} grad {fmt % eng.grad[i]}"),
                  _dot_escape(f"{r}: data {fmt % ref.data[i]} grad {fmt % ref.grad[i]}")]
        attrs = ", color=red, fontcolor=red, penwidth=2" if i in bad else ""
        lines.append(f'  n{i} [shape=record, label="{{ {" | ".join(fields)} }}"{attrs}];')
        for j in n.inputs:
            if j in keep:
                lines.append(f"  n{j} -> n{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_dots(directory, results):
    """A Graphviz drawing of each failing graph (at most 3 per entry), disagreeing nodes in red with both values."""
    written = []
    for r in results:
        for graph, tape, eng, ref, mismatches in r.failing_tapes[:3]:
            os.makedirs(directory, exist_ok=True)  # only when there is a drawing to write
            path = os.path.join(directory, re.sub(r"[^\w.-]+", "_", graph).strip("_") + ".dot")
            with open(path, "w") as f:
                f.write(tape_dot(graph, tape, eng, ref, mismatches))
            written.append(path)
    return written


def emit(results, seconds, quiet=False, json_path=None, junit_path=None, suite="parity", extra=None,
         engines=(), expectations=None, strict=False, after_failures=None, per_op=True):
    """Print the tables, the disagreements and the summary; write --json/--junit. Returns the exit status."""
    engine = results[0].engine if results else "?"
    reference = results[0].reference if results else "?"
    if not quiet:
        print(table(results))
    if per_op and not quiet:
        print("\nBy op (cases):\n" + count_table(by_op(results), "op"))
        print("\nBy level (cases):\n" + count_table(by_level(results), "level"))
    exp = expected_lines(results, expectations)
    if exp:
        print(f"\nExpected differences ({engine} vs {reference}):\n" + "\n".join(exp))
    bad = failures(results)
    if bad:
        print("\nDisagreements:\n" + bad)
        if after_failures:
            after_failures()
    if strict:
        skipped = [r for r in results if r.count("SKIP")]
        if skipped:
            print(f"\n--strict: {sum(r.count('SKIP') for r in skipped)} skipped case(s) count as failures")
    if json_path:
        write_json(json_path, results, seconds, engines, strict, extra)
    if junit_path:
        write_junit(junit_path, results, suite=suite, engines=engines)
    for line in platform_lines(engines, results):
        print(line)
    print(summary(results, seconds, engine, reference, strict))
    return 0 if run_ok(results, strict) else 1
