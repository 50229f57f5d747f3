"""Run catalogue entries: replay in both engines, compare every node, check the engine's own promises."""

import hashlib
import math
import time
from dataclasses import dataclass, field

from .catalogue import TRAINING, build_tape, cases_of, sgd, trained_weights
from .compare import DEFAULT, EXACT as _EXACT, Mismatch, agree, errors
from .diagnose import Evidence
from .engines import run_micrograd_ref, run_torch

FD_MAX_LEAVES = 12  # finite differences at up to this many leaves per graph
FD_MAX_NODES = 5000
FD_RTOL, FD_ATOL = 1e-5, 1e-6


@dataclass
class GraphResult:
    name: str
    nodes: int = 0
    cases: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    mismatches: list = field(default_factory=list)
    checks: list = field(default_factory=list)  # which oracles ran
    seconds: float = 0.0
    digest: str = ""  # sha256 of micrograd_ref's data and grads (bit-identical across runs)
    failing_tapes: list = field(default_factory=list)  # (graph, tape, micrograd_ref's EngineResult, mismatches)
    error: str = ""
    suspects: list = field(default_factory=list)  # "op X at node #i: ..." diagnoses
    evidence: Evidence = field(default_factory=Evidence, repr=False)  # what ranks the suspects

    @property
    def ok(self):
        return not self.mismatches and not self.error

    def as_dict(self):
        return {
            "name": self.name, "ok": self.ok, "nodes": self.nodes, "cases": self.cases,
            "max_abs_error": self.max_abs, "max_rel_error": self.max_rel,
            "checks": self.checks, "seconds": round(self.seconds, 4), "digest": self.digest,
            "error": self.error, "suspects": self.suspects,
            "mismatches": [m.as_dict() for m in self.mismatches],
        }


def compare(res, graph, tape, eng, ref, tol, engine_name="micrograd_ref"):
    """Data and grad of every node of eng against torch's (ref); records mismatches, errors and the
    likely culprit in res and returns the ids of the disagreeing nodes."""
    bad, n_before = set(), len(res.mismatches)
    for q in ("data", "grad"):
        mine, theirs = getattr(eng, q), getattr(ref, q)
        for i, (x, y) in enumerate(zip(mine, theirs)):
            a, r = errors(x, y)
            res.max_abs = max(res.max_abs, a)
            res.max_rel = max(res.max_rel, r)
            if not agree(x, y, tol, q):
                bad.add(i)
                res.mismatches.append(Mismatch(graph, i, tape.name_of(i), q, x, y, "torch", engine_name))
    if bad:  # suspects ranked over every failing graph of this result (parity/diagnose.py)
        res.evidence.add(graph, tape, res.mismatches[n_before:])
        res.suspects = res.evidence.lines(5)
    return bad


def _twice(res, graph, tape, eng):
    """backward() twice adds exactly twice the gradients."""
    bad = set()
    for i, (g1, g2) in enumerate(zip(eng.grad, eng.extra["grads_twice"])):
        if not agree(g2, 2.0 * g1, _EXACT, "grad"):
            bad.add(i)
            res.mismatches.append(Mismatch(graph, i, tape.name_of(i), "grad after a 2nd backward()", g2, 2.0 * g1,
                                           "2 x the 1st backward()"))
    return bad


def _finite_differences(res, graph, tape, eng):
    """Central differences at the leaves (the seed notes' bump-by-h check) against backward's grads."""
    leaves = [n.id for n in tape.nodes if n.op is None]
    if len(leaves) > FD_MAX_LEAVES:  # spread the sample over the leaves
        step = len(leaves) / FD_MAX_LEAVES
        leaves = [leaves[int(k * step)] for k in range(FD_MAX_LEAVES)]
    bad = set()
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
            bad.add(i)
            res.mismatches.append(Mismatch(graph, i, tape.name_of(i), "grad", g, fd, "finite differences"))
    return bad


def _digest(h, eng):
    for q in (eng.data, eng.grad):
        h.update(",".join(float(x).hex() for x in q).encode())


def check_tape(res, graph, tape, tol, smooth=False):
    eng = run_micrograd_ref(tape)
    ref = run_torch(tape)
    bad = compare(res, graph, tape, eng, ref, tol)
    bad |= _twice(res, graph, tape, eng)
    if smooth and len(tape) <= FD_MAX_NODES:
        bad |= _finite_differences(res, graph, tape, eng)
    res.nodes += len(tape)
    return eng, bad


def run_entry(entry, keep_failing=True):
    res = GraphResult(entry.name)
    t0 = time.perf_counter()
    h = hashlib.sha256()
    res.checks = ["torch", "backward twice"] + (["finite differences"] if entry.smooth else [])
    try:
        if entry.kind == "training":
            _run_training(res, entry, h)
        else:
            for case, tape in cases_of(entry):
                graph = f"{entry.name} [{case}]" if case else entry.name
                n_before = len(res.mismatches)
                eng, bad = check_tape(res, graph, tape, entry.tol, entry.smooth)
                _digest(h, eng)
                res.cases += 1
                if bad and keep_failing and len(res.failing_tapes) < 3:
                    res.failing_tapes.append((graph, tape, eng, res.mismatches[n_before:]))
    except Exception as exc:  # a crash in one graph is that graph's FAIL, not the harness's
        res.error = f"{type(exc).__name__}: {exc}"
    res.digest = h.hexdigest()[:16]
    res.seconds = time.perf_counter() - t0
    return res


def _run_training(res, entry, h):
    """SGD in both engines from the same weights; each step compares every node, then every updated weight."""
    cfg = TRAINING[entry.name]
    tape = build_tape(entry)
    w_eng = trained_weights(tape)
    w_ref = dict(w_eng)
    for step in range(cfg["steps"]):
        graph = f"{entry.name} [step {step}]"
        # each engine continues from its own weights
        for i, w in w_eng.items():
            tape.nodes[i].data = w
        eng = run_micrograd_ref(tape, twice=False)
        for i, w in w_ref.items():
            tape.nodes[i].data = w
        ref = run_torch(tape)
        compare(res, graph, tape, eng, ref, entry.tol)
        _digest(h, eng)
        res.nodes += len(tape)
        res.cases += 1
        w_eng, w_ref = sgd(w_eng, eng.grad, cfg["lr"]), sgd(w_ref, ref.grad, cfg["lr"])
        for i in w_eng:
            if not agree(w_eng[i], w_ref[i], entry.tol):
                res.mismatches.append(Mismatch(graph, i, tape.name_of(i), f"weight after step {step}",
                                               w_eng[i], w_ref[i]))


def run_generated(examples, seed):
    """`examples` generated graphs drawn by hypothesis from `seed`; a failure is shrunk to a minimal graph."""
    from .generate import hypothesis_search

    res = GraphResult(f"random/hypothesis_{examples}_seed_{seed}", checks=["torch", "backward twice"])
    t0 = time.perf_counter()

    def check(tape):
        one = GraphResult(res.name)
        eng, bad = check_tape(one, res.name, tape, DEFAULT)
        res.cases += 1
        res.nodes += len(tape)
        res.max_abs, res.max_rel = max(res.max_abs, one.max_abs), max(res.max_rel, one.max_rel)
        one.failing_tapes = [(f"{res.name} [minimal]", tape, eng, one.mismatches)] if bad else []
        return one

    try:
        _, fail = hypothesis_search(examples, seed, check)
    except Exception as exc:
        res.error = f"{type(exc).__name__}: {exc}"
        fail = None
    if fail is not None:
        tape, one = fail
        res.mismatches = [Mismatch(f"{res.name} [minimal]", m.node, m.node_name, m.quantity, m.value,
                                   m.reference, m.reference_name) for m in one.mismatches]
        res.suspects = one.suspects
        res.failing_tapes = one.failing_tapes
    res.seconds = time.perf_counter() - t0
    return res
