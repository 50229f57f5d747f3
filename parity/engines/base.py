"""What an engine is: anything that replays a graph and returns the data and grad of every node.

The harness compares two engines, a *candidate* and a *reference*, and names neither:
micrograd_ref, torch, JAX, the stored golden vectors, a port process speaking the
line protocol and any Python adapter are all the same kind of thing. An engine

- has a ``name`` (used in every report: ``jax=... torch=...``);
- says which ops it can replay (``ops``): a graph using another op is SKIPPED, not run;
- replays one graph: ``run(graph)`` returns a ``Replay`` (data and grad of every tape
  node after one ``backward()`` from the output), raises ``Unsupported`` when it cannot
  run that graph (the harness reports SKIPPED with the reason), or raises anything else
  when it failed (the harness reports that graph as ERROR with the engine's own error);
- may make extra promises the harness then checks (``promises``): ``"backward twice"``
  (a second ``backward()`` adds exactly the same gradients again; ``run`` returns them
  in ``extra["grads_twice"]``);
- says which primitives it rounds correctly on the platform it runs on (``correctly_rounded``,
  names from micrograd_ref.ops.PRIMITIVES): the values compared bit for bit are derived from it
  (parity/exactness.py). The default is what IEEE 754 requires of sqrt and fma, and so the spec;
  an engine on a library that does not round them correctly (torch on MKL) says so;
- may offer a cheaper mode for the benchmarks (``timing_run(graph, backward=True)``: replay and backward()
  without capturing every node's data and grad; default: ``run(graph)``, and no forward-only mode);
- says how it is reached (``route``): ``"in-process"`` (the default) or ``"line protocol"`` (a port process);
  the diagnosis gives hints about writing numbers as text to line-protocol engines only;
- may ship a file of declared differences from torch (``differences``, see
  ``parity/expectations.py``): where the engine follows another framework's convention
  on purpose;
- says whether it keeps a gradient on every node (``grads = "all"``, the default) or only on leaves
  (``grads = "leaves"``): then only leaves' gradients are compared (an op node's grad may be anything)
  and the reports say so.

Writing one is a class with a ``name``, ``ops`` and ``run``; see README, "Check your own engine".
"""

from dataclasses import dataclass, field
from functools import cached_property

from micrograd_ref.ops import OPS

from ..exactness import SPEC_CORRECTLY_ROUNDED
from ..tape import replay_select

# The op table's ops, plus "select": builtin max/min/sorted or a comparison on values, which picks one of
# its inputs and makes no node (parity/tape.py); engines whose values compare (and ports) declare it.
ALL_OPS = frozenset(OPS) | {"select"}


# The ops every framework spells with Python's operators on its own arrays or tensors (a + b, a ** k): the
# framework engines' op tables start from these and add their own names for relu, tanh, maximum, ...
OPERATORS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, b: a ** b,
    "pow_scalar": lambda a, k: a ** k,
}


class Unsupported(Exception):
    """This engine cannot run this graph (an op it lacks, no stored answer): the graph is SKIPPED."""


class EngineError(Exception):
    """An engine's own, already worded, report that it failed on one graph (a port's error answer, a crash, a
    timeout): shown as "NAME: message" where any other exception is shown as "NAME raised Type: message"."""


class EngineUnavailable(Exception):
    """The engine cannot run at all (a module that is not installed, a port failing its handshake).
    The message is one line that says how to fix it; the CLI prints it and exits 2 before any work."""


@dataclass
class Replay:
    """data[i] and grad[i] of every tape node i after one backward() from the output."""

    data: list
    grad: list
    extra: dict = field(default_factory=dict)  # "grads_twice": [...]; "values": the engine's own node objects


@dataclass(frozen=True, eq=False)
class Graph:
    """One graph to replay: a case of a catalogue entry, as a tape (parity/tape.py)."""

    entry: str
    case: str
    tape: object

    @property
    def name(self):
        return f"{self.entry} [{self.case}]" if self.case else self.entry

    @cached_property
    def ops(self):
        return frozenset(n.op for n in self.tape.nodes if n.op is not None)


class Engine:
    """Base class of engines; subclasses set ``name`` and ``ops`` and define ``run``."""

    name = "engine"
    ops = ALL_OPS
    correctly_rounded = SPEC_CORRECTLY_ROUNDED  # primitives (ops.PRIMITIVES) it rounds correctly here
    promises = frozenset()
    differences = None  # path of the engine's declared differences from torch, or None
    grads = "all"  # "all": every node's grad is read; "leaves": only leaves keep gradients (op nodes' not compared)
    route = "in-process"  # how the harness reaches it: "in-process" or "line protocol" (what the diagnosis may hint)

    def start(self):
        """Prepare to run (import a framework, start a process). Raise EngineUnavailable when impossible."""

    def run(self, graph):
        raise NotImplementedError

    def timing_run(self, graph, backward=True):
        """What the benchmarks time (bench/, `make bench`): one replay of the graph and, unless ``backward`` is
        False, one backward() from its output; returns nothing. The default is ``run(graph)``, which also captures
        every node's data and grad; an engine overrides it with a path that skips capturing (and may time a
        forward alone). Raise Unsupported for what cannot be timed; the default has no forward-only mode."""
        if not backward:
            raise Unsupported(f"{self.name} has no forward-only timing mode")
        self.run(graph)

    def close(self):
        """Release what start() took (a process, a file)."""

    def after_fork(self):
        """Called in a forked worker process: drop what must not be shared with the parent (a port's pipes)."""

    def about(self):
        """What to record about this engine in reports (name, versions)."""
        return {"name": self.name}

    def missing_ops(self, graph):
        return graph.ops - self.ops

    def __repr__(self):
        return f"<engine {self.name}>"


def replay_tape(tape, leaf, call=None, ns=None, on_node=None):
    """The engine objects of every tape node, in order: leaves made by ``leaf(x, label)``, op nodes by
    ``call(op_name, inputs, params)`` or, with ``ns``, through the op's public spelling
    (``OPS[op].call(ns, *inputs, *params)``: ``a + b``, ``a.relu()``, ``ns.maximum(a, b)``)."""
    vals = []
    append = vals.append
    for n in tape.nodes:
        if n.op is None:
            v = leaf(n.data, n.label)
        elif n.op == "select":  # the engine's own max/min/sorted/comparison on its own values picks an input
            v = replay_select(tape, n, vals)
        elif call is not None:
            v = call(n.op, [vals[i] for i in n.inputs], n.params)
        else:
            v = OPS[n.op].call(ns, *(vals[i] for i in n.inputs), *n.params)
        if on_node is not None and n.op is not None and n.op != "select":
            on_node(v)
        append(v)
    return vals
