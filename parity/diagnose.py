"""Naming the likely culprit of a disagreement, the real cause first. Each line reads
`ENTRY [case]: KIND at node #N (...): detail`, KIND one of:

- `forward of 'OP'`, `backward of 'OP'`: the op whose forward or backward went wrong;
- `gradient accumulation`: backward() itself, the detail says how: the walk is replayed in its usual ways,
  right and wrong (parity/walks.py), and each wrong gradient recomputed share by share from its consumers'
  own values (summed in another order and which, started at +0.0, `=` instead of `+=`, a share missing,
  a node that sent too early, from outside the output's graph, leaves given nothing, stale, ...);
- `the encoding of numbers` (line-protocol ports only): a leaf came back other than it was sent;
- `the engine`: its storage or output of numbers (float32, a saturating integer conversion, no gradient kept
  on op nodes), or an in-process engine that changed a leaf.

Nothing here names an engine: what may be hinted depends only on the candidate's route (Engine.route)."""

import itertools
import math
import struct
from collections import defaultdict

from .compare import same_bits
from .spec_eval import aliases
from .walks import SHORT, TORCH, named_walks, orders_of

ECHO_WEIGHT = 10 ** 6  # an input not echoed explains everything downstream of it: it ranks before any op
ZERO_SIGN_LOST = "zero sign lost"
ONLY_ZERO_SIGN = "only its zero sign differs"
IN_PROCESS, LINE_PROTOCOL = "in-process", "line protocol"  # how the candidate is reached (Engine.route)
ACCUMULATION = "gradient accumulation"
ORDER_TEXT = "contributions summed in another order"  # the words of every culprit line naming the order
ORDER_KEY = ACCUMULATION + "/order"  # Evidence's key of a sum in another order (a fault of the walk: ACCUMULATION/...)
STRUCTURAL = {f"{ACCUMULATION}/{k}" for k in ("early", "once", "outside", "leaves", "skip")}  # faults of the walk's path
ENGINE_KIND = "the engine"  # its storage or output of numbers: no op, no walk
DEEP_NODES = 20000  # graphs up to this size have their walk replayed in its usual wrong ways
DEEP_BUDGET = 200000  # ... and up to this many nodes in all per entry (Evidence), so a failing run stays quick


def _sign_hint(route):
    if route != LINE_PROTOCOL:
        return f" ({ONLY_ZERO_SIGN})"
    return (f" ({ONLY_ZERO_SIGN}: if the port writes -0.0 as 0, it is its encoding of numbers, SPEC section 7)")


def diagnose(tape, mismatches, limit=3):
    """Name the op that most likely went wrong, most likely first (lines of text).

    Forward: the first node (in tape order) whose data disagrees while all its
    inputs' data agree computed its forward wrongly. Backward (all data agree): see
    backward_suspects. When no op node is a suspect, the error is in how contributions
    over several paths were summed.
    """
    return list(dict.fromkeys(text for _, _, text in culprits(tape, mismatches)))[:limit]


def culprits(tape, mismatches, replays=None, route=IN_PROCESS, deep=True):
    """See _culprits (deep: whether the walk may be replayed in its usual wrong ways). Over the line protocol, where every disagreement is a +0.0 for a -0.0, each line says that
    the port's encoding may be why (and Evidence drops them in a run whose leaves lose their zero signs)."""
    found = _culprits(tape, mismatches, replays, route, deep)
    if route == LINE_PROTOCOL and mismatches and all(
            m.value == m.reference == 0.0 and math.copysign(1.0, m.value) > 0 for m in mismatches):
        hint = _sign_hint(route)
        found = [(op, w, text if ONLY_ZERO_SIGN in text or op in ("", ENGINE_KIND) else text + hint)
                 for op, w, text in found]
    return found


def select_faults(tape, bad_grad, cand, ref):
    """A select node whose gradient is none of its inputs' gradients in the candidate: the engine keeps it as a
    node of its own (its gradient only what its consumers sent it), where the spec's select is the input it
    chose, the same node, with that input's whole gradient (SPEC section 2)."""
    for i in sorted(bad_grad):
        n = tape.nodes[i]
        if n.op == "select" and not any(same_bits(cand.grad[i], cand.grad[j]) for j in n.inputs):
            chosen = aliases(tape, ref.data)[i]
            return [("select", len(bad_grad),
                     f"select ({n.by}) at node {tape.name_of(i)}: its grad, {cand.grad[i]!r}, is not the grad of the "
                     f"input it chose, {tape.name_of(chosen)} ({ref.grad[chosen]!r}): a select node is the input it "
                     f"chose, not a node of its own, and its grad is that input's whole gradient (SPEC section 2)")]
    return []


def _culprits(tape, mismatches, replays=None, route=IN_PROCESS, deep=True):
    """[(op name, weight, text)], most likely first; weight is the number of disagreeing nodes the op explains
    in this graph (Evidence adds weights up over a run's graphs). The op is ACCUMULATION for backward() itself,
    ENGINE_KIND for the engine's storage or output of numbers, and "" when a leaf did not come back as it was sent
    over the line protocol (no op is blamed: see echo_faults). With replays (candidate, reference), the walk
    is replayed in its usual wrong ways and every wrong gradient is examined share by share. route is how
    the candidate is reached (Engine.route): hints about writing numbers are for LINE_PROTOCOL only."""
    bad_data = {m.node for m in mismatches if m.quantity == "data"}
    bad_grad = {m.node for m in mismatches if m.quantity.startswith("grad")}
    fault = engine_faults(tape, mismatches, replays)
    if fault:
        return [(ENGINE_KIND, ECHO_WEIGHT, fault)]
    echo = echo_faults(tape, mismatches, route)
    if echo:
        return [("" if route == LINE_PROTOCOL else ENGINE_KIND, ECHO_WEIGHT, echo)]
    twice = [m for m in mismatches if m.quantity.startswith("grad after")]
    if twice and not bad_data and len(twice) == len(mismatches):
        return [(f"{ACCUMULATION}/stale", len(twice), f"gradient accumulation at node {twice[0].node_name}: the gradient is "
                                           f"stale, carried over from an earlier call (a 2nd backward() does not "
                                           f"add the same gradients again)")]
    stray = sorted(i for i in bad_grad - _depended_on(tape) if replays is None or replays[0].grad[i] != 0.0)
    if stray and not bad_data:
        return [(f"{ACCUMULATION}/outside", len(bad_grad), f"gradient accumulation at node {tape.name_of(stray[0])}: a node "
                                              f"outside the output's graph received a gradient (backward() did not "
                                              f"start from the output, #{tape.output}, which does not depend on it)")]
    own = select_faults(tape, bad_grad, *replays) if replays is not None and not bad_data else []
    if own:
        return own
    if replays is not None and not bad_data and bad_grad:
        walk = _tie_with_op(tape, bad_grad, walk_faults(tape, bad_grad, *replays) if deep else [])
        if walk:
            return walk
    weak = []
    if replays is not None and not bad_data and bad_grad:
        found, weak = accumulation(tape, bad_grad, *replays)
        if found:
            return _tie_with_op(tape, bad_grad, found)
    for i in sorted(bad_data):
        n = tape.nodes[i]
        if n.op is not None and not (set(n.inputs) & bad_data):
            sign = [m for m in mismatches if m.node == i and m.quantity == "data" and m.value == m.reference == 0.0]
            hint = _sign_hint(route) if sign else ""
            return [(n.op, len(bad_data), f"forward of '{n.op}' at node {tape.name_of(i)}: "
                                          f"its inputs agree, its output does not{hint}")]
    if bad_data:
        return []
    out = []
    suspects = backward_suspects(tape, bad_grad)
    grad_misses = defaultdict(list)  # node -> its gradient mismatches (one pass: graphs can have thousands)
    for m in mismatches:
        if m.quantity.startswith("grad"):
            grad_misses[m.node].append(m)
    for s in suspects:
        n = tape.nodes[s.node]
        names = ", ".join(tape.name_of(i) for i in s.wrong_inputs)
        if n.op == "select":  # no backward of its own: the choice went elsewhere
            out.append((n.op, -s.key[0], f"select ({n.by}) at node {tape.name_of(n.id)}: it chose another input "
                                         f"(the gradients of {names} do not agree; SPEC section 2 says which it picks)"))
            continue
        wrong = [m for i in s.wrong_inputs for m in grad_misses.get(i, ())]
        sign = wrong and all(m.value == m.reference == 0.0 for m in wrong)
        hint = _sign_hint(route) if sign else ""
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
        out.append((f"{ACCUMULATION}/paths", len(bad_grad),
                    f"gradient accumulation at node {tape.name_of(max(bad_grad))}: every op's grad agrees locally, "
                    f"yet sums over several paths do not"))
    return out


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


def _tie_with_op(tape, bad_grad, lines):
    """Faults of backward() found in a graph where one op's backward explains every wrong gradient as well (a
    small graph: a leaf given 0 by a walk that sent too early, or by an op that drops its share): each line
    names that op too, and the op's own line follows, ranked just after."""
    if not lines or lines[0][0] == ORDER_KEY:
        return lines
    top = backward_suspects(tape, bad_grad)[:1]
    if not top or top[0].op == "select" or -top[0].key[0] != len(bad_grad):
        return lines
    s = top[0]
    tie = f" (this graph cannot tell it from the backward of '{s.op}' at node {tape.name_of(s.node)})"
    return [(op, w, text + tie) for op, w, text in lines] + [
        (s.op, len(bad_grad) - 0.5, f"backward of '{s.op}' at node {tape.name_of(s.node)}: its grad agrees, the grad "
                                    f"it sends to {tape.name_of(s.wrong_inputs[0])} does not")]


def walk_faults(tape, bad_grad, cand, ref):
    """[(ACCUMULATION/key, weight, text)] of the usual walks, right or wrong (parity/walks.py), that replayed on
    the candidate's own data give its every gradient bit for bit (several where this graph cannot tell them
    apart: over a run's graphs, Evidence ranks the one that explains the most first)."""
    if len(tape.nodes) > DEEP_NODES:
        return []
    out = []
    for key, text in named_walks(tape, cand.data, cand.grad, same_bits):
        leaves = sorted(i for i in bad_grad if tape.nodes[i].op is None)
        node = leaves[0] if key == "leaves" and leaves else max(bad_grad)
        if key == "order":
            text = (f"{ORDER_TEXT}: {text} gives the engine's every gradient bit for bit "
                    f"(every share agrees; the sums differ by rounding only; torch sums in decreasing creation "
                    f"order, a's share before b's: SPEC section 3)")
        out.append((f"{ACCUMULATION}/{key}", len(bad_grad), f"gradient accumulation at node {tape.name_of(node)}: {text}"))
    if len(out) > 1:  # the same gradients from several faults: the line names the others this graph allows
        op, w, text = out[0]
        others = "; ".join(SHORT[o.split("/", 1)[1]] for o, _, _ in out[1:])
        text = f"{text} (this graph cannot tell it from: {others})"
        out = [(o, w, text) for o, w, _ in out]  # one line, under each fault's key
    return out


def accumulation(tape, bad_grad, cand, ref):
    """Every wrong gradient examined share by share, on the candidate's own values: each contribution it should
    have received is recomputed from its consumers' own gradients and data, and its sum matched against them.
    A node whose gradient is the spec's sum of those shares is wrong only by what it received. Returns (lines,
    weak lines): summed in another order (every share agrees, the sums differ by rounding only), started at
    +0.0, restarted at a zero, only the last share kept, a zero share not sent, or stale are backward()'s own;
    a nonzero share missing or counted twice may as well be the sending op's, and an order explaining only some
    of the wrong sums ranks after the ops (weak)."""
    w, orders = orders_of(tape, cand.data)
    explained, unexplained = {}, []  # node -> (kind, how, strong)
    order_names = None  # the usual orders that reproduce every wrong sum so far
    for j in sorted(bad_grad, reverse=True):
        if w.alias[j] != j or j not in w.reached or j == w.root:
            continue
        cons = sorted((ck for ck in w.consumers[j] if ck[0] in w.reached), key=TORCH)
        if not cons:
            continue
        try:
            shares = [w.shares(c, cand.grad[c])[k] for c, k in cons]
        except (ArithmeticError, ValueError):
            unexplained.append(j)
            continue
        x = cand.grad[j]
        if _bits(_sum(shares)) == _bits(x):
            continue  # its sum is right: wrong only by what it received
        early = [w.shares(c, 0.0)[k] for c, k in cons]  # had each consumer sent before it had its gradient
        if list(map(_bits, early)) != list(map(_bits, shares)) and _bits(x) in (_bits(_sum(early)),
                                                                               _bits(_sum(early, False))):
            kind, how, strong = "once", ("a node sent its gradient before all its consumers had sent theirs (the "
                                         "shares it received were computed from a zero gradient)"), True
        else:
            kind, how, strong = _explain(x, ref.grad[j], shares, [tape.nodes[c] for c, _ in cons])
        if kind == "order":
            names = {name for name, key in orders
                     if _bits(_sum([w.shares(c, cand.grad[c])[k] for c, k in sorted(cons, key=key)])) == _bits(x)}
            order_names = names if order_names is None else order_names & names
        if kind:
            explained[j] = (kind, how, strong)
        else:
            unexplained.append(j)
    if not explained:
        return [], []
    orders_only = all(k == "order" for k, _, _ in explained.values())
    found, weak = [], []
    if any(k == "order" for k, _, _ in explained.values()):
        n = sum(k == "order" for k, _, _ in explained.values())
        at = max(j for j, (k, _, _) in explained.items() if k == "order")
        name = next((o for o, _ in orders if o in (order_names or ())), None)
        which = (f"{name} reproduces every such sum" if name else
                 "no usual order (creation order, reverse creation order, the depth-first post-order of the walk) "
                 "reproduces every such sum: another order")
        text = (f"gradient accumulation at node {tape.name_of(at)}: {ORDER_TEXT}: every "
                f"share agrees, the sums differ by rounding only ({n} sum{'s' if n > 1 else ''}); {which} (torch "
                f"sums in decreasing creation order, a's share before b's: SPEC section 3)")
        line = (f"{ACCUMULATION}/order", len(bad_grad) if orders_only else n, text)
        (weak if unexplained else found).append(line)
    seen = set()
    for j in sorted(explained, reverse=True):
        kind, how, strong = explained[j]
        if kind in seen or kind == "order":
            continue
        seen.add(kind)
        n = sum(k == kind for k, _, _ in explained.values())
        more = f"; the same at {n - 1} more node{'s' if n > 2 else ''}" if n > 1 else ""
        line = (f"{ACCUMULATION}/{kind}", n if strong else 0,
                f"gradient accumulation at node {tape.name_of(j)}: {how} (its contributions recomputed from its "
                f"consumers' own values{more})")
        (found if strong else weak).append(line)
    found.sort(key=lambda line: -line[1])
    return found, weak


def _sum(xs, first_as_is=True, combine=None):
    total = None if first_as_is else 0.0
    for x in xs:
        total = x if total is None else (combine(total, x) if combine else total + x)
    return 0.0 if total is None else total


def _restart(u, s):
    return s if u == 0.0 else u + s


EPS = 2.0 ** -53


def _explain(x, want, shares, senders):
    """(kind, how x came from these shares in words, whether only backward() can have done it), or ("", "", False).
    senders: the consumer node of each share."""
    bx = _bits(x)
    zero_only = x == 0.0 and _sum(shares) == 0.0
    if zero_only and _bits(_sum(shares, first_as_is=False)) == bx:
        return "start", "the sum started at +0.0 rather than the first contribution taken as is (only zero signs differ)", True
    if len(shares) > 1 and _bits(_sum(shares, combine=_restart)) == bx:
        return "restart", ("the sum restarted at a zero partial sum: when the running sum was 0, the next contribution "
                           "replaced it rather than being added (only zero signs differ)"), True
    for k, s in enumerate(shares):
        if (s == 0.0 or s != s) and _bits(_sum(shares[:k] + shares[k + 1:])) == bx:
            return "missing", (f"a share is missing: the zero share ({s!r}) of '{senders[k].op}' at node "
                               f"#{senders[k].id} was not sent (a masked share must be sent as a zero, whose sign "
                               f"counts)"), True
    if len(shares) < 2:
        return "", "", False  # one contribution: a wrong one is the sending op's
    if _bits(shares[-1]) == bx and _bits(_sum(shares)) != bx:
        return "last", "only the last contribution kept (= instead of +=)", True
    if math.isfinite(x) and not zero_only and all(math.isfinite(s) for s in shares):
        exact = math.fsum(shares)
        bound = 1.01 * (len(shares) - 1) * EPS * sum(abs(s) for s in shares) + 5e-324
        if abs(x - exact) <= bound:
            return "order", ORDER_TEXT, True
        if len(shares) <= 6 and any(_bits(_sum(p)) == bx for p in itertools.permutations(shares)):
            return "order", ORDER_TEXT, True
    if want == want and x == 2.0 * want and want != 0.0:
        return "stale", "the gradient is stale, carried over from an earlier call (twice the right value)", True
    for k in range(len(shares)):
        if _bits(_sum(shares[:k] + shares[k + 1:])) == bx:
            return "missing", (f"a share is missing (contribution {k + 1} of {len(shares)}, from "
                               f"'{senders[k].op}' at node #{senders[k].id})"), False
        if _bits(_sum(shares + [shares[k]])) == bx:
            return "twice", (f"a share is counted twice (contribution {k + 1} of {len(shares)}, from "
                             f"'{senders[k].op}' at node #{senders[k].id})"), False
    return "", "", False


SATURATED = {2.0 ** 63: "2^63", -2.0 ** 63: "-2^63", 2.0 ** 64: "2^64", 2.0 ** 31: "2^31", 2.0 ** 31 - 1: "2^31 - 1",
             -2.0 ** 31: "-2^31", 2.0 ** 32: "2^32", 2.0 ** 32 - 1: "2^32 - 1"}


def _to_f32(x):
    """x rounded to float32 (None when out of its range)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return None


def _f32(x):
    """Whether x is a float32 value (its float32 rounding is itself)."""
    return _to_f32(x) == x


def engine_faults(tape, mismatches, replays=None):
    """The text naming a fault of the engine's storage or output of numbers, or "": an integer conversion that
    saturated, float32 storage, gradients missing on op nodes."""
    for m in mismatches:
        if m.value in SATURATED and m.value != m.reference and m.value == m.value:
            bits = 64 if abs(m.value) >= 2.0 ** 63 else 32
            return (f"{ENGINE_KIND} at node {m.node_name}: an integer conversion saturated on output: its "
                    f"{m.quantity} is {m.value!r} ({SATURATED[m.value]}) where {m.reference_name} has "
                    f"{m.reference!r} (a double written through a {bits}-bit integer)")
    if replays is not None:
        cand, ref = replays
        pairs = list(zip(cand.data + cand.grad, ref.data + ref.grad))
    else:
        pairs = [(m.value, m.reference) for m in mismatches if m.quantity in ("data", "grad")]
    finite = [x for x, _ in pairs if math.isfinite(x)]
    rounded = [m for m in mismatches if m.quantity in ("data", "grad") and m.value != m.reference
               and math.isfinite(m.reference) and m.value == _to_f32(m.reference)]
    if finite and rounded and all(_f32(x) for x in finite):
        m = rounded[0]
        return (f"{ENGINE_KIND} at node {m.node_name}: stores float32: every value it returned equals its float32 "
                f"rounding ({m.quantity} {m.value!r} where {m.reference_name} has {m.reference!r}, whose float32 "
                f"rounding it is): store and compute in float64 (double)")
    grads = [m for m in mismatches if m.quantity.startswith("grad")]
    if grads and len(grads) == len(mismatches) and all(tape.nodes[m.node].op is not None for m in grads):
        if replays is not None:
            ops = [i for i in _depended_on(tape) if tape.nodes[i].op not in (None, "select") and i != tape.output]
            missing = (ops and all(cand.grad[i] != cand.grad[i] for i in ops)
                       and any(ref.grad[i] == ref.grad[i] for i in ops))
        else:
            missing = all(m.value != m.value and m.reference == m.reference for m in grads)
        if missing:
            return (f"{ENGINE_KIND} at node {grads[0].node_name}: gradients missing on op nodes: every op node's grad "
                    f"is nan while the leaves' agree (keep the gradient of every node, not only of leaves: SPEC "
                    f"section 3)")
    return ""


def echo_fault(sent, got, route=LINE_PROTOCOL):
    """How a leaf's value came back other than it was sent (None when it is the same double)."""
    if sent == got and math.copysign(1.0, sent) == math.copysign(1.0, got) or (sent != sent and got != got):
        return None
    port = route == LINE_PROTOCOL
    if sent == 0.0 and got == 0.0:
        return (f"{ZERO_SIGN_LOST}: -0.0 must be written with its sign (a writer that prints it as 0, as some "
                "JSON libraries and integer formats do, loses it; SPEC section 7 says how to write -0.0)" if port else
                f"{ZERO_SIGN_LOST}: a leaf's data is the value it was given, -0.0 included (SPEC section 6)")
    if not (math.isfinite(sent) and math.isfinite(got)):
        return ('a special value changed: inf, -inf and nan travel as the strings "inf", "-inf", "nan" both ways '
                "(SPEC section 7)" if port else "a special value changed (inf, -inf and nan are values like any other)")
    if abs(got - sent) <= 1e-6 * abs(sent):
        return ("rounded on output: write every double with enough digits to round-trip (the shortest "
                "round-trip form, or 17 significant digits; SPEC section 7)" if port else
                "rounded: the engine keeps fewer digits than a double")
    return "changed: a leaf's data is its \"value\", as sent (SPEC section 6)"


def echo_faults(tape, mismatches, route=LINE_PROTOCOL):
    """The text naming leaves whose data came back other than the runner sent them, or "" when all were echoed.

    A leaf's data is the value the runner sent; when an engine answers something else, the fault is in how
    it reads or writes numbers (over the line protocol: its encoding) or stores them, not in any op, so no op
    is blamed."""
    found = []
    for m in mismatches:
        node = tape.nodes[m.node]
        if m.quantity != "data" or node.op is not None or node.data is None:
            continue
        for who, got in ((m.engine_name, m.value), (m.reference_name, m.reference)):
            why = echo_fault(node.data, got, route)
            if why:
                found.append((m.node_name, f"{who} did not echo its inputs: leaf {tape.name_of(m.node)} was sent as "
                                           f"{node.data!r} and came back as {got!r}: {why}"))
    if not found:
        return ""
    n = len(found) - 1
    more = f" (and {n} more such lea{'ves' if n > 1 else 'f'})" if n else ""
    kind = "the encoding of numbers" if route == LINE_PROTOCOL else ENGINE_KIND
    return f"{kind} at node {found[0][0]}: no op: {found[0][1]}{more}"


class Evidence:
    """Suspects over every failing graph of a run (an entry's cases, a training's steps), ranked together.

    One graph can be ambiguous (an innocent op that shares an input with the culprit explains
    the same disagreeing nodes); over many graphs the culprit explains the most. Lines are
    ranked by their op's total weight over the graphs seen so far, then in the order seen.
    """

    PER_GRAPH = 3

    def __init__(self):
        self.budget = DEEP_BUDGET  # nodes whose walk may still be replayed (walk_faults)
        self.weight = defaultdict(int)
        self.seen = []  # (op, graph, text), in order
        self.writes_negative_zero = False  # a port seen to echo a -0.0 leaf as -0.0: its encoding is not the cause

    def add(self, graph, tape, mismatches, replays=None, route=IN_PROCESS):
        if route == LINE_PROTOCOL and replays is not None and not self.writes_negative_zero:
            self.writes_negative_zero = any(
                n.op is None and n.data == 0.0 and math.copysign(1.0, n.data) < 0
                and math.copysign(1.0, replays[0].data[n.id]) < 0 for n in tape.nodes)
        deep = self.budget >= len(tape.nodes)
        if deep and replays is not None:
            self.budget -= len(tape.nodes)
        found = culprits(tape, mismatches, replays, route, deep)
        best = {}
        for op, w, _ in found:
            best[op] = max(best.get(op, 0), w)
        for op, w in best.items():
            self.weight[op] += w
        for op, _, text in found[: self.PER_GRAPH]:
            self.seen.append((op, graph, text))

    def lines(self, limit=5):
        # a sum in another order ranks after a fault of the walk's structure seen (it may be that fault's side
        # effect: a breadth-first walk is only another order where it happens to visit nodes after their consumers)
        faults = any(op in STRUCTURAL and self.weight[op] > 0 for op, _, _ in self.seen)
        order = sorted(range(len(self.seen)),
                       key=lambda k: (faults and self.seen[k][0] == ORDER_KEY, -self.weight[self.seen[k][0]], k))
        out, echoed = [], {}
        signs_lost = any(op in ("", ENGINE_KIND) and ZERO_SIGN_LOST in text for op, _, text in self.seen)
        for k in order:
            op, graph, text = self.seen[k]
            if signs_lost and ONLY_ZERO_SIGN in text:
                continue  # an output that lost its zero sign, in a run whose leaves lose theirs: the same fault
            if op in ("", ENGINE_KIND):  # the same encoding or storage fault in many graphs: one line, with the count
                if text in echoed:
                    echoed[text][1] += 1
                    continue
                echoed[text] = [len(out), 0]
            if self.writes_negative_zero:  # the encoding hint, where the port has shown that it writes -0.0
                text = text.replace(_sign_hint(LINE_PROTOCOL), _sign_hint(IN_PROCESS))
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
