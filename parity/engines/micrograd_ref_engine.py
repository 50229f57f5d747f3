"""micrograd_ref itself, replayed through its public API."""

import micrograd_ref

from .base import Engine, Replay, replay_tape


class MicrogradRef(Engine):
    name = "micrograd_ref"
    promises = frozenset({"backward twice"})

    def __init__(self, twice=True):
        self.twice = twice

    def run(self, graph):
        tape = graph.tape
        vals = replay_tape(tape, lambda x, label: micrograd_ref.Value(x, label=label), ns=micrograd_ref)
        root = vals[tape.output]
        root.backward()
        grads = [v.grad for v in vals]
        extra = {"values": vals}
        if self.twice:
            root.backward()
            extra["grads_twice"] = [v.grad for v in vals]
        return Replay([v.data for v in vals], grads, extra)

    def timing_run(self, graph, backward=True):
        """The benchmarks' path: replay and backward() only, nothing captured (no second backward)."""
        tape = graph.tape
        root = replay_tape(tape, lambda x, label: micrograd_ref.Value(x, label=label), ns=micrograd_ref)[tape.output]
        if backward:
            root.backward()

    def about(self):
        return {"name": self.name, "version": micrograd_ref.__version__}
