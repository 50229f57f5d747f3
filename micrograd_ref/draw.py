"""Graph drawings as in the seed notes: a `label | data | grad` record per node, an op node per op.

trace() and to_dot() need nothing outside the standard library; render() runs the
Graphviz program `dot` (apt-get install graphviz, brew install graphviz, or
https://graphviz.org/download/) to write SVG/PNG/PDF.
"""

import os
import shutil
import subprocess


def trace(root):
    """All nodes root depends on (root first, depth-first) and the (input, output) edges.

    Iterative and deterministic: the order follows each node's input order only.
    """
    nodes, edges, seen = [], [], {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for parent in node._prev:
            edges.append((parent, node))
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return nodes, edges


def _escape(text):
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def to_dot(root, rankdir="LR", number_format="%.4f", highlight=None):
    """Graphviz DOT text for the graph of root.

    highlight: optional {node: note} to draw those nodes in red with the note
    (the parity harness uses it to mark disagreeing nodes with both values).
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    highlight = highlight or {}
    nodes, edges = trace(root)
    name = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    lines = ["digraph G {", f"  rankdir={rankdir};"]
    for n in nodes:
        fields = [_escape(n.label), "data " + number_format % n.data, "grad " + number_format % n.grad]
        attrs = ""
        if n in highlight:
            fields.append(_escape(highlight[n]))
            attrs = ', color=red, fontcolor=red, penwidth=2'
        lines.append(f'  {name[id(n)]} [shape=record, label="{{ {" | ".join(fields)} }}"{attrs}];')
        if n._op:
            lines.append(f'  {name[id(n)]}_op [label="{_escape(n._op)}"];')
            lines.append(f"  {name[id(n)]}_op -> {name[id(n)]};")
    for parent, child in edges:
        lines.append(f"  {name[id(parent)]} -> {name[id(child)]}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


DOT_MISSING = (
    "render() needs the Graphviz program 'dot', which is not installed (not on PATH): "
    "apt-get install graphviz, brew install graphviz, or see https://graphviz.org/download/"
)


def render(root, path, format="svg", **kwargs):
    """Write a drawing of root's graph (svg, png, pdf...) with Graphviz's `dot` program; returns the file name:
    path itself when it already ends with ".<format>" (render(root, "g.png", format="png") writes g.png),
    else path + ".<format>" (render(root, "g") writes g.svg). Nothing is written when `dot` is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(DOT_MISSING)
    out = os.fspath(path)
    if not out.lower().endswith(f".{format}".lower()):
        out = f"{out}.{format}"
    r = subprocess.run([dot, f"-T{format}", "-o", out], input=to_dot(root, **kwargs), capture_output=True, text=True)
    if r.returncode != 0:
        if os.path.exists(out):
            os.remove(out)
        detail = " ".join(r.stderr.split())
        raise RuntimeError(f"render(): Graphviz's dot failed on format {format!r}: {detail}")
    return out
