"""torch.autograd in float64: one 0-d tensor per node, intermediate grads retained."""

import functools

from .base import Engine, EngineUnavailable, Replay, replay_tape

TORCH_MISSING = "torch is not installed in this Python; run `make parity` (it creates .venv with torch==2.13.0)"


def torch_missing():
    """The one-line fix that works here: `make parity` in the repository, a pip extra or golden outside it."""
    from ..installed import TORCH_EXTRA, advice

    return advice(TORCH_MISSING, f"torch is not installed in this Python: `{TORCH_EXTRA}` installs it "
                                 "(torch==2.13.0), or check against the stored vectors without torch: "
                                 "`python -m parity --reference golden`")


def import_torch():
    try:
        import torch
    except ImportError as exc:
        raise EngineUnavailable(torch_missing()) from exc
    return torch


TorchMissing = EngineUnavailable  # the name callers used before engines were plug-ins


class Torch(Engine):
    """One 0-d float64 tensor per node, each op through torch's own spelling (a + b, a.relu(), torch.maximum);
    the gradient of the output with respect to every node (leaf or not) from one torch.autograd.grad call,
    which is what .grad holds after backward() with retain_grad() on every node, bit for bit."""

    name = "torch"
    correctly_rounded = frozenset({"rsqrt"})  # until start() has looked at the platform

    def start(self):
        self.torch = import_torch()
        self.correctly_rounded = platform_correctly_rounded(self.torch)

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
        return {"name": self.name, "version": torch.__version__, "dtype": "float64", **platform(torch),
                "correctly_rounded": sorted(platform_correctly_rounded(torch))}


def platform(torch):
    """What decides torch's float64 roundings on this machine: MKL (its version and code branch, MKL_CBWR),
    ATen's CPU capability (without AVX2 tanh's backward does not fuse), the CPU."""
    import os
    import re

    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
    return {
        "mkl": (mkl.group(1) if mkl else "none") if torch.backends.mkl.is_available() else "none",
        "mkl_cbwr": os.environ.get("MKL_CBWR", "(unset: the CPU's fastest branch)"),
        "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "tanh_backward_fuses": _fuses(torch),
        "cpu": cpu_model(),
    }


@functools.cache  # the platform does not change within a process: measured once (start, about)
def _fuses(torch):
    """Whether torch's tanh backward rounds 1 - out * out once (fma), measured on 64 values, 0-d tensors as
    the engine replays them (18 of these 64 round differently in two roundings)."""
    from micrograd_ref.floats import one_minus_square

    outs = [(i * 0.6180339887498949) % 1.0 for i in range(1, 65)]
    one = torch.ones((), dtype=torch.float64)
    got = [torch.ops.aten.tanh_backward(one, torch.scalar_tensor(x, dtype=torch.float64)).item() for x in outs]
    return all(g == one_minus_square(x) for g, x in zip(got, outs))


def platform_correctly_rounded(torch):
    """The primitives torch rounds correctly here: rsqrt (x ** -0.5: IEEE sqrt, then a division) always;
    sqrt only without MKL (torch.sqrt goes through MKL's vdSqrt, 1 ulp, its rounding by CPU branch); fma when
    the tanh backward kernel fuses (ATen with AVX2 or better)."""
    cr = {"rsqrt"}
    if not torch.backends.mkl.is_available():
        cr.add("sqrt")
    if _fuses(torch):
        cr.add("fma")
    return frozenset(cr)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform as _platform

    return _platform.processor() or _platform.machine()
