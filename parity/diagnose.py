"""Naming the likely culprit of a disagreement: the op whose forward or backward went wrong, backward()
itself (how a node's contributions were summed), or, when a leaf comes back other than it was sent, no op
at all: the engine's encoding of numbers."""

import itertools
import math
import struct
from collections import defaultdict

from micrograd_ref.ops import OPS

from .formulas import ENGINE, compiled
from .spec_eval import aliases

ECHO_WEIGHT = 10 ** 6  # an input not echoed explains everything downstream of it: it ranks before any op
ZERO_SIGN_LOST = "zero sign lost"
ONLY_ZERO_SIGN = "only its zero sign differs"


def diagnose(tape, mismatches, limit=3):
    """Name the op that most likely went wrong, most likely first (lines of text).

    Forward: the first node (in tape order) whose data disagrees while all its
    inputs' data agree computed its forward wrongly. Backward (all data agree): see
    backward_suspects. When no op node is a suspect, the error is in how contributions
    over several paths were summed.
    """
    return [text for _, _, text in culprits(tape, mismatches)[:limit]]


def culprits(tape, mismatches, replays=None):
    """[(op name, weight, text)], most likely first; weight is the number of disagreeing nodes the op explains
    in this graph (Evidence adds weights up over a run's graphs). The op is ACCUMULATION for backward() itself
    and "" when a leaf did not come back as it was sent (no op is blamed: see echo_faults). With replays
    (candidate, reference), a wrong gradient whose consumers all agree is examined share by share."""
    bad_data = {m.node for m in mismatches if m.quantity == "data"}
    bad_grad = {m.node for m in mismatches if m.quantity.startswith("grad")}
    echo = echo_faults(tape, mismatches)
    if echo:
        return [("", ECHO_WEIGHT, echo)]  # "": no op (the encoding of numbers)
    twice = [m for m in mismatches if m.quantity.startswith("grad after")]
    if twice and not bad_data and len(twice) == len(mismatches):
        return [(ACCUMULATION, len(twice), f"gradient accumulation: the gradient is stale, carried over from an earlier "
                                           f"call (a 2nd backward() at node {twice[0].node_name} does not add the "
                                           f"same gradients again)")]
    stray = sorted(i for i in bad_grad - _depended_on(tape) if replays is None or replays[0].grad[i] != 0.0)
    if stray and not bad_data:
        return [(ACCUMULATION, len(bad_grad), f"gradient accumulation: backward() did not start from the output: "
                                              f"node {tape.name_of(stray[0])}, which the output (#{tape.output}) does "
                                              f"not depend on, received a gradient")]
    weak = []
    if replays is not None and not bad_data and bad_grad:
        found, weak = accumulation(tape, bad_grad, *replays)
        if found:
            return found
    for i in sorted(bad_data):
        n = tape.nodes[i]
        if n.op is not None and not (set(n.inputs) & bad_data):
            sign = [m for m in mismatches if m.node == i and m.quantity == "data" and m.value == m.reference == 0.0]
            hint = (f" ({ONLY_ZERO_SIGN}: if the engine writes -0.0 as 0, it is the encoding of numbers, "
                    "SPEC section 7)") if sign else ""
            return [(n.op, len(bad_data), f"forward of '{n.op}' at node {tape.name_of(i)}: "
                                          f"its inputs agree, its output does not{hint}")]
    if bad_data:
        return []
    out = []
    suspects = backward_suspects(tape, bad_grad)
    for s in suspects:
        n = tape.nodes[s.node]
        names = ", ".join(tape.name_of(i) for i in s.wrong_inputs)
        if n.op == "select":  # no backward of its own: the choice went elsewhere
            out.append((n.op, -s.key[0], f"select ({n.by}) at node {tape.name_of(n.id)}: it chose another input "
                                         f"(the gradients of {names} do not agree; SPEC section 2 says which it picks)"))
            continue
        wrong = [m for m in mismatches if m.node in s.wrong_inputs and m.quantity.startswith("grad")]
        sign = wrong and all(m.value == m.reference == 0.0 for m in wrong)
        hint = (f" ({ONLY_ZERO_SIGN}: if the engine writes -0.0 as 0, it is the encoding of numbers, "
                "SPEC section 7)") if sign else ""
        out.append((n.op, -s.key[0], f"backward of '{n.op}' at node {tape.name_of(n.id)}: its grad agrees, "
                                     f"the grad it sends to {names} does not{hint}"))
    if suspects:  # another op with exactly the same evidence: this graph alone cannot tell them apart
        top = suspects[0]
        ties = [t for t in suspects if t.op != top.op and t.key[:2] == top.key[:2]]
        if ties:
            op, w, text = out[0]
            also = ", ".join(dict.fromkeys(f"'{t.op}' at node {tape.name_of(t.node)}" for t in ties))
            out[0] = (op, w, text + f" (this graph cannot tell it from the backward of {also})")
    out += weak  # a share missing or counted twice: the accumulation's, or the op's that sent it (ranked after)
    if not out and bad_grad:
        out.append((ACCUMULATION, len(bad_grad),
                    "gradient accumulation: every op's grad agrees locally, yet sums over several paths do not"))
    return out


ACCUMULATION = "gradient accumulation"


def _depended_on(tape):
    """The nodes the output depends on (itself included): the only ones backward() may send gradient to."""
    seen, stack = {tape.output}, [tape.output]
    while stack:
        for j in tape.nodes[stack.pop()].inputs:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _bits(x):
    return b"nan" if x != x else struct.pack("<d", x)


def accumulation(tape, bad_grad, cand, ref):
    """Wrong gradients of nodes whose consumers all agree (grad and data, theirs and their inputs'): the
    shares are recomputed from the reference's values and the candidate's sum is matched against them.
    Returns (lines, weak lines): summed in another order, started at +0.0, only the last share kept, or
    stale are backward()'s own; a share missing or counted twice may as well be the sending op's."""
    alias = aliases(tape, ref.data)
    consumers = defaultdict(list)  # node -> [(consumer, position)] in the spec's order
    for n in reversed(tape.nodes):
        if n.op is not None and n.op != "select":
            for k, j in enumerate(n.inputs):
                consumers[alias[j]].append((n.id, k))
    agree = lambda i: _bits(cand.grad[i]) == _bits(ref.grad[i]) and _bits(cand.data[i]) == _bits(ref.data[i])
    found, weak = [], []
    for j in sorted(bad_grad):
        if alias[j] != j or not consumers[j]:
            continue
        if not all(agree(c) and all(agree(i) for i in tape.nodes[c].inputs if i != j) for c, _ in consumers[j]):
            continue
        shares = []
        for c, k in consumers[j]:
            n = tape.nodes[c]
            bwd = compiled(OPS[n.op], ENGINE)[1]
            shares.append(bwd(ref.grad[c], ref.data[c], *(ref.data[i] for i in n.inputs), *n.params)[k])
        how, strong = _explain(cand.grad[j], ref.grad[j], shares)
        if how:
            line = (ACCUMULATION, 1 if strong else 0,
                    f"gradient accumulation at node {tape.name_of(j)}: {how} (its {len(shares)} "
                    f"contribution{'s' if len(shares) > 1 else ''} recomputed from agreeing consumers)")
            (found if strong else weak).append(line)
    return [(op, len(found), text) for op, _, text in found], weak


def _sum(xs, first_as_is=True):
    total = None if first_as_is else 0.0
    for x in xs:
        total = x if total is None else total + x
    return 0.0 if total is None else total


def _explain(x, want, shares):
    """(how x came from these shares, whether only backward() can have done it), or ("", False)."""
    bx = _bits(x)
    if _bits(_sum(shares, first_as_is=False)) == bx:
        return "the sum started at +0.0 rather than the first contribution", True
    if len(shares) < 2:
        return "", False  # one contribution: a wrong one is the sending op's
    if _bits(shares[-1]) == bx and _bits(_sum(shares)) != bx:
        return "only the last contribution kept (= instead of +=)", True
    if len(shares) <= 6:
        for perm in itertools.permutations(shares):
            if _bits(_sum(perm)) == bx:
                return "contributions summed in another order", True
    if want == want and x == 2.0 * want and want != 0.0:
        return "the gradient is stale, carried over from an earlier call (twice the right value)", True
    for k in range(len(shares)):
        if _bits(_sum(shares[:k] + shares[k + 1:])) == bx:
            return f"a share is missing (contribution {k + 1} of {len(shares)})", False
        if _bits(_sum(shares + [shares[k]])) == bx:
            return f"a share is counted twice (contribution {k + 1} of {len(shares)})", False
    return "", False


def echo_fault(sent, got):
    """How a leaf's value came back other than it was sent (None when it is the same double)."""
    if sent == got and math.copysign(1.0, sent) == math.copysign(1.0, got) or (sent != sent and got != got):
        return None
    if sent == 0.0 and got == 0.0:
        return (f"{ZERO_SIGN_LOST}: -0.0 must be written with its sign (JavaScript's JSON.stringify(-0) writes 0; "
                "SPEC section 7 says how to write -0.0)")
    if not (math.isfinite(sent) and math.isfinite(got)):
        return ('a special value changed: inf, -inf and nan travel as the strings "inf", "-inf", "nan" both ways '
                "(SPEC section 7)")
    if abs(got - sent) <= 1e-6 * abs(sent):
        return ("rounded on output: write every double with enough digits to round-trip (the shortest "
                "round-trip form, or 17 significant digits; SPEC section 7)")
    return "changed: a leaf's data is its \"value\", as sent (SPEC section 6)"


def echo_faults(tape, mismatches):
    """The text naming leaves whose data came back other than the runner sent them, or "" when all were echoed.

    A leaf's data is the value the runner sent; when an engine answers something else, the fault is in how
    it reads or writes numbers, not in any op, so no op is blamed."""
    found = []
    for m in mismatches:
        node = tape.nodes[m.node]
        if m.quantity != "data" or node.op is not None or node.data is None:
            continue
        for who, got in ((m.engine_name, m.value), (m.reference_name, m.reference)):
            why = echo_fault(node.data, got)
            if why:
                found.append(f"{who} did not echo its inputs: leaf {tape.name_of(m.node)} was sent as {node.data!r} "
                             f"and came back as {got!r}: {why}")
    if not found:
        return ""
    n = len(found) - 1
    more = f" (and {n} more such lea{'ves' if n > 1 else 'f'})" if n else ""
    return f"no op: {found[0]}{more}"


class Evidence:
    """Suspects over every failing graph of a run (an entry's cases, a training's steps), ranked together.

    One graph can be ambiguous (an innocent op that shares an input with the culprit explains
    the same disagreeing nodes); over many graphs the culprit explains the most. Lines are
    ranked by their op's total weight over the graphs seen so far, then in the order seen.
    """

    PER_GRAPH = 3

    def __init__(self):
        self.weight = defaultdict(int)
        self.seen = []  # (op, graph, text), in order

    def add(self, graph, tape, mismatches, replays=None):
        found = culprits(tape, mismatches, replays)
        best = {}
        for op, w, _ in found:
            best[op] = max(best.get(op, 0), w)
        for op, w in best.items():
            self.weight[op] += w
        for op, _, text in found[: self.PER_GRAPH]:
            self.seen.append((op, graph, text))

    def lines(self, limit=5):
        order = sorted(range(len(self.seen)), key=lambda k: (-self.weight[self.seen[k][0]], k))
        out, echoed = [], {}
        signs_lost = any(op == "" and ZERO_SIGN_LOST in text for op, _, text in self.seen)
        for k in order:
            op, graph, text = self.seen[k]
            if signs_lost and ONLY_ZERO_SIGN in text:
                continue  # an output that lost its zero sign, in a run whose leaves lose theirs: the same fault
            if op == "":  # the same encoding fault in many graphs: one line, with the count
                if text in echoed:
                    echoed[text][1] += 1
                    continue
                echoed[text] = [len(out), 0]
            line = f"{graph}: {text}"
            if line not in out:
                out.append(line)
            if len(out) == limit:
                break
        for text, (i, more) in echoed.items():
            if more:
                out[i] += f" (the same in {more} more graph{'s' if more > 1 else ''})"
        return out


class Suspect:
    __slots__ = ("node", "op", "wrong_inputs", "explained", "key")

    def __init__(self, node, op, wrong_inputs, explained):
        self.node, self.op, self.wrong_inputs, self.explained = node, op, wrong_inputs, explained
        self.key = ()

    def __repr__(self):
        return f"Suspect(#{self.node} {self.op}, explains {len(self.explained)}, key={self.key})"


def backward_suspects(tape, bad_grad):
    """Op nodes whose own grad agrees but which send a gradient to an input whose grad does not, ranked.

    A wrong backward shows as a node whose grad agrees while the grad of one of its inputs
    does not; but an innocent op that shares that input is such a node too. A node's
    grad is the sum over its consumers, so every disagreeing grad traces back (through
    disagreeing nodes, along input edges) to a suspect; the culprit op is the one that
    explains the most of them. Ranking, most likely first:

    1. the op (by name) whose suspect nodes together explain the most disagreeing nodes
       (the disagreeing nodes reachable from their wrong inputs through disagreeing nodes);
    2. the op with the larger share of implicated instances: among its nodes whose grad
       agrees and is sent on, the fraction that send a wrong grad (an innocent op mostly
       works, and its working instances exonerate it);
    3. within one op, the node that explains the most, then tape order.
    """
    nodes = tape.nodes
    suspects = []
    for n in nodes:
        if n.op is None or n.id in bad_grad:
            continue
        wrong = list(dict.fromkeys(i for i in n.inputs if i in bad_grad))
        if wrong:
            suspects.append(Suspect(n.id, n.op, wrong, _reach(nodes, wrong, bad_grad)))
    if not suspects:
        return []
    by_op = defaultdict(set)
    implicated = defaultdict(int)
    for s in suspects:
        by_op[s.op] |= s.explained
        implicated[s.op] += 1
    working = defaultdict(int)  # instances of each op whose grad and whose inputs' grads all agree
    for n in nodes:
        if n.op in by_op and n.id not in bad_grad and not (set(n.inputs) & bad_grad):
            working[n.op] += 1
    for s in suspects:
        share = implicated[s.op] / (implicated[s.op] + working[s.op])
        s.key = (-len(by_op[s.op]), -share, s.op, -len(s.explained), s.node)
    suspects.sort(key=lambda s: s.key)
    return suspects


def _reach(nodes, start, bad):
    """The disagreeing nodes reachable from start along input edges through disagreeing nodes."""
    seen, stack = set(start), list(start)
    while stack:
        for i in nodes[stack.pop()].inputs:
            if i in bad and i not in seen:
                seen.add(i)
                stack.append(i)
    return seen
