"""Engines that misbehave, for the containment tests (tests/test_containment.py, test_nondeterminism.py,
test_verdict_levels.py): each is micrograd_ref, right everywhere, except on the cases named TARGET (the case
of edge/relu at relu(2.0) with upstream gradient 1.0), where it segfaults, aborts, hangs, exits or answers
garbage. Run as `python -m parity --engine tests.misbehaving:NAME`.
"""

import ctypes
import os
import sys
import time

import micrograd_ref
from micrograd_ref.ops import OPS

from parity.formulas import ENGINE, compiled

from parity.engines import Engine, Replay, replay_tape
from parity.engines.micrograd_ref_engine import MicrogradRef

TARGET = "edge/relu [relu(2.0) g=1.0]"


class _OnTarget(MicrogradRef):
    """micrograd_ref, but misbehave(graph) on the target case."""

    def run(self, graph):
        if graph.name == TARGET:
            return self.misbehave(graph)
        return super().run(graph)

    def right(self, graph):
        return super().run(graph)


class Segfaults(_OnTarget):
    name = "segfaults"

    def misbehave(self, graph):
        ctypes.string_at(0)  # reads address 0: SIGSEGV


class Aborts(_OnTarget):
    name = "aborts"

    def misbehave(self, graph):
        os.abort()


class Hangs(_OnTarget):
    name = "hangs"

    def misbehave(self, graph):
        time.sleep(1e6)


class Exits(_OnTarget):
    name = "exits"

    def misbehave(self, graph):
        sys.exit(3)  # SystemExit is no Exception: it would end the process


class SegfaultsEverywhere(MicrogradRef):
    name = "segfaults_everywhere"

    def run(self, graph):
        ctypes.string_at(0)


def _garbage(kind):
    class Garbage(_OnTarget):
        name = f"garbage_{kind}"

        def misbehave(self, graph):
            out = self.right(graph)
            if kind == "complex":
                out.grad[0] = complex(1.0, 2.0)
            elif kind == "string":
                out.data[-1] = "1.0"
            elif kind == "none":
                out.grad[-1] = None
            elif kind == "short":
                out.data.pop()
            elif kind == "nan":
                out.grad[0] = float("nan")
            elif kind == "not_a_replay":
                return {"data": out.data, "grad": out.grad}
            elif kind == "raises_unprintable":
                raise _Unprintable()
            return out

    return Garbage


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message")


GarbageComplex, GarbageString, GarbageNone, GarbageShort, GarbageNan, GarbageNotAReplay, GarbageUnprintable = (
    _garbage(k) for k in ("complex", "string", "none", "short", "nan", "not_a_replay", "raises_unprintable"))


class SetOrder(Engine):
    """A scalar engine whose backward sums each node's contributions in the order of a set of node objects (as
    classic micrograd's ``_prev`` set does): that order follows their addresses, so its bits vary from replay to
    replay and from process to process. Forward and each op's shares as micrograd_ref computes them."""

    name = "set_order"
    ops = frozenset(OPS)  # no select: a select node aliases its input (not modelled here)

    def order(self, consumers):
        return set(consumers)  # the set's order: by address

    def run(self, graph):
        tape = graph.tape
        vals = replay_tape(tape, lambda x, label: micrograd_ref.Value(x, label=label), ns=micrograd_ref)
        data = [v.data for v in vals]
        objs = [_Node() for _ in tape.nodes]
        received = [{} for _ in tape.nodes]  # node -> {consumer's object: [shares]}
        grad = [None] * len(tape.nodes)
        grad[tape.output] = 1.0
        for i in range(tape.output, -1, -1):
            if i != tape.output:
                total = None
                for consumer in self.order(received[i]):
                    for share in received[i][consumer]:
                        total = share if total is None else total + share
                grad[i] = total
            n = tape.nodes[i]
            if n.op is None or grad[i] is None:
                continue
            shares = compiled(OPS[n.op], ENGINE)[1](grad[i], data[i], *(data[j] for j in n.inputs), *n.params)
            for j, share in zip(n.inputs, shares):
                received[j].setdefault(objs[i], []).append(share)
        return Replay(data, [0.0 if g is None else g for g in grad])


class _Node:
    pass


class Alternating(SetOrder):
    """Sums each node's contributions in reverse (a failure), then in torch's order at the next replay, and so on:
    a failing case always varies between two replays (the in-process tests need that to be certain)."""

    name = "alternating"
    flip = False

    def order(self, consumers):  # a dict: its consumers in the order they sent (torch's), or reversed
        return list(consumers)[::-1] if Alternating.flip else list(consumers)

    def run(self, graph):
        Alternating.flip = not Alternating.flip
        return super().run(graph)


class MicrogradInSetOrder(Engine):
    """Classic micrograd 0.1.0 as it is, without the adapter's order fix (examples/micrograd_adapter.py): it
    differs from torch only in its order of summing (and in its conventions at special values)."""

    name = "micrograd_set_order"
    ops = frozenset({"add", "sub", "mul", "div", "neg", "pow_scalar", "relu"})

    def run(self, graph):
        from micrograd.engine import Value

        tape = graph.tape
        vals = replay_tape(tape, leaf=lambda x, label: Value(x), ns=None)
        vals[tape.output].backward()
        return Replay([float(v.data) for v in vals], [float(v.grad) for v in vals])


class LeafGrads(MicrogradRef):
    """micrograd_ref that keeps gradients only on leaves: an op node's grad reads as None."""

    name = "leaf_grads"
    grads = "leaves"
    promises = frozenset()

    def run(self, graph):
        out = super().run(graph)
        for n in graph.tape.nodes:
            if n.op is not None:
                out.grad[n.id] = None
        return out


class LeafGradsWrongAtOpNodes(LeafGrads):
    """Leaf gradients right, op nodes' gradients garbage (nan): not compared."""

    name = "leaf_grads_nan"

    def run(self, graph):
        out = super().run(graph)
        out.grad = [float("nan") if g is None else g for g in out.grad]
        return out


class AbortsAtExit(MicrogradRef):
    """Right on every graph; aborts when the interpreter exits (as a native extension's destructor may)."""

    name = "aborts_at_exit"

    def start(self):
        import atexit

        atexit.register(os.abort)
