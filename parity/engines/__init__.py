"""The engines the harness can run, by name, and how a name on the command line becomes an engine.

  micrograd_ref        this project's engine
  torch                torch.autograd, float64
  jax                  JAX, float64 (x64 enabled)
  golden               the committed golden vectors (the spec's correctly rounded answers, stored; no torch needed)
  spec                 the spec computed live: the op table's formulas, correctly rounded (MPFR), torch's order
  port:CMD             a process speaking the line protocol (docs/SPEC.md), e.g. port:'node examples/js_port/port.js'
  micrograd:MODULE     any engine with micrograd's API, no adapter code (micrograd_api.py): in process, or with
                       python=PATH in that interpreter over the line protocol
  package.module:NAME  a Python adapter: an Engine subclass or instance (README, "Check your own engine")

Adding a built-in engine is one module plus one line in BUILTIN.
"""

import importlib

from .base import ALL_OPS, Engine, EngineError, EngineUnavailable, Graph, Replay, Unsupported, replay_tape
from .torch_engine import TorchMissing, import_torch

BUILTIN = {
    "micrograd_ref": "parity.engines.micrograd_ref_engine:MicrogradRef",
    "torch": "parity.engines.torch_engine:Torch",
    "jax": "parity.engines.jax_engine:Jax",
    "tensorflow": "parity.engines.tensorflow_engine:TensorFlow",
    "autograd": "parity.engines.autograd_engine:Autograd",
    "tinygrad": "parity.engines.tinygrad_engine:Tinygrad",
    "golden": "parity.engines.golden_engine:Golden",
    "spec": "parity.engines.spec_engine:Spec",
}

__all__ = ["ALL_OPS", "BUILTIN", "Engine", "EngineError", "EngineUnavailable", "Graph", "Replay", "TorchMissing", "Unsupported",
           "default_pair", "import_torch", "make", "replay", "replay_tape"]


def _load(target, what):
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineUnavailable(f"engine {what}: cannot import {module_name}: {exc}") from None
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise EngineUnavailable(f"engine {what}: {module_name} has no {attr}") from None
    engine = obj() if isinstance(obj, type) else obj
    missing = [a for a in ("name", "ops", "run") if not hasattr(engine, a)]
    if missing:
        raise EngineUnavailable(f"engine {what}: {target} is not an engine (it lacks {', '.join(missing)}; "
                                f"see README, 'Check your own engine')")
    return engine


_STARTED = {}


def started(spec):
    """The engine of that name, made and started once per process."""
    engine = _STARTED.get(spec)
    if engine is None:
        engine = make(spec)
        engine.start()
        _STARTED[spec] = engine
    return engine


def default_pair():
    """(candidate, reference) of a plain run, started: micrograd_ref against torch float64."""
    return started("micrograd_ref"), started("torch")


def replay(spec, tape, name="graph"):
    """One tape replayed in an engine given by name (started on first use): its Replay. For tests and notebooks."""
    return started(spec).run(Graph(name, "", tape))


def make(spec, timeout=30.0, python=None):
    """An engine from its command-line name (not started yet). EngineUnavailable (one line) when impossible.
    ``python``: the interpreter a micrograd:MODULE engine runs in (default: in this process)."""
    if spec.startswith("micrograd:"):
        from .micrograd_engine import micrograd_engine

        return micrograd_engine(spec[len("micrograd:"):], python=python, timeout=timeout)
    if python:
        raise EngineUnavailable(f"--python runs a micrograd:MODULE engine in another interpreter; {spec!r} is not one")
    if spec.startswith("port:"):
        from .port_engine import Port

        return Port(spec[len("port:"):], timeout=timeout)
    if spec in BUILTIN:
        return _load(BUILTIN[spec], spec)
    if ":" in spec and not spec.startswith(":"):
        return _load(spec, spec)
    raise EngineUnavailable(f"unknown engine {spec!r}: use one of {', '.join(BUILTIN)}, port:CMD, micrograd:MODULE "
                            f"or package.module:NAME")
