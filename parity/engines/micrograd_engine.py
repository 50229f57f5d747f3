"""``micrograd:MODULE``: any engine with micrograd's API, no adapter code (parity/engines/micrograd_api.py finds
its value class, probes its ops and replays graphs with it).

  MicrogradAPI   in this process (``--engine micrograd:MODULE``)
  MicrogradPort  in another interpreter, the engine's own venv (``--engine micrograd:MODULE --python PATH``):
                 micrograd_api.py run there as a script, speaking the line protocol; a crash, a hang or an exit
                 is that graph's error and the process is restarted (port_engine.Port)

Once started, both hold the probe's one line in ``intro`` (ops found, ops missing and why, gradients), which the
command prints before the run, and both set ``grads = "leaves"`` for an engine that keeps gradients on leaves only.
"""

import os
import subprocess

from .base import Engine, EngineError, EngineUnavailable, Replay
from .micrograd_api import FATAL, Garbage, Unusable, probed
from .port_engine import Port, parse_line

PREFIX = "micrograd:"
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "micrograd_api.py")  # what --python runs


def micrograd_engine(target, python=None, timeout=30.0):
    """The engine of ``micrograd:TARGET``: in process, or in the interpreter ``python`` over the line protocol."""
    if not target:
        raise EngineUnavailable("micrograd: no module given (use micrograd:MODULE or micrograd:PACKAGE.MODULE.CLASS)")
    if python:
        return MicrogradPort(target, python, timeout=timeout)
    return MicrogradAPI(target)


class MicrogradAPI(Engine):
    """A micrograd-API engine in this process."""

    grads = "all"
    intro = ""

    def __init__(self, target):
        self.target = target
        self.name = target
        self.ops = frozenset()
        self.adapter = None

    def start(self):
        if self.adapter is not None:
            return
        try:
            self.adapter = probed(self.target)
        except Unusable as exc:
            raise EngineUnavailable(f"{PREFIX}{self.target}: {exc}") from None
        self.ops = frozenset(self.adapter.ops)
        self.grads = self.adapter.grads
        self.intro = self.adapter.describe()

    def run(self, graph):
        try:
            data, grad = self.adapter.replay(graph.tape.nodes, graph.tape.output)
        except Garbage as exc:
            raise EngineError(str(exc)) from None
        return Replay(data, grad)

    def about(self):
        out = {"name": self.name, "adapter": "micrograd API (automatic)"}
        if self.adapter is not None:
            out.update(self.adapter.about())
        return out


class MicrogradPort(Port):
    """A micrograd-API engine in the interpreter ``python`` (its own venv): micrograd_api.py as a port."""

    grads = "all"
    intro = ""

    def __init__(self, target, python, timeout=30.0):
        super().__init__([python, SCRIPT, target], timeout=timeout)
        self.target = target
        self.python = python

    @property
    def name(self):
        return self.target

    def start(self):
        if self.hello is None:
            self._check_interpreter()
        try:
            super().start()
        except EngineUnavailable as exc:
            fatal = self._fatal_line()
            raise EngineUnavailable(f"{fatal} (in --python {self.python})" if fatal else str(exc)) from None
        self.grads = self.hello["grads"]
        self.intro = self.hello["line"]

    def _check_interpreter(self):
        """--python must run Python 3.8 or later; EngineUnavailable (exit 2) otherwise."""
        what = f"--python {self.python}"
        try:
            done = subprocess.run([self.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        except OSError as exc:
            raise EngineUnavailable(f"{what}: not a Python interpreter that runs here ({exc.strerror or exc})") from None
        except subprocess.TimeoutExpired:
            raise EngineUnavailable(f"{what}: not a working Python interpreter (no answer in 60 s)") from None
        out = done.stdout.strip()
        try:
            version = tuple(int(x) for x in out.split("."))
        except ValueError:
            version = ()
        if done.returncode != 0 or len(version) != 2:
            err = " | ".join(done.stderr.strip().splitlines()[-2:])
            raise EngineUnavailable(f"{what}: not a working Python interpreter (it exited with code {done.returncode}"
                                    + (f": {err[:200]}" if err else "") + ")")
        if version < (3, 8):
            raise EngineUnavailable(f"{what}: Python {out}; the micrograd adapter needs Python 3.8 or later")

    def _fatal_line(self):
        """The script's one-line setup failure (FATAL), once its stderr has been read."""
        err = getattr(self, "err", None)
        if err is None:  # it never started
            return None
        err.ended.wait(2.0)  # the script has exited (or was stopped): its stderr ends once read to the end
        return next((line[len(FATAL):].strip() for line in err if line.startswith(FATAL)), None)

    def _check_hello(self, line):
        hello = super()._check_hello(line)
        raw = parse_line(line)
        grads = raw.get("grads", "all")
        hello["grads"] = grads if grads in ("all", "leaves") else "all"
        hello["line"] = str(raw.get("line", f"{PREFIX}{self.target}: ops {', '.join(hello['ops'])}"))
        for key in ("value_class", "backward", "missing", "remarks"):
            if key in raw:
                hello[key] = raw[key]
        return hello

    def about(self):
        out = super().about()
        out.pop("line", None)
        return {**out, "name": self.name, "python": self.python, "adapter": "micrograd API (automatic)"}
