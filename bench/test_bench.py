"""pytest-benchmark over every catalogue graph and the scaling series (run with `python -m bench`).

Not collected by `make test` (pyproject's testpaths is tests/, addopts has --benchmark-disable);
run it with `python -m bench`, or directly:
    .venv/bin/python -m pytest bench/test_bench.py --benchmark-enable -p no:cacheprovider -k mlp

Each benchmark carries extra_info {group, workload, engine, mode, nodes, series, size}, which
bench.report reads back from the JSON. An engine that cannot express a graph is skipped as 'n/a';
one that raises on it (classic micrograd's recursive topological sort past ~1000 chained ops:
RecursionError) is skipped as 'FAIL (...)'; both are recorded in bench.registry for the table.
GC stays on (no --benchmark-disable-gc). The timed callables return None, so freeing the graph is timed.
"""

import gc
import math
import time

import pytest

from bench import engines, registry
from bench.engines import ENGINES, FRAMEWORKS, SERIES, Unsupported
from parity.engines import Unsupported as EngineUnsupported

try:
    from parity.catalogue import CATALOGUE
except Exception:  # pragma: no cover - the catalogue is being edited elsewhere; fail loudly in the tests
    CATALOGUE = {}

CATALOGUE_NAMES = list(CATALOGUE)
MLP_NAMES = [n for n in CATALOGUE_NAMES if n.startswith("mlp/") and CATALOGUE[n].kind == "graph"]
MODES = ("fwd", "fwd+bwd")
MLP100 = "mlp/2_16_16_1_x100"
# the catalogue's MLP-100 is the scaling series' batch-100 point (same weights seed 3, points seed 2)
SERIES_ALIAS = {MLP100: ("mlp", 100)}
TRAIN_STEPS_DEFAULT = {"steps": 20, "lr": 0.05}


def _rounds(t):
    """Rounds for pedantic mode from one trial run of t seconds (slow graphs: few rounds)."""
    if t > 0.7:
        return 3
    if t > 0.15:
        return 5
    return 9


def _measure(benchmark, fn, info):
    benchmark.extra_info.update(info)
    gc.collect()
    t0 = time.perf_counter()
    try:
        fn()  # trial run: warms up, and tells an engine that fails from one that is slow
    except EngineUnsupported as exc:  # a graph over an engine's measured budget (its reason says which)
        _na(info, str(exc))
    except (RecursionError, ArithmeticError, ValueError, TypeError, AssertionError) as exc:
        status = f"FAIL ({type(exc).__name__})"
        registry.record(info, status)
        pytest.skip(f"{status}: {exc}"[:200])
    t = time.perf_counter() - t0
    if t < 0.02:
        benchmark(fn)  # calibrated rounds, bounded by --benchmark-max-time
    else:
        benchmark.pedantic(fn, rounds=_rounds(t), iterations=1, warmup_rounds=0)


def _na(info, why):
    registry.record(info, "n/a")
    pytest.skip(f"n/a: {why}")


def _info(group, workload, engine, mode, nodes, series=None, size=None):
    return {"group": group, "workload": workload, "engine": engine, "mode": mode, "nodes": nodes,
            "series": series, "size": size}


CATALOGUE_RUNS = [(e, m) for e in ENGINES for m in MODES] + [(e, "fwd+bwd") for e in FRAMEWORKS]


@pytest.mark.parametrize("engine,mode", CATALOGUE_RUNS, ids=[f"{e}-{m}" for e, m in CATALOGUE_RUNS])
@pytest.mark.parametrize("name", CATALOGUE_NAMES)
def test_catalogue(benchmark, name, engine, mode):
    entry = CATALOGUE[name]
    tapes = engines.catalogue_tapes(name)
    series, size = SERIES_ALIAS.get(name, (None, None))
    info = _info("catalogue", name, engine, mode, sum(len(t) for t in tapes), series, size)
    try:
        if entry.kind == "training":
            if mode == "fwd":
                _na(info, "a training entry is timed as whole SGD steps (fwd+bwd+update)")
            from parity.catalogue import TRAINING

            cfg = TRAINING.get(name, TRAIN_STEPS_DEFAULT)
            fn = engines.training(tapes[0], engine, cfg["steps"], cfg["lr"])
            info["nodes"] *= cfg["steps"]
        else:
            fn = engines.workload(tapes, engine, mode)
    except Unsupported as exc:
        _na(info, str(exc))
    del tapes
    _measure(benchmark, fn, info)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", MLP_NAMES)
def test_mlp_torch_vectorized(benchmark, name, mode):
    (tape,) = engines.catalogue_tapes(name)
    spec = engines.MLPSpec(tape)
    fn, loss = engines.torch_vectorized(spec, mode)
    expected = tape.evaluate()[tape.output]
    got = loss().item()
    assert math.isclose(got, expected, rel_tol=1e-9), (name, got, expected)
    replay = engines.engine("micrograd_ref").run(engines.graphs([tape])[0])
    assert math.isclose(replay.data[tape.output], expected, rel_tol=1e-9)
    series, size = SERIES_ALIAS.get(name, (None, None))
    info = _info("catalogue", name, "torch-vec", mode, len(tape), series, size)
    del tape
    _measure(benchmark, fn, info)


@pytest.mark.parametrize("how", ("floats-table", "floats-hand"))
def test_mlp100_plain_floats(benchmark, how):
    (tape,) = engines.catalogue_tapes(MLP100)
    expected = tape.evaluate()[tape.output]
    if how == "floats-table":
        fn = engines.floats_table(tape)
    else:
        fn = engines.floats_hand(engines.MLPSpec(tape))
        assert math.isclose(fn(), expected, rel_tol=1e-9)
    _measure(benchmark, fn, _info("floats", MLP100, how, "fwd", len(tape)))


SERIES_CASES = [
    (series, size) for series, sizes in SERIES.items() for size in sizes if (series, size) != ("mlp", 100)
]


@pytest.mark.parametrize("engine", ENGINES + ("torch-vec",))
@pytest.mark.parametrize("series,size", SERIES_CASES, ids=[f"{s}-{n}" for s, n in SERIES_CASES])
def test_scaling(benchmark, series, size, engine):
    tape = engines.series_tape(series, size)
    info = _info("series", f"{series}/{size}", engine, "fwd+bwd", len(tape), series, size)
    if engine == "torch-vec":
        if series != "mlp":
            _na(info, "vectorized torch only for the MLP series")
        fn, _ = engines.torch_vectorized(engines.MLPSpec(tape), "fwd+bwd")
    else:
        try:
            fn = engines.workload([tape], engine, "fwd+bwd")
        except Unsupported as exc:
            _na(info, str(exc))
    del tape
    _measure(benchmark, fn, info)


# --- the cost of backward()'s lock (one acquire and release per call; see micrograd_ref/engine.py) ----------

LOCK_WORKLOADS = {"lock/mlp100": "MLP-100 fwd+bwd", "lock/leaf": "backward() of a lone leaf (per-call overhead)"}


def _backward_without_lock(self):
    """Value.backward without its lock: the same walk and the same reset, i.e. the engine before the lock.
    Run with engine.py's globals (see _unlocked), so it looks up exactly what Value.backward looks up."""
    try:
        _propagate(self)  # noqa: F821 - resolved in micrograd_ref.engine's namespace
    except BaseException:
        _reset(self)  # noqa: F821
        raise


def _unlocked():
    import types

    from micrograd_ref import engine

    return types.FunctionType(_backward_without_lock.__code__, engine.__dict__, "backward")


@pytest.mark.parametrize("lock", ("with-lock", "no-lock"))
@pytest.mark.parametrize("workload", list(LOCK_WORKLOADS))
def test_backward_lock_cost(benchmark, monkeypatch, workload, lock):
    from micrograd_ref import Value

    if lock == "no-lock":
        monkeypatch.setattr(Value, "backward", _unlocked())
    if workload == "lock/mlp100":
        tapes = engines.catalogue_tapes(MLP100)
        nodes = sum(len(t) for t in tapes)
        fn = engines.workload(tapes, "micrograd_ref", "fwd+bwd")
        del tapes
    else:
        x, nodes = Value(1.0), 1
        fn = x.backward  # looked up after the patch
    _measure(benchmark, fn, _info("lock", workload, lock, "fwd+bwd", nodes))
