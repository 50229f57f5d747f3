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
    """One 0-d float64 tensor per node, each op through torch's own spelling (a + b, a.relu(), torch.maximum);
    the gradient of the output with respect to every node (leaf or not) from one torch.autograd.grad call,
    which is what .grad holds after backward() with retain_grad() on every node, bit for bit."""

    name = "torch"

    def start(self):
        self.torch = import_torch()

    def run(self, graph):
        torch = self.torch if hasattr(self, "torch") else import_torch()
        f64, scalar = torch.float64, torch.scalar_tensor

        def leaf(x, label):
            return scalar(x, dtype=f64).requires_grad_()

        tape = graph.tape
        vals = replay_tape(tape, leaf, ns=torch)
        nodes = list({id(v): v for v in vals}.values())  # a select node is one of its inputs: ask once per tensor
        grads = torch.autograd.grad(vals[tape.output], nodes, allow_unused=True)
        by_id = {id(v): g for v, g in zip(nodes, grads)}
        with torch.no_grad():
            data = torch.stack(vals).tolist()
            grad = [0.0 if (g := by_id[id(v)]) is None else g.item() for v in vals]
        return Replay(data, grad)

    def timing_run(self, graph, backward=True):
        """The benchmarks' path: leaves as requires_grad tensors, the replay, one backward(); no grads captured."""
        torch = self.torch if hasattr(self, "torch") else import_torch()
        f64, scalar = torch.float64, torch.scalar_tensor
        tape = graph.tape
        root = replay_tape(tape, lambda x, label: scalar(x, dtype=f64).requires_grad_(), ns=torch)[tape.output]
        if backward:
            root.backward()

    def about(self):
        torch = import_torch()
        return {"name": self.name, "version": torch.__version__, "dtype": "float64"}
