"""The spec evaluated on a tape: forward, then backward in torch's order, in any arithmetic.

This is docs/SPEC.md sections 3 and 4 as code, over a Tape (parity/tape.py), with the op table's own
formulas (parity/formulas.py) in a given arithmetic: parity.correctly_rounded for the golden vectors (every
primitive correctly rounded), or an engine's own data for the "own values" oracle of the harness.

Backward order (section 3): nodes run in decreasing order of creation, which on a tape is decreasing
index, and each sends its shares to its inputs, a's before b's; a node's upstream gradient is the sum of
its contributions in the order they arrive, the first taken as is. A select node makes no node: it *is*
its chosen input (its consumers are that input's consumers).
"""

from micrograd_ref.ops import OPS

from .formulas import compiled
from .tape import select_index


def aliases(tape, data):
    """alias[i]: the node whose value node i is: i itself, or for a select node the input it chose on data."""
    alias = list(range(len(tape.nodes)))
    for n in tape.nodes:
        if n.op == "select":
            chosen = n.inputs[select_index(n.by, [data[i] for i in n.inputs], n.params)]
            alias[n.id] = alias[chosen]
    return alias


def forward(tape, arithmetic):
    """Every node's data, the op table's forward formulas evaluated in this arithmetic."""
    data = []
    for n in tape.nodes:
        if n.op is None:
            data.append(n.data)
        elif n.op == "select":
            data.append(data[n.inputs[select_index(n.by, [data[i] for i in n.inputs], n.params)]])
        else:
            fwd, _ = compiled(OPS[n.op], arithmetic)
            data.append(fwd(*(data[i] for i in n.inputs), *n.params))
    return data


def backward(tape, data, arithmetic):
    """Every node's gradient after backward() from tape.output, given every node's data (any engine's)."""
    alias = aliases(tape, data)
    received = [None] * len(tape.nodes)
    received[alias[tape.output]] = 1.0
    backwards = {}
    for i in range(tape.output, -1, -1):
        n = tape.nodes[i]
        g = received[i]
        if g is None or n.op is None or n.op == "select":
            continue
        bwd = backwards.get(n.op)
        if bwd is None:
            bwd = backwards[n.op] = compiled(OPS[n.op], arithmetic)[1]
        shares = bwd(g, data[i], *(data[j] for j in n.inputs), *n.params)
        for j, share in zip(n.inputs, shares):
            t = alias[j]
            u = received[t]
            received[t] = share if u is None else u + share
    return [0.0 if (g := received[alias[i]]) is None else g for i in range(len(tape.nodes))]
