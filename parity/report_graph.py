"""One failing graph of a run, for the HTML page (parity/report_html.py): drawn by Graphviz `dot` as inline SVG,
or as a table of nodes without it. Every node shows its label, op, and the data and grad of both engines (one
value where they agree); the culprit node is marked, disagreeing nodes are coloured by how far off they are
(parity/kinds.py), nodes that agree are plain. A graph of more than CUT_AT nodes is cut to the culprit's
neighbourhood, and the page says how much was cut."""

import html
import re
import subprocess
from collections import defaultdict

from .kinds import INF, KINDS, NAN, OTHER, ULPS, ZERO_SIGN, difference_kind

CUT_AT = 30  # a graph of more nodes is drawn cut to its culprit's neighbourhood ...
RADIUS = 3  # ... its inputs and consumers this many levels out (at most CUT_AT nodes)
DOT_TIMEOUT = 30.0  # seconds for one drawing; a drawing that takes longer is shown as a table
DIAGNOSE_MAX = 500  # the diagnosis is asked for a culprit up to this many mismatches in a graph
NAME_WIDTH = 16  # engine names are cut to this many characters inside drawings
COLOURS = {ZERO_SIGN: "#1565c0", ULPS: "#d98200", NAN: "#8e24aa", INF: "#7b1010", OTHER: "#d32f2f"}


def esc(text):
    """Text for HTML: <, >, & and both quotes escaped (element content and attribute values alike)."""
    return html.escape(str(text), quote=True)


def culprit_node(graph, tape, mismatches, replays=None, suspects=()):
    """The culprit node of a failing graph: the node named by the entry's first suspect line about this graph
    (GraphResult.suspects, "GRAPH: backward of 'mul' at node #4 ..."), else by the diagnosis of this graph
    (parity/diagnose.py; skipped above DIAGNOSE_MAX mismatches, where it takes long), else the first op node whose
    data disagrees while its inputs' agree, else the node nearest the output that sends a wrong gradient to an
    input while its own agrees, else the disagreeing node nearest the output; None without mismatches."""
    found = next((_named(line[len(graph) + 2:], tape) for line in suspects if line.startswith(graph + ": ")), None)
    if found is not None:
        return found
    if len(mismatches) <= DIAGNOSE_MAX:
        try:
            from .diagnose import culprits

            found = next((i for _, _, text in culprits(tape, mismatches, replays)
                          if (i := _named(text, tape)) is not None), None)
        except Exception:  # the diagnosis is a help here, never a reason to lose the page
            found = None
        if found is not None:
            return found
    bad_data = {m.node for m in mismatches if m.quantity.startswith("data")}
    bad_grad = {m.node for m in mismatches if m.quantity.startswith("grad")}
    for i in sorted(bad_data):
        if tape.nodes[i].op is not None and not set(tape.nodes[i].inputs) & bad_data:
            return i
    for node in reversed(tape.nodes):
        if node.id not in bad_grad and set(node.inputs) & bad_grad:
            return node.id
    return max((m.node for m in mismatches), default=None)


def _named(text, tape):
    found = re.search(r"node #(\d+)", text)
    return int(found.group(1)) if found and int(found.group(1)) < len(tape.nodes) else None


def neighbourhood(tape, centre, limit=CUT_AT, radius=RADIUS):
    """The nodes drawn: all of a graph up to limit nodes, else centre and its inputs and consumers up to radius
    levels out (nearest first, at most limit nodes)."""
    n = len(tape.nodes)
    if n <= limit or centre is None:
        return set(range(min(n, limit) if centre is None else n))
    consumers = defaultdict(list)
    for node in tape.nodes:
        for j in node.inputs:
            consumers[j].append(node.id)
    keep, frontier = {centre}, [centre]
    for _ in range(radius):
        nxt = []
        for i in frontier:
            for j in (*tape.nodes[i].inputs, *consumers[i]):
                if j not in keep and len(keep) < limit:
                    keep.add(j)
                    nxt.append(j)
        frontier = nxt
    return keep


def _same(x, y):
    return (x != x and y != y) or (x == y and (x != 0.0 or str(x) == str(y)))


def _node_kind(ms):
    """The kind a node is coloured by: the farthest of its mismatches (kinds.KINDS, mildest first)."""
    return max((difference_kind(m.value, m.reference) for m in ms), key=KINDS.index) if ms else None


def _rows(i, tape, eng, ref, ms, names):
    """A node's lines: (text, kind or None), kind colouring a line that disagrees."""
    node = tape.nodes[i]
    what = node.op or ("const" if node.const else "leaf")
    head = f"#{i} {node.label!r} {what}" if node.label else f"#{i} {what}"
    rows = [(head, None)]
    e, r = (n[:NAME_WIDTH] for n in names)
    for q, mine, theirs in (("data", eng.data[i], ref.data[i]), ("grad", eng.grad[i], ref.grad[i])):
        if _same(mine, theirs):
            rows.append((f"{q} {mine!r}", None))
        else:
            kind = difference_kind(mine, theirs)
            rows += [(f"{q} {e}: {mine!r}", kind), (f"{' ' * len(q)} {r}: {theirs!r}  ({kind})", kind)]
    for m in ms:  # the other oracles' findings (own values, backward twice, finite differences)
        if m.quantity not in ("data", "grad") or m.reference_name != names[1]:
            kind = difference_kind(m.value, m.reference)
            rows.append((f"{m.quantity}: {m.value!r}; {m.reference_name[:40]}: {m.reference!r}", kind))
    return rows


def _dot_source(gid, tape, eng, ref, bad, keep, culprit, names):
    consumers = defaultdict(int)
    for j in sorted(keep):
        for k in tape.nodes[j].inputs:
            if k in keep:
                consumers[k] += 1
    lines = [f'digraph "{gid}" {{', f'  id="{gid}"; rankdir=LR; bgcolor="transparent"; nodesep=0.15; ranksep=0.3;',
             '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=9, margin="0.1,0.04"];',
             '  edge [color="#777777", arrowsize=0.6];']
    for i in sorted(keep):
        rows = _rows(i, tape, eng, ref, bad.get(i, ()), names)
        cut_in = sum(k not in keep for k in tape.nodes[i].inputs)
        if cut_in:
            rows.append((f"({cut_in} input{'s' if cut_in > 1 else ''} not drawn)", None))
        cells = []
        if i == culprit:
            cells.append('<tr><td align="left"><b><font color="#b00020">CULPRIT</font></b></td></tr>')
        for k, (text, kind) in enumerate(rows):
            t = esc(text)
            t = f"<b>{t}</b>" if k == 0 else t
            if kind:
                t = f'<font color="{COLOURS[kind]}">{t}</font>'
            cells.append(f'<tr><td align="left">{t}</td></tr>')
        label = '<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(cells) + "</table>"
        kind = _node_kind(bad.get(i))
        classes = ["culprit"] if i == culprit else []
        attrs = [f'id="{gid}-n{i}"']
        if kind:
            classes.append("differs-" + kind.replace(" ", "-"))
            attrs.append(f'color="{COLOURS[kind]}", penwidth=2')
        if i == culprit:
            attrs.append('peripheries=2, penwidth=3, style="rounded,filled", fillcolor="#fff4c2"')
            if not kind:
                attrs.append('color="#b00020"')
        if classes:
            attrs.append(f'class="{" ".join(classes)}"')
        lines.append(f"  n{i} [{', '.join(attrs)}, label=<{label}>];")
    for i in sorted(keep):
        for k in tape.nodes[i].inputs:
            if k in keep:
                lines.append(f"  n{k} -> n{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _svg(dot, source):
    """Inline SVG from dot, or (None, why)."""
    try:
        out = subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True, timeout=DOT_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"dot failed ({exc})"
    if out.returncode != 0:
        return None, f"dot failed: {out.stderr.decode(errors='replace').strip()[:200]}"
    svg = out.stdout.decode("utf-8", errors="replace")
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r"<title>.*?</title>\s*", "", svg, flags=re.S)
    return svg, ""


def _node_table(tape, eng, ref, bad, keep, culprit, names):
    e, r = (esc(n) for n in names)
    head = (f"<tr><th>node</th><th>label</th><th>op</th><th>inputs</th><th>{e} data</th><th>{r} data</th>"
            f"<th>{e} grad</th><th>{r} grad</th><th>differs</th></tr>")
    rows = [head]
    for i in sorted(keep):
        node = tape.nodes[i]
        ms = bad.get(i, ())
        kind = _node_kind(ms)
        cls = " ".join(c for c in ("culprit" if i == culprit else "", f"differs-{kind.replace(' ', '-')}" if kind
                                   else "") if c)
        style = f' style="color:{COLOURS[kind]}"' if kind else ""
        what = node.op or ("const" if node.const else "leaf")
        how = "; ".join(f"{m.quantity} vs {m.reference_name}: {difference_kind(m.value, m.reference)}" for m in ms)
        mark = "◆ CULPRIT " if i == culprit else ""
        rows.append(f'<tr class="{cls}"{style}><td>{mark}#{i}</td><td>{esc(node.label)}</td><td>{esc(what)}</td>'
                    f"<td>{' '.join(f'#{k}' for k in node.inputs)}</td><td>{esc(repr(eng.data[i]))}</td>"
                    f"<td>{esc(repr(ref.data[i]))}</td><td>{esc(repr(eng.grad[i]))}</td>"
                    f"<td>{esc(repr(ref.grad[i]))}</td><td>{esc(how)}</td></tr>")
    return '<table class="nodes">' + "".join(rows) + "</table>"


def drawing(did, graph, tape, eng, ref, mismatches, names, dot, suspects=()):
    """(html of one failing graph: its drawing or table of nodes and what was cut, a one-line summary); suspects:
    the entry's culprit lines (GraphResult.suspects)."""
    bad = defaultdict(list)
    for m in mismatches:
        bad[m.node].append(m)
    culprit = culprit_node(graph, tape, mismatches, (eng, ref), suspects)
    keep = neighbourhood(tape, culprit if culprit is not None else min(bad, default=None))
    n = len(tape.nodes)
    cut = n - len(keep)
    parts = []
    if cut:
        hidden = sum(i not in keep for i in bad)
        parts.append(f'<p class="cut">{len(keep)} of {n} nodes drawn: the culprit\'s neighbourhood (its inputs and '
                     f"consumers up to {RADIUS} levels out, at most {CUT_AT} nodes); {cut} nodes cut"
                     f"{f', {hidden} of them disagreeing' if hidden else ''}.</p>")
    if culprit is None:
        parts.append('<p class="note">No culprit node could be named for this graph.</p>')
    body = None
    if dot:
        body, why = _svg(dot, _dot_source(did + "-svg", tape, eng, ref, bad, keep, culprit, names))
        if body is None:
            parts.append(f'<p class="note">{esc(why)}; the graph is shown as a table of nodes.</p>')
        else:
            body = f'<div class="svgbox">{body}</div>'
    if body is None:
        body = _node_table(tape, eng, ref, bad, keep, culprit, names)
    summary = f"{n} nodes" + (f", {cut} cut" if cut else "") + f", {len(bad)} disagreeing"
    return "".join(parts) + body, summary


