"""Backward walks in the wrong order, over a tape: the planted bugs that pins/accumulation_order must catch.

Each takes the tape and every node's data (any engine's; plain floats) and returns every node's gradient,
exactly as a port with that bug would. The right order is parity.spec_eval.backward (docs/SPEC.md,
section 3): decreasing creation order, a's share before b's, the first contribution taken as is.
"""

from collections import deque

from micrograd_ref.ops import OPS

from parity import spec_eval
from parity.formulas import ENGINE, compiled


def _shares(tape, i, g, data):
    n = tape.nodes[i]
    return compiled(OPS[n.op], ENGINE)[1](g, data[i], *(data[j] for j in n.inputs), *n.params)


def _add(received, j, share):
    u = received[j]
    received[j] = share if u is None else u + share


def _reached(tape):
    seen, stack = {tape.output}, [tape.output]
    while stack:
        for j in tape.nodes[stack.pop()].inputs:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _consumers(tape, reached):
    count = [0] * len(tape.nodes)
    for i in reached:
        for j in tape.nodes[i].inputs:
            count[j] += 1
    return count


def _out(received):
    return [0.0 if g is None else g for g in received]


def _walk(tape, data, pop, push_order=(0, 1)):
    """Ready-list walks (consumer counts): pop picks the next ready node."""
    reached = _reached(tape)
    count = _consumers(tape, reached)
    received = [None] * len(tape.nodes)
    received[tape.output] = 1.0
    ready = deque([tape.output])
    while ready:
        i = pop(ready)
        n = tape.nodes[i]
        if n.op is None:
            continue
        shares = _shares(tape, i, received[i], data)
        for k in push_order:
            if k < len(n.inputs):
                j = n.inputs[k]
                _add(received, j, shares[k])
                count[j] -= 1
                if count[j] == 0:
                    ready.append(j)
    return _out(received)


def old_stack(tape, data):
    """The spec before issue 16: a stack of ready nodes, a pushed before b (so b is popped first)."""
    return _walk(tape, data, deque.pop)


def breadth_first(tape, data):
    """A queue of ready nodes instead of a stack."""
    return _walk(tape, data, deque.popleft)


def depth_first(tape, data):
    """micrograd's: a depth-first topological order (inputs in argument order), run in reverse."""
    topo, seen = [], set()
    stack = [(tape.output, False)]
    while stack:
        i, done = stack.pop()
        if done:
            topo.append(i)
            continue
        if i in seen:
            continue
        seen.add(i)
        stack.append((i, True))
        for j in reversed(tape.nodes[i].inputs):
            if j not in seen:
                stack.append((j, False))
    received = [None] * len(tape.nodes)
    received[tape.output] = 1.0
    for i in reversed(topo):
        n = tape.nodes[i]
        if n.op is None:
            continue
        for j, share in zip(n.inputs, _shares(tape, i, received[i], data)):
            _add(received, j, share)
    return _out(received)


def _creation_order(tape, data, b_first=False, from_zero=False, root=None):
    root = tape.output if root is None else root
    reached = _reached(type(tape)(tape.nodes, root))
    received = [None] * len(tape.nodes)
    received[root] = 1.0
    for i in range(root, -1, -1):
        n = tape.nodes[i]
        if n.op is None or i not in reached:
            continue
        pairs = list(zip(n.inputs, _shares(tape, i, received[i], data)))
        for j, share in (reversed(pairs) if b_first else pairs):
            if from_zero:
                received[j] = (0.0 if received[j] is None else received[j]) + share
            else:
                _add(received, j, share)
    return _out(received)


def b_before_a(tape, data):
    """Torch's node order, but each op's b share added before its a share."""
    return _creation_order(tape, data, b_first=True)


def sum_from_zero(tape, data):
    """Torch's order, but every sum started at +0.0 instead of taking the first contribution as is."""
    return _creation_order(tape, data, from_zero=True)


def from_last_node(tape, data):
    """Backpropagates from the tape's last node, ignoring its output."""
    return _creation_order(tape, data, root=len(tape.nodes) - 1)


WRONG = {"old stack": old_stack, "depth-first": depth_first, "breadth-first": breadth_first,
         "b before a": b_before_a, "sum from +0.0": sum_from_zero, "from the last node": from_last_node}


def right(tape, data):
    return spec_eval.backward(tape, data, ENGINE)


def overwrite(tape, data):
    """`=` instead of `+=`: a node keeps only its last contribution."""
    received = [None] * len(tape.nodes)
    received[tape.output] = 1.0
    for i in range(tape.output, -1, -1):
        n = tape.nodes[i]
        if n.op is None or received[i] is None:
            continue
        for j, share in zip(n.inputs, _shares(tape, i, received[i], data)):
            received[j] = share
    return _out(received)


def skip_zero(tape, data):
    """A node whose gradient is zero sends nothing (an 'optimisation' that loses inf * 0 = nan and -0.0)."""
    received = [None] * len(tape.nodes)
    received[tape.output] = 1.0
    for i in range(tape.output, -1, -1):
        n = tape.nodes[i]
        if n.op is None or received[i] is None or received[i] == 0.0:
            continue
        for j, share in zip(n.inputs, _shares(tape, i, received[i], data)):
            _add(received, j, share)
    return _out(received)


def b_pushed_first(tape, data):
    """The old stack walk with b pushed before a."""
    return _walk(tape, data, deque.pop, push_order=(1, 0))


BACKWARD_BUGS = {**WRONG, "= instead of +=": overwrite, "skipping zero gradients": skip_zero,
                 "b pushed first": b_pushed_first}
