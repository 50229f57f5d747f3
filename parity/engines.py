"""Replaying one tape in each engine through that engine's public API."""

import micrograd_ref
from micrograd_ref.ops import OPS

from .tape import replay_select


class EngineResult:
    """data[i], grad[i] of every tape node i after one backward() from the output."""

    def __init__(self, data, grad, extra=None):
        self.data = data
        self.grad = grad
        self.extra = extra or {}


def _replay(tape, ns, make_leaf, on_node=None):
    vals = []
    for n in tape.nodes:
        if n.op is None:
            v = make_leaf(n.data, n.label)
        elif n.op == "select":  # builtin max/min/sorted or a comparison, made by the engine (parity/tape.py)
            v = replay_select(tape, n, vals)
        else:
            v = OPS[n.op].call(ns, *(vals[i] for i in n.inputs), *n.params)
            if on_node is not None:
                on_node(v)
        vals.append(v)
    return vals


def run_micrograd_ref(tape, twice=True):
    """Replay in micrograd_ref; with twice=True also run backward() a second time and keep those grads."""
    vals = _replay(tape, micrograd_ref, lambda x, label: micrograd_ref.Value(x, label=label))
    root = vals[tape.output]
    root.backward()
    grads = [v.grad for v in vals]
    extra = {"values": vals}
    if twice:
        root.backward()
        extra["grads_twice"] = [v.grad for v in vals]
    return EngineResult([v.data for v in vals], grads, extra)


class TorchMissing(RuntimeError):
    pass


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise TorchMissing(
            "torch is not installed in this Python; run `make parity` (it creates .venv with torch==2.13.0)"
        ) from exc
    return torch


def run_torch(tape):
    """Replay in torch.autograd, float64, one 0-d tensor per node; intermediate grads retained."""
    torch = import_torch()

    def leaf(x, label):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    vals = _replay(tape, torch, leaf, on_node=lambda t: t.retain_grad())
    vals[tape.output].backward()
    data = [v.item() for v in vals]
    grad = [v.grad.item() if v.grad is not None else 0.0 for v in vals]
    return EngineResult(data, grad)


ENGINES = {"micrograd_ref": run_micrograd_ref, "torch": run_torch}
