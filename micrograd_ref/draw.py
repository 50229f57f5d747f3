"""Graph drawings as in the seed notes: a `label | data | grad` record per node, an op node per op.

trace() and to_dot() need nothing outside the standard library; render() uses the
optional `graphviz` package (pip install 'micrograd_ref[draw]') to write SVG/PNG.
"""


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
        if n._op is not None:
            symbol = " ".join([n._op.symbol, *(repr(p) for p in n.params)])
            lines.append(f'  {name[id(n)]}_op [label="{_escape(symbol)}"];')
            lines.append(f"  {name[id(n)]}_op -> {name[id(n)]};")
    for parent, child in edges:
        lines.append(f"  {name[id(parent)]} -> {name[id(child)]}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(root, path, format="svg", **kwargs):
    """Write a drawing of root's graph to path.<format> with the optional graphviz package."""
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ImportError("render() needs the optional graphviz package: pip install 'micrograd_ref[draw]'") from exc
    return graphviz.Source(to_dot(root, **kwargs)).render(path, format=format, cleanup=True)
