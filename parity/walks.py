"""Backward walks over a tape, the spec's and the usual wrong ones, for naming how a backward() went wrong.

Given every node's data (an engine's own), each walk returns every node's gradient exactly as an engine
with that walk would. The diagnosis (parity/diagnose.py) replays them on a failing graph: a walk that gives
the candidate's gradients bit for bit names its fault. Two families:

- summation orders (``ORDERS``): every node's gradient is complete before it sends, and its contributions are
  summed in some order (the spec's: decreasing creation order of the consumers, a's share before b's, the
  first taken as is; docs/SPEC.md section 3). These differ from the spec by rounding only.
- faults of the walk (``FAULTS``): a node sends before its gradient is complete, sends from outside the
  output's graph, a sum that starts at +0.0, ``=`` instead of ``+=``, leaves never given their gradient...
"""

from collections import defaultdict, deque

from micrograd_ref.ops import OPS

from .formulas import ENGINE, compiled
from .spec_eval import aliases


class Walker:
    """One tape and every node's data: the consumers of each node, and the shares a consumer sends for a given
    gradient (the op table's backward, in IEEE arithmetic)."""

    def __init__(self, tape, data):
        self.tape, self.data = tape, data
        self.n = len(tape.nodes)
        self.alias = aliases(tape, data)
        self.root = self.alias[tape.output]
        self.reached = self._reached(tape.output)
        self.consumers = defaultdict(list)  # canonical node -> [(consumer, position)], any order
        for node in tape.nodes:
            if node.op is not None and node.op != "select":
                for k, j in enumerate(node.inputs):
                    self.consumers[self.alias[j]].append((node.id, k))
        self._bwd = {}

    def _reached(self, start):
        seen, stack = {start, self.alias[start]}, [start]
        while stack:
            for j in self.tape.nodes[stack.pop()].inputs:
                if j not in seen:
                    seen.add(j)
                    seen.add(self.alias[j])
                    stack.append(j)
        return seen

    def is_op(self, i):
        op = self.tape.nodes[i].op
        return op is not None and op != "select"

    def shares(self, c, g):
        node = self.tape.nodes[c]
        bwd = self._bwd.get(node.op)
        if bwd is None:
            bwd = self._bwd[node.op] = compiled(OPS[node.op], ENGINE)[1]
        return bwd(g, self.data[c], *(self.data[i] for i in node.inputs), *node.params)

    def result(self, received):
        return [0.0 if (g := received[self.alias[i]]) is None else g for i in range(self.n)]

    # -- walks that send a node's gradient when it is complete ------------------------------------------
    def pull(self, key, combine=None):
        """Each node's gradient, the shares of its consumers that the output depends on folded in the order
        `key((consumer, position))`, the first as is unless `combine` says otherwise."""
        combine = combine or _add
        received = [None] * self.n
        received[self.root] = 1.0
        for j in range(self.tape.output, -1, -1):
            if self.alias[j] != j:
                continue
            for c, k in sorted((ck for ck in self.consumers[j] if ck[0] in self.reached), key=key):
                g = received[c]
                if g is None:
                    continue
                received[j] = combine(received[j], self.shares(c, g)[k])
        return self.result(received)

    def topological(self, pop, inputs=lambda node: node.inputs):
        """The position of each op node in a ready-list walk (consumer counts) from the output."""
        count = defaultdict(int)
        for i in self.reached:
            if self.is_op(i):
                for j in self.tape.nodes[i].inputs:
                    count[self.alias[j]] += 1
        ready, pos = deque([self.root]), {}
        while ready:
            i = pop(ready)
            pos[i] = len(pos)
            if not self.is_op(i):
                continue
            for j in inputs(self.tape.nodes[i]):
                t = self.alias[j]
                count[t] -= 1
                if count[t] == 0:
                    ready.append(t)
        return pos

    def depth_first(self, order_inputs):
        """The position of each node in reversed depth-first post-order (micrograd's build_topo), inputs
        visited in order_inputs(node)'s order."""
        topo, seen = [], set()
        stack = [(self.root, False)]
        while stack:
            i, done = stack.pop()
            if done:
                topo.append(i)
                continue
            if i in seen:
                continue
            seen.add(i)
            stack.append((i, True))
            for j in reversed(order_inputs(self.tape.nodes[i])):
                t = self.alias[j]
                if t not in seen:
                    stack.append((t, False))
        return {i: p for p, i in enumerate(reversed(topo))}

    # -- walks that send whatever a node holds when it is visited -------------------------------------
    def push(self, order, init=None, outside=None, idle=None):
        """Nodes visited in `order`, each sending what it holds then (gradients start at `init`; those of nodes
        the output does not depend on at `outside`)."""
        received = [init if i in self.reached else outside for i in range(self.n)]
        received[self.root] = 1.0
        pending = defaultdict(int)  # shares a node has yet to receive from the consumers the output depends on
        for i in self.reached:
            if self.is_op(i):
                for j in self.tape.nodes[i].inputs:
                    pending[self.alias[j]] += 1
        self.premature = False  # whether a node sent before all its consumers had sent to it
        for i in order:
            g = received[i]
            if g is None:
                g = idle
            if g is None or not self.is_op(i):
                continue
            self.premature = self.premature or pending[i] > 0
            for j, s in zip(self.tape.nodes[i].inputs, self.shares(i, g)):
                t = self.alias[j]
                received[t] = _add(received[t], s)
                if i in self.reached:
                    pending[t] -= 1
        return self.result(received)

    def breadth_first_once(self, init=None, idle=None):
        """A queue from the output, each node visited once when it comes up, sending what it holds then."""
        order, seen, queue = [], {self.root}, deque([self.root])
        while queue:
            i = queue.popleft()
            order.append(i)
            if self.is_op(i):
                for j in self.tape.nodes[i].inputs:
                    t = self.alias[j]
                    if t not in seen:
                        seen.add(t)
                        queue.append(t)
        return self.push(order, init, idle=idle)


def _add(u, s):
    return s if u is None else u + s


def _from_zero(u, s):
    return (0.0 if u is None else u) + s


def _restart_at_zero(u, s):
    return s if u is None or u == 0.0 else u + s


def _keep_last(u, s):
    return s


TORCH = lambda ck: (-ck[0], ck[1])  # the spec's order: decreasing creation order, a's share before b's


def _by_position(pos, b_first=False):
    return lambda ck: (pos.get(ck[0], len(pos)), -ck[1] if b_first else ck[1])


def _orders(w):
    """(name, gradients) of the usual summation orders, most common first."""
    yield "in creation order (the oldest consumer's share first)", w.pull(lambda ck: ck)
    yield "in reverse creation order, each op's b share before its a share", w.pull(lambda ck: (-ck[0], -ck[1]))
    yield ("in the depth-first post-order of the walk (a topological sort by depth-first search, as micrograd's "
           "build_topo)"), w.pull(_by_position(w.depth_first(lambda node: node.inputs)))
    yield ("in the depth-first post-order of the walk, inputs visited in creation order"),\
        w.pull(_by_position(w.depth_first(lambda node: sorted(node.inputs))))
    yield "in the order of a breadth-first walk (a queue of ready nodes)", w.pull(_by_position(w.topological(deque.popleft)))
    yield "in the order of a stack of ready nodes", w.pull(_by_position(w.topological(deque.pop)))
    yield "in the order of a stack of ready nodes, b pushed first", \
        w.pull(_by_position(w.topological(deque.pop, lambda node: node.inputs[::-1])))


SHORT = {  # each fault in a few words, for naming the others a graph cannot tell it from
    "start": "the sum started at +0.0",
    "last": "only the last contribution kept (= instead of +=)",
    "restart": "the sum restarted at a zero",
    "added": "a node's .grad is its upstream sum added to +0.0",
    "leaves": "leaves did not receive a gradient",
    "skip": "a node whose gradient is zero sent nothing",
    "early": "nodes processed in increasing creation order",
    "once": "a node sent its gradient before all its consumers had sent theirs",
    "outside": "a node outside the output's graph sent gradient",
}


def _faults(w):
    """(key, description, gradients) of the usual faults of a backward walk, the likelier first where two give
    the same gradients."""
    right = w.pull(TORCH)
    yield "start", "the sum started at +0.0 rather than the first contribution taken as is", w.pull(TORCH, _from_zero)
    yield "last", "only the last contribution kept (= instead of +=)", w.pull(TORCH, _keep_last)
    yield "restart", ("the sum restarted at a zero partial sum: when the running sum was 0, the next contribution "
                      "replaced it (a zero's sign)"), w.pull(TORCH, _restart_at_zero)
    yield "added", ("a node's .grad is its upstream sum added to +0.0 (what it sent on is right): the reported .grad "
                    "was added to a zero value rather than set"), [0.0 + g for g in right]
    yield "leaves", "leaves did not receive a gradient (every op node's agrees)", \
        [0.0 if w.tape.nodes[i].op is None else g for i, g in enumerate(right)]
    yield "skip", "a node whose gradient is zero sent nothing", _skip_zero(w)
    increasing = [i for i in range(w.tape.output + 1) if i in w.reached]
    early = "nodes processed in increasing creation order (each sent its gradient before its consumers had sent theirs)"
    for init, idle in ((None, None), (None, 0.0), (0.0, None)):
        got = w.push(increasing, init, idle=idle)
        if w.premature:  # else it is only another order
            yield "early", early, got
    once = ("a node sent its gradient before all its consumers had sent theirs (a breadth-first walk that visits "
            "each node once, with the gradient it holds then)")
    for init, idle in ((None, None), (None, 0.0), (0.0, None)):
        got = w.breadth_first_once(init, idle)
        if w.premature:
            yield "once", once, got
    outside = ("a node outside the output's graph sent gradient (the walk must start from the output and visit only "
               "what it depends on)")
    for start in (w.n - 1, w.tape.output):
        for init, idle in ((None, 0.0), (0.0, None)):
            yield "outside", outside, w.push(range(start, -1, -1), init, 0.0, idle)


def _skip_zero(w):
    received = [None] * w.n
    received[w.root] = 1.0
    for i in range(w.tape.output, -1, -1):
        g = received[i]
        if g is None or g == 0.0 or not w.is_op(i):
            continue
        for j, s in zip(w.tape.nodes[i].inputs, w.shares(i, g)):
            t = w.alias[j]
            received[t] = _add(received[t], s)
    return w.result(received)


def named_walks(tape, data, grads, same):
    """[(key, description)] of the walks that give `grads` (same(a, b) compares two gradients) where the spec's walk
    does not: the summation orders that do (one entry, key "order": the most common first, naming the others
    this graph cannot tell from it), else every fault that does (one per key)."""
    w = Walker(tape, data)
    if all(same(a, b) for a, b in zip(grads, w.pull(TORCH))):
        return []
    orders = [text for text, got in _orders(w) if all(same(a, b) for a, b in zip(grads, got))]
    if orders:
        alike = f" (or {'; or '.join(orders[1:])}: this graph cannot tell them apart)" if orders[1:] else ""
        return [("order", orders[0] + alike)]
    found = {}
    for key, text, got in _faults(w):
        if key not in found and all(same(a, b) for a, b in zip(grads, got)):
            found[key] = text
    return list(found.items())


def orders_of(tape, data):
    """[(name, key)] of the usual summation orders, as key functions over (consumer, position)."""
    w = Walker(tape, data)
    return w, [
        ("in creation order (the oldest consumer's share first)", lambda ck: ck),
        ("in reverse creation order, each op's b share before its a share", lambda ck: (-ck[0], -ck[1])),
        ("in the depth-first post-order of the walk (a topological sort by depth-first search, as micrograd's "
         "build_topo)", _by_position(w.depth_first(lambda node: node.inputs))),
        ("in the depth-first post-order of the walk, inputs visited in creation order",
         _by_position(w.depth_first(lambda node: sorted(node.inputs)))),
    ]
