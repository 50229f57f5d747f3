"""torch.autograd in float64: one 0-d tensor per node, intermediate grads retained."""

from .base import Engine, EngineUnavailable, Replay, replay_tape

TORCH_MISSING = "torch is not installed in this Python; run `make parity` (it creates .venv with torch==2.13.0)"


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise EngineUnavailable(TORCH_MISSING) from exc
    return torch


TorchMissing = EngineUnavailable  # the name callers used before engines were plug-ins


class Torch(Engine):
    name = "torch"

    def start(self):
        self.torch = import_torch()

    def run(self, graph):
        torch = self.torch if hasattr(self, "torch") else import_torch()
        f64 = torch.float64

        def leaf(x, label):
            return torch.tensor(x, dtype=f64, requires_grad=True)

        tape = graph.tape
        vals = replay_tape(tape, leaf, ns=torch, on_node=torch.Tensor.retain_grad)
        vals[tape.output].backward()
        data = [v.item() for v in vals]
        grad = [v.grad.item() if v.grad is not None else 0.0 for v in vals]
        return Replay(data, grad)

    def about(self):
        torch = import_torch()
        return {"name": self.name, "version": torch.__version__, "dtype": "float64"}
