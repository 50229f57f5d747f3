"""Bytes per node of a forward graph, with tracemalloc (Python allocations only: torch's C++ heap is invisible).

The graph is built through the engine's own API by parity's replay (parity.engines.replay_tape, the
harness's), so what is counted is what the engine allocates for the graph: node objects, their input tuples, op
outputs' floats (micrograd 0.1.0: also each node's __dict__, closure and set). Only the root is
kept (every node is reachable from it), so the replay's list of values is not counted.
"""

import gc
import tracemalloc

from . import engines

MEMORY_ENGINES = ("micrograd_ref", "micrograd")


def _builder(engine_name):
    """(leaf, ns) for parity's replay_tape: the engine's own Value and spelling."""
    if engine_name == "micrograd_ref":
        import micrograd_ref

        return (lambda x, label: micrograd_ref.Value(x)), micrograd_ref
    if engine_name == "micrograd":
        from micrograd.engine import Value

        return (lambda x, label: Value(x)), None
    raise KeyError(engine_name)


def graph_bytes(tape, engine_name):
    from parity.engines import replay_tape

    leaf, ns = _builder(engine_name)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = replay_tape(tape, leaf, ns=ns)[tape.output]  # the replay's list of values is freed at once
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del root
    gc.collect()
    return after - before


def measure(workloads=None):
    """[{workload, engine, nodes, bytes}] for the 100k chain and MLP-100 (default)."""
    if workloads is None:
        workloads = [("chain/100000", lambda: engines.series_tape("chain", 100_000)),
                     ("mlp/2_16_16_1_x100", lambda: engines.catalogue_tapes("mlp/2_16_16_1_x100")[0])]
    out = []
    for name, make in workloads:
        tape = make()
        for e in MEMORY_ENGINES:
            if not engines.supports(e, tape):
                continue
            try:
                b = graph_bytes(tape, e)
            except (ImportError, engines.Unsupported):
                continue
            out.append({"workload": name, "engine": e, "nodes": len(tape), "bytes": b})
        del tape
    return out
