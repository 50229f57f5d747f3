"""Run catalogue entries in two engines, a candidate and a reference, and compare every node.

Nothing here knows which engines they are (parity/engines/): each case of an entry is
replayed by both, then every node's data and grad are compared (compare.py), the
candidate's own promises are checked (a second backward() adds the same gradients
again; finite differences at the leaves of smooth graphs), and the case gets one status:

  PASS   every node agrees                 SKIP   an engine lacks an op of the graph, or has no answer
  FAIL   some node disagrees                ERROR  an engine failed on the graph (its own error is shown)
  XFAIL  disagrees, as declared/listed      XPASS  listed as a known failure, yet agrees (fails the run)
"""

import hashlib
import math
import random
import struct
import sys
import time
from array import array
from dataclasses import dataclass, field, replace

from micrograd_ref.ops import OPS, PRIMITIVES

from . import correctly_rounded, spec_eval
from .formulas import ENGINE, compiled, rounds
from .catalogue import TRAINING, build_tape, cases_of, sgd, trained_weights
from .answers import BadAnswer, checked
from .compare import DEFAULT, EXACT, Mismatch, agree, close, errors, level_name, same_bits
from .diagnose import ORDER_TEXT, Evidence
from .engines import EngineError, Graph, Replay, Unsupported, default_pair
from .exactness import SPEC_CORRECTLY_ROUNDED, derive, uses
from .expectations import Expectations
from .kinds import case_kind, first_difference

FD_MAX_LEAVES = 12  # finite differences at up to this many leaves per graph
FD_MAX_NODES = 5000
FD_RTOL, FD_ATOL = 1e-5, 1e-6
STATUSES = ("PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS")
MAX_KEPT = 200  # mismatches kept per entry (the count is exact; the list is for reading)
KEEP_FIRST, KEEP_MAX = 3, 10  # failing graphs kept per entry (for --dot and --html): the first, then one per new kind


@dataclass
class CaseResult:
    name: str  # "entry [case]"
    status: str  # one of STATUSES
    ops: tuple = ()  # the ops this case tests (an edge case tests its own op; other graphs every op they use)
    nodes: int = 0  # nodes compared (0 unless both engines answered)
    reason: str = ""  # the error, the reason for a skip, or the expectation's reason
    difference: object = None  # a disagreeing case's first difference (a Mismatch: kinds.first_difference)
    nondeterministic: bool = False  # a second replay in the candidate gave other bits (of a failing case; of any
    # case under --write-known-failures)


@dataclass
class GraphResult:
    """One catalogue entry run in two engines."""

    name: str
    level: str = "core"
    engine: str = ""  # the candidate's name
    reference: str = ""
    cases: list = field(default_factory=list)  # CaseResult per case
    nodes: int = 0  # nodes compared
    max_abs: float = 0.0
    worst: float = 0.0  # the largest error as a fraction of what the tolerance allows (inf for any exact miss)
    bounded: int = 0  # values (data or grad) compared within the bound; every other one bit for bit
    values: int = 0  # values compared
    notes: dict = field(default_factory=dict)  # {primitive the reference does not round correctly: values bounded for it}
    mismatches: list = field(default_factory=list)  # of FAIL cases (the first MAX_KEPT)
    n_mismatches: int = 0
    declared: list = field(default_factory=list)  # (Expected, first Mismatch or error) of XFAIL cases
    matched: dict = field(default_factory=dict)  # {expectation: disagreeing cases it matched} (counts, staleness)
    checks: list = field(default_factory=list)  # which oracles ran
    seconds: float = 0.0
    digest: str = ""  # sha256 of the candidate's data and grads, nan canonical (digest_values)
    digest_portable: bool = True  # the digest is the same on any machine (see README, "digest")
    failing_tapes: list = field(default_factory=list)  # (graph, tape, candidate Replay, reference Replay, mismatches)
    suspects: list = field(default_factory=list)  # "backward of 'X' at node #i: ..." diagnoses, culprit first
    varying: list = field(default_factory=list)  # "ENTRY [case]: the engine at node #N (...): nondeterministic: ..."
    verdict_level: str = "exact"  # "exact" (the default) or "tolerance 1e-09" (--tolerance)
    evidence: Evidence = field(default_factory=Evidence, repr=False)  # what ranks the suspects (diagnose.py)

    def count(self, status):
        return sum(c.status == status for c in self.cases)

    def count_nondeterministic(self):
        return sum(c.nondeterministic for c in self.cases)

    @property
    def exact(self):
        """Every value compared bit for bit (derived from the ops: parity/exactness.py)."""
        return self.values > 0 and self.bounded == 0

    @property
    def status(self):
        seen = {c.status for c in self.cases}
        for s in ("ERROR", "FAIL", "XPASS", "XFAIL", "PASS"):
            if s in seen:
                return s
        return "SKIP"

    @property
    def error(self):
        """The first error, named by graph ('' when no case errored)."""
        return next((f"{c.name}: {c.reason}" for c in self.cases if c.status == "ERROR"), "")

    def ok_when(self, strict=False):
        """PASS, XFAIL or SKIP; under strict, no case may be skipped (an entry that ran some cases, too)."""
        if strict and (not self.cases or self.count("SKIP")):
            return False
        return self.status in ("PASS", "XFAIL", "SKIP")

    def failed_because(self, strict=False):
        """Why the entry fails the run, in a few words ("" when it does not)."""
        if self.ok_when(strict):
            return ""
        return {"ERROR": "errored", "FAIL": "disagree", "XPASS": "agree though listed as known failures"}.get(
            self.status, "with skipped cases (--strict)")

    @property
    def ok(self):
        return self.ok_when()

    def as_dict(self):
        counts = {s.lower(): self.count(s) for s in STATUSES}
        return {
            "name": self.name, "level": self.level, "status": self.status, "ok": self.ok,
            "engine": self.engine, "reference": self.reference, "cases": len(self.cases), "counts": counts,
            "nodes_compared": self.nodes, "max_abs_error": self.max_abs,
            "worst_error_of_allowed": self.worst if math.isfinite(self.worst) else None, "exact": self.exact,
            "values_compared": self.values, "values_bounded": self.bounded,
            "reference_platform_notes": self.notes,
            "checks": self.checks, "seconds": round(self.seconds, 4), "digest": self.digest,
            "digest_portable": self.digest_portable,
            "error": self.error, "suspects": self.suspects, "verdict_level": self.verdict_level,
            "nondeterministic": self.count_nondeterministic(),
            "skipped": sorted({c.reason for c in self.cases if c.status == "SKIP"})[:5],
            "failing_cases": [c.name for c in self.cases if c.status in ("FAIL", "ERROR")],
            "expected": [{"graph": m if isinstance(m, str) else m.graph, "match": e.match, "reason": e.reason}
                         for e, m in self.declared[:20]],
            "mismatches": [m.as_dict() for m in self.mismatches],
        }


# --- one case ---------------------------------------------------------------------------------

CANONICAL_NAN = struct.pack("<d", math.nan)  # 7ff8000000000000: x86 makes fff8..., ARM 7ff8... (same meaning)


def digest_values(h, *lists):
    """Add the IEEE bits of every value to the hash h, little-endian, every nan written as the one quiet nan
    (its sign and payload carry no meaning and differ between CPUs); -0.0 and 0.0 stay different."""
    for q in lists:
        raw = array("d", q)
        if sys.byteorder != "little":
            raw.byteswap()
        b = raw.tobytes()
        if any(x != x for x in q):
            b = b"".join(CANONICAL_NAN if x != x else b[8 * i:8 * i + 8] for i, x in enumerate(q))
        h.update(b)


def _replay(engine, graph, leaves_only=False):
    """(Replay, None) or (None, (status, reason)); the Replay's values are floats (answers.checked)."""
    try:
        missing = engine.missing_ops(graph)
        if missing:
            return None, ("SKIP", f"{engine.name} lacks {', '.join(sorted(missing))}")
        out = engine.run(graph)
    except Unsupported as exc:
        return None, ("SKIP", f"{engine.name}: {_text(exc)}")
    except EngineError as exc:  # already worded by the engine (a port's answer, crash or timeout)
        return None, ("ERROR", f"{engine.name}: {_text(exc)}")
    except Exception as exc:  # an engine's failure on one graph is that graph's ERROR, never the harness's crash
        return None, ("ERROR", f"{engine.name} raised {type(exc).__name__}: {_text(exc)}")
    try:
        return checked(out, graph.tape, leaves_only), None
    except BadAnswer as exc:
        return None, ("ERROR", f"{engine.name} {exc}")


def _text(exc):
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 (an engine's exception whose str() fails)
        return "(its message cannot be shown)"


def compare_replays(res, graph, eng, ref, tol, names, exact, level=None, leaves_only=False):
    """Mismatches of every node's data and grad, bit for bit where exact (an Exactness) says so, else within
    tol; at a verdict level (--tolerance REL) every value within REL (compare.close) or tol; leaves_only: op
    nodes' grads are not compared. Updates res's error statistics."""
    tape = graph.tape
    out = []
    for q in ("data", "grad"):
        mine, theirs, flags = getattr(eng, q), getattr(ref, q), getattr(exact, q)
        worst = res.worst
        skip = leaves_only and q == "grad"
        if skip:
            compared = [n.op is None for n in tape.nodes]
            res.values += sum(compared)
            res.bounded += sum(compared) if level is not None else sum(c and not f for c, f in zip(compared, flags))
        else:
            res.values += len(mine)
            res.bounded += len(flags) if level is not None else len(flags) - sum(flags)
        for i, (x, y) in enumerate(zip(mine, theirs)):
            if x == y and (x != 0.0 or math.copysign(1.0, x) == math.copysign(1.0, y)):
                continue  # the common case, fast (equal non-zero doubles, or zeros of one sign, have equal bits)
            if skip and not compared[i]:
                continue
            t = tol if not flags[i] else EXACT
            if level is None:
                ok, rule = agree(x, y, t, q), "bit for bit" if flags[i] else f"within {tol.describe(q)}"
                allowed = t.bound(y, q) if math.isfinite(y) else 0.0
            else:
                ok, rule = close(x, y, level, q) or (not flags[i] and agree(x, y, t, q)), f"within tolerance {level:g}"
                allowed = level * max(abs(x), abs(y)) if math.isfinite(x) and math.isfinite(y) else 0.0
            if not ok:
                out.append(Mismatch(graph.name, i, tape.name_of(i), q, x, y, names[1], names[0], rule, allowed))
            a, _ = errors(x, y)
            if a:
                res.max_abs = max(res.max_abs, a)
                allowed = t.bound(y, q) if level is None else max(level * max(abs(x), abs(y)), t.bound(y, q))
                worst = max(worst, a / allowed if allowed else math.inf)
        res.worst = worst
    return out


# The own-values oracle: an engine's gradients recomputed by the spec from its own data, and its data from its
# own inputs, in correctly rounded arithmetic; bit for bit wherever the engine rounds every primitive involved
# correctly. It does not depend on the reference or the platform of either: a port's two-roundings tanh
# backward, a kernel routed to pow, or a sum in another order shows on every machine.
def own_values(graph, eng, engine, level=None, leaves_only=False):
    tape = graph.tape

    def same(x, y, q):
        return same_bits(x, y) if level is None else close(x, y, level, q)

    rule = "bit for bit" if level is None else f"within tolerance {level:g}"

    def allowed(x, y):
        return 0.0 if level is None or not (math.isfinite(x) and math.isfinite(y)) else level * max(abs(x), abs(y))

    if correctly_rounded.available():
        arithmetic, checkable = correctly_rounded.ARITHMETIC, frozenset(engine.correctly_rounded)
    else:  # no MPFR here: only what IEEE hardware rounds correctly can be checked
        arithmetic, checkable = ENGINE, frozenset(engine.correctly_rounded) & SPEC_CORRECTLY_ROUNDED
    who = f"the spec on {engine.name}'s own values"
    out = []
    data = eng.data
    forwards = {}  # (op, params) -> the forward in correctly rounded arithmetic, or None where not checkable
    for n in tape.nodes:
        if n.op is None or n.op == "select":
            continue
        key = (n.op, n.params)
        fwd = forwards.get(key, False)
        if fwd is False:
            op = OPS[n.op]
            fwd = forwards[key] = compiled(op, arithmetic)[0] if rounds(op, n.params) <= checkable else None
        if fwd is not None and not same(data[n.id], want := fwd(*(data[i] for i in n.inputs), *n.params), "data"):
            out.append(Mismatch(graph.name, n.id, tape.name_of(n.id), "data (from its own inputs)", data[n.id], want,
                                who, engine.name, rule, allowed(data[n.id], want)))
    exact = derive(tape, checkable, data, own_data=True)
    grads = spec_eval.backward(tape, data, arithmetic)
    for i, (x, y) in enumerate(zip(eng.grad, grads)):
        if (x != y or x == 0.0) and exact.grad[i] and not same(x, y, "grad") \
                and not (leaves_only and tape.nodes[i].op is not None):
            out.append(Mismatch(graph.name, i, tape.name_of(i), "grad (from its own values)", x, y, who, engine.name,
                                rule, allowed(x, y)))
    return out


def _reference_notes(res, graph, exact, cand, ref, data):
    """Count the values compared within a bound only because the reference does not round correctly a
    primitive the spec requires correctly rounded (IEEE 754's sqrt, fma) and the candidate does."""
    lost = (SPEC_CORRECTLY_ROUNDED & cand.correctly_rounded) - ref.correctly_rounded
    if not lost or not uses(graph.tape, lost):
        return
    for p in sorted(lost):
        alt = derive(graph.tape, cand.correctly_rounded & (ref.correctly_rounded | {p}), data)
        n = sum(a and not b for a, b in zip(alt.data + alt.grad, exact.data + exact.grad))
        if n:
            res.notes[p] = res.notes.get(p, 0) + n


def _twice(graph, eng, name):
    """backward() twice adds exactly twice the gradients."""
    out = []
    for i, (g1, g2) in enumerate(zip(eng.grad, eng.extra["grads_twice"])):
        if not agree(g2, 2.0 * g1, EXACT, "grad"):
            out.append(Mismatch(graph.name, i, graph.tape.name_of(i), "grad after a 2nd backward()", g2, 2.0 * g1,
                                "2 x the 1st backward()", name))
    return out


def _with_varying(suspects, varying):
    """The culprit lines with the nondeterminism line: first, unless the first culprit is a sum in another order,
    which an engine summing in an order that follows memory addresses shows as both (the order is its cause)."""
    if suspects and varying and ORDER_TEXT in suspects[0]:
        return suspects[:1] + varying + suspects[1:]
    return varying + suspects


def _leaves_only_caveat(bad):
    """First culprit line of an engine that keeps gradients on leaves only, where only gradients differ: the op
    nodes' gradients are unknown, so the lines after it (an op's backward, the order of a sum) are guesses.
    None where some data differ (the forward's culprit needs no gradient)."""
    grads = [m for m in bad if m.quantity.startswith("grad")]
    if not grads or len(grads) < len(bad):
        return None
    m = grads[0]
    return (f"{m.graph}: the engine at node {m.node_name}: gradients on leaves only: a leaf's gradient differs, and "
            f"with no op node's gradient to read neither the op nor the sum that went wrong can be located (the "
            f"lines below are the diagnosis's guesses; expose op nodes' .grad to locate it)")


def _finite_differences(graph, eng, name):
    """Central differences at the leaves (the seed notes' bump-by-h check) against the engine's grads."""
    tape = graph.tape
    leaves = [n.id for n in tape.nodes if n.op is None]
    if len(leaves) > FD_MAX_LEAVES:  # spread the sample over the leaves
        step = len(leaves) / FD_MAX_LEAVES
        leaves = [leaves[int(k * step)] for k in range(FD_MAX_LEAVES)]
    out = []
    for i in leaves:
        x = tape.nodes[i].data
        h = 1e-6 * max(1.0, abs(x))
        up = tape.evaluate({i: x + h})[tape.output]
        down = tape.evaluate({i: x - h})[tape.output]
        fd = (up - down) / (2 * h)
        if not math.isfinite(fd):
            continue  # not smooth here (log of a negative, a pole): the oracle does not apply
        g = eng.grad[i]
        if not abs(g - fd) <= FD_ATOL + FD_RTOL * abs(fd):
            out.append(Mismatch(graph.name, i, tape.name_of(i), "grad", g, fd, "finite differences", name,
                                f"within abs {FD_ATOL:g} + rel {FD_RTOL:g}", FD_ATOL + FD_RTOL * abs(fd)))
    return out


def _worth_keeping(kept, bad):
    """Keep a failing graph for the drawings: the first KEEP_FIRST of an entry, then one more for each kind of
    difference not seen in those kept (parity/kinds.py), up to KEEP_MAX."""
    if len(kept) < KEEP_FIRST:
        return True
    return len(kept) < KEEP_MAX and case_kind(bad) not in {case_kind(t[-1]) for t in kept}


class Run:
    """Two engines and what is expected of them: runs entries and case after case.

    level: None (exact, the default) or REL (--tolerance: every value within REL, compare.close). watch: set by
    a supervised worker (parity/workers.py): told which case and engine start; answers a case known to crash."""

    def __init__(self, engine=None, reference=None, expectations=None, keep_failing=True, level=None,
                 replay_twice=False):
        if engine is None or reference is None:
            d_eng, d_ref = default_pair()
            engine, reference = engine or d_eng, reference or d_ref
        self.engine, self.reference = engine, reference
        self.expectations = expectations or Expectations()
        self.keep_failing = keep_failing
        self.level = level
        self.replay_twice = replay_twice  # every case, not only a failing one, is replayed twice (nondeterminism)
        self.watch = None
        # an engine that keeps gradients only on leaves (Engine.grads): op nodes' grads are not compared
        self.leaves_only = "leaves" in (getattr(engine, "grads", "all"), getattr(reference, "grads", "all"))

    @property
    def names(self):
        return self.engine.name, self.reference.name

    def check(self, res, graph, tol, smooth=False, digest=None, focus=None):
        """Replay one graph in both engines, compare, record one CaseResult; returns (candidate, reference) Replays."""
        ops = (focus,) if focus else tuple(sorted(graph.ops))
        watch, leaves_only = self.watch, self.leaves_only
        if watch is not None:
            crashed = watch.starting(graph.name, self.reference.name)
            if crashed:  # this case crashed or hung a worker before: ERROR, not run again
                self._record(res, graph, "ERROR", ops, crashed, [])
                return None, None
        ref, why = _replay(self.reference, graph, leaves_only)
        eng = None
        if why is None:
            if watch is not None:
                watch.replaying(self.engine.name)
            eng, why = _replay(self.engine, graph, leaves_only)
        if why is not None:
            status, reason = why
            self._record(res, graph, status, ops, reason, [])
            return eng, ref
        both = frozenset(self.engine.correctly_rounded) & frozenset(self.reference.correctly_rounded)
        exact = derive(graph.tape, both, ref.data)
        _reference_notes(res, graph, exact, self.engine, self.reference, ref.data)
        bad = compare_replays(res, graph, eng, ref, tol, self.names, exact, self.level, leaves_only)
        if not exact.everywhere:  # where every value was compared bit for bit, the reference has said it all
            bad += own_values(graph, eng, self.engine, self.level, leaves_only)
        if "backward twice" in getattr(self.engine, "promises", ()) and "grads_twice" in eng.extra:
            bad += _twice(graph, eng, self.engine.name)
        if smooth and len(graph.tape) <= FD_MAX_NODES:
            bad += _finite_differences(graph, eng, self.engine.name)
        if digest is not None:
            digest_values(digest, eng.data, eng.grad)
            if uses(graph.tape, frozenset(PRIMITIVES) - frozenset(self.engine.correctly_rounded)):
                res.digest_portable = False
        expected = self.expectations.find(graph.name) if bad and self.expectations else None
        # replayed again: a failure nothing explains yet (a declared difference or a listed one is known), or any
        # case when a known-failures file is being written
        varying = self._varies(graph, eng) if (bad and expected is None) or self.replay_twice else ""
        self._record(res, graph, "FAIL" if bad else "PASS", ops, "", bad, len(graph.tape), (eng, ref), varying)
        return eng, ref

    def _varies(self, graph, first):
        """A failing case (under replay_twice, every case) is replayed again in the candidate, each time with other
        addresses for its objects, until its bits change (see MAX_REPLAYS): the first node whose bits changed, in
        the words of a culprit line, or "" when every replay agrees bit for bit with the first."""
        tape = graph.tape
        t0 = time.perf_counter()
        for seed in range(MAX_REPLAYS):
            if seed and time.perf_counter() - t0 > REPLAY_SECONDS:
                break
            if self.watch is not None:
                self.watch.replaying(self.engine.name)
            spacer = _spacer(seed, len(tape.nodes))  # other addresses for the engine's objects
            again, why = _replay(self.engine, graph, self.leaves_only)
            del spacer
            if again is None:
                return ""
            if again.data == first.data and again.grad == first.grad:
                continue  # the common case, fast (list equality; a nan never equals: then node by node)
            for i in range(len(tape.nodes)):
                for q in ("data", "grad"):
                    x, y = getattr(first, q)[i], getattr(again, q)[i]
                    if not same_bits(x, y):
                        return (f"{graph.name}: the engine at node {tape.name_of(i)}: nondeterministic: two replays "
                                f"of the same graph gave {x!r} and {y!r} as its {q}")
        return ""

    def _record(self, res, graph, status, ops, reason, bad, nodes=0, replays=None, varying=""):
        expected = self.expectations.find(graph.name) if self.expectations else None
        if expected is not None:
            if status in ("FAIL", "ERROR"):
                res.matched[expected] = res.matched.get(expected, 0) + 1
                if len(res.declared) < MAX_KEPT:
                    res.declared.append((expected, bad[0] if bad else f"{graph.name}: {reason}"))
                status, reason = "XFAIL", expected.reason
            elif status == "PASS" and expected.strict and not expected.nondeterministic:
                status, reason = "XPASS", f"listed as a known failure ({expected.match}), yet it agrees"
        res.cases.append(CaseResult(graph.name, status, ops, nodes, reason, first_difference(bad), bool(varying)))
        res.nodes += nodes
        if varying and len(res.varying) < MAX_KEPT:
            res.varying.append(varying)
        if status == "FAIL":
            res.n_mismatches += len(bad)
            room = MAX_KEPT - len(res.mismatches)
            if room > 0:
                res.mismatches.extend(bad[:room])
            if len(res.evidence.seen) < 300:  # suspects ranked over every failing graph of the entry
                res.evidence.add(graph.name, graph.tape, bad, replays, getattr(self.engine, "route", "in-process"))
                res.suspects = _with_varying(res.evidence.lines(5), res.varying[:1])
                caveat = _leaves_only_caveat(bad) if self.leaves_only and res.suspects and not res.varying else None
                if caveat:
                    res.suspects = [caveat] + res.suspects
            if self.keep_failing and replays is not None and _worth_keeping(res.failing_tapes, bad):
                eng, ref = (Replay(x.data, x.grad) for x in replays)  # without engine objects: sent between processes
                res.failing_tapes.append((graph.name, graph.tape, eng, ref, bad))

    def entry(self, entry):
        res = GraphResult(entry.name, entry.level, *self.names, verdict_level=level_name(self.level))
        t0 = time.perf_counter()
        h = hashlib.sha256()
        res.checks = [self.reference.name, "own values"]
        if "backward twice" in getattr(self.engine, "promises", ()) and entry.kind != "training":
            res.checks.append("backward twice")
        if entry.smooth:
            res.checks.append("finite differences")
        focus = entry.name.split("/", 1)[1] if entry.level == "edge" else None
        try:
            if self.level is not None and "order" in entry.tags:
                # it checks torch's order of summing a node's contributions, which a verdict level does not
                # promise: at --tolerance its cases are skipped, each with why (its x - x after a tiny
                # contribution is 0.0 in torch's order and the tiny contribution in others, at any tolerance)
                why = f"{entry.name} checks torch's order of summing, which --tolerance does not promise"
                for case, tape in cases_of(entry):
                    graph = Graph(entry.name, case, tape)
                    res.cases.append(CaseResult(graph.name, "SKIP", tuple(sorted(graph.ops)), 0, why))
            elif entry.kind == "training":
                res.digest_portable = False  # it replays the reference's trajectory (weights from its gradients)
                self._training(res, entry, h)
            else:
                for case, tape in cases_of(entry):
                    self.check(res, Graph(entry.name, case, tape), entry.tol, entry.smooth, h, focus)
        except Exception as exc:  # a bug in building the entry: that entry's ERROR, not a crash of the run
            res.cases.append(CaseResult(entry.name, "ERROR", (), 0, f"harness: {type(exc).__name__}: {exc}"))
        res.digest = h.hexdigest()[:16]
        res.seconds = time.perf_counter() - t0
        return res

    def _training(self, res, entry, h):
        """SGD from the catalogue's weights, in lockstep: every step's graph is the reference's (its weights after
        its own previous steps); both engines replay it and every node is compared, so the candidate's gradients
        are checked at every point of the reference's trajectory (stored golden vectors hold the same steps)."""
        cfg = TRAINING[entry.name]
        tape = build_tape(entry)
        weights = trained_weights(tape)
        for step in range(cfg["steps"]):
            for i, w in weights.items():
                tape.nodes[i].data = w
            _, ref = self.check(res, Graph(entry.name, f"step {step}", tape.copy()), entry.tol, False, h)
            if ref is None:
                break  # the reference has no answer for this step: no next step either
            weights = sgd(weights, ref.grad, cfg["lr"])


# A second replay that differs shows an order that follows addresses only sometimes (of three contributions,
# only the one added last changes the bits): a graph is replayed again up to MAX_REPLAYS times, until its bits
# change or REPLAY_SECONDS have passed (once at least: a slow engine's large graph is replayed once more).
MAX_REPLAYS = 16
REPLAY_SECONDS = 0.25


def _spacer(seed, nodes):
    """Blocks of the small sizes Python's allocator keeps in pools (one pool per size class, 16 to 512 bytes),
    some for every node of the graph, half of them released again in an order drawn from seed: alive during
    a second replay, they give the engine's new objects other addresses, in another order, than the first
    replay's (a set of objects iterates in an order that follows their addresses; without them, the second
    replay would reuse the first one's freed memory in the same order)."""
    rng = random.Random(seed)
    rows = 8 * min(nodes, 2000) + 64
    blocks = [[object(), float(k), _Blank(), bytes(k % 256)] for k in range(rows)]
    released = list(range(rows))
    rng.shuffle(released)
    for k in released[:rows // 2]:
        blocks[k] = None
    return blocks


class _Blank:
    pass


def run_entry(entry, keep_failing=True, engine=None, reference=None, expectations=None):
    return Run(engine, reference, expectations, keep_failing).entry(entry)


def check_tape(res, graph, tape, tol, smooth=False, engine=None, reference=None):
    """Replay one tape in both engines (default micrograd_ref and torch) and record it in res;
    returns (candidate Replay, set of disagreeing node ids)."""
    before = res.n_mismatches
    eng, _ = Run(engine, reference, keep_failing=False).check(res, Graph(graph, "", tape), tol, smooth)
    return eng, {m.node for m in res.mismatches[before:]}


def run_generated(examples, seed, engine=None, reference=None, run=None):
    """`examples` generated graphs drawn by hypothesis from `seed`; a failure is shrunk to a minimal graph."""
    from .generate import hypothesis_search

    run = run or Run(engine, reference)
    name = f"random/hypothesis_{examples}_seed_{seed}"
    res = GraphResult(name, "core", *run.names, checks=[run.reference.name], verdict_level=level_name(run.level))
    t0 = time.perf_counter()

    def check(tape):
        one = GraphResult(name, "core", *run.names)
        run.check(one, Graph(name, "", tape), DEFAULT)
        res.nodes += one.nodes
        res.max_abs, res.worst = max(res.max_abs, one.max_abs), max(res.worst, one.worst)
        res.values, res.bounded = res.values + one.values, res.bounded + one.bounded
        res.cases.append(CaseResult(f"{name} [{len(res.cases)}]", one.cases[0].status, one.cases[0].ops,
                                    one.nodes, one.cases[0].reason, one.cases[0].difference,
                                    one.cases[0].nondeterministic))
        return one

    fail = None
    try:
        _, fail = hypothesis_search(examples, seed, check)
    except Exception as exc:
        res.cases.append(CaseResult(name, "ERROR", (), 0, f"harness: {type(exc).__name__}: {exc}"))
    if fail is not None:
        tape, one = fail
        res.cases.append(CaseResult(f"{name} [minimal]", "FAIL", tuple(sorted({n.op for n in tape.nodes if n.op})),
                                    0, "shrunk"))
        res.mismatches = [replace(m, graph=f"{name} [minimal]") for m in one.mismatches]
        res.n_mismatches = len(res.mismatches)
        res.suspects = one.suspects
        res.failing_tapes = [(f"{name} [minimal]", *rest) for _, *rest in one.failing_tapes]
    res.seconds = time.perf_counter() - t0
    return res
