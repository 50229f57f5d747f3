"""Any engine with micrograd's API, checked with no adapter code: found, probed, replayed and served.

    python -m parity --engine micrograd:MODULE [graphs]                  in the harness's own interpreter
    python -m parity --engine micrograd:MODULE --python ENV/bin/python   in the engine's own interpreter
    ENV/bin/python .../parity/engines/micrograd_api.py MODULE            what --python runs: a port process

MODULE names the engine's module (``micrograd``, ``mypkg``) or its value class (``mypkg.core.Scalar``).
The class is found as MODULE.Value, MODULE.engine.Value, or the one class with a ``backward()`` (or
``backwards()``) method in MODULE and its submodules. Then a probe on small, exactly known inputs finds
which of the spec's ops work, under the spellings people use: ``v + w``, ``v - w``, ``v * w``, ``v / w``,
``-v``, ``v ** w``, ``v ** k``; methods ``relu``/``ReLU``, ``tanh``, ``exp``, ``log``/``ln``, ``sigmoid``
(or module functions of those names); ``maximum``/``minimum`` functions; ``select`` (builtin max/min/sorted
and ``< <= > >=``) when the values compare. An op is declared when it gives the right value and its
backward runs, leaving real numbers in the inputs' ``.grad``; anything else is "missing", with why. The
probe also reads an op node's ``.grad`` after backward: an engine that keeps gradients only on leaves is
declared ``grads = "leaves"`` (only leaves' gradients are then compared).

Standard library only, Python 3.8+, and nothing else installed: run as a script in the engine's own venv,
it speaks the line protocol (docs/SPEC.md, section 7) on stdin/stdout; imported, it is what the in-process
engine (parity/engines/micrograd_engine.py) replays graphs with. A setup failure (MODULE does not import,
has no value class, the class has no backward, no op works) is one line on stderr and exit status 2.
"""

import importlib
import json
import math
import numbers
import operator
import os
import pkgutil
import select
import signal
import struct
import sys
import time

PROTOCOL = 1
FATAL = "micrograd API: "  # the script's one-line setup failure on stderr starts with this
LEAVES, ALL = "leaves", "all"

# The spelling of each op, tried in order; an op is found under the first that works on every probe.
BINARY_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
DUNDERS = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__"}
PYTHON_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                    "**": operator.pow}
METHOD_NAMES = {
    "relu": ("relu", "ReLU", "Relu"),
    "tanh": ("tanh", "Tanh"),
    "exp": ("exp", "Exp"),
    "log": ("log", "ln", "Log", "Ln"),
    "sigmoid": ("sigmoid", "Sigmoid"),
    "maximum": ("maximum",),
    "minimum": ("minimum",),
}
# (inputs, params, expected data): easy inputs, exact answers; every one must give the right value
PROBES = {
    "add": [((2.0, 3.0), (), 5.0)],
    "sub": [((2.0, 3.0), (), -1.0)],
    "mul": [((2.0, 3.0), (), 6.0)],
    "div": [((3.0, 2.0), (), 1.5)],
    "neg": [((2.0,), (), -2.0)],
    "pow": [((2.0, 3.0), (), 8.0)],
    "pow_scalar": [((3.0,), (2.0,), 9.0), ((4.0,), (0.5,), 2.0)],
    "relu": [((2.5,), (), 2.5), ((-1.5,), (), 0.0)],
    "tanh": [((0.5,), (), math.tanh(0.5))],
    "exp": [((0.5,), (), math.exp(0.5))],
    "log": [((2.0,), (), math.log(2.0))],
    "sigmoid": [((0.5,), (), 1.0 / (1.0 + math.exp(-0.5)))],
    "maximum": [((2.0, 3.0), (), 3.0), ((3.0, 2.0), (), 3.0)],
    "minimum": [((2.0, 3.0), (), 2.0), ((3.0, 2.0), (), 2.0)],
}
OPS = (*PROBES, "select")  # the spec's ops (micrograd_ref/ops.py) and the select pseudo-op
PROBE_RTOL = 1e-6  # a float32 engine still has its ops found (the harness then reports its rounding)
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
PROBE_LIMIT = 10.0  # seconds one step of the probe may take in its rehearsal before it is said to hang
# the op tried when probing whether op nodes keep their gradient: c = f(a, b), d = f(c, a), d.backward()
GRAD_PROBE_ORDER = ("add", "mul", "sub", "neg", "exp", "tanh", "sigmoid", "div", "pow_scalar", "relu", "log",
                    "pow", "maximum", "minimum")


class Unusable(Exception):
    """The engine cannot be checked at all (one line saying what was looked for)."""


class Garbage(Exception):
    """An engine's data or grad that is not a real number (complex, str, None): that graph's error."""


def real(x, what):
    """x as a Python float when it is a real number (float, int, a numpy real scalar); Garbage otherwise."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        try:
            return float(x)
        except (OverflowError, TypeError, ValueError) as exc:
            raise Garbage(f"{what} is {_show(x)}: {exc}") from None
    raise Garbage(f"{what} is {_show(x)}, not a real number")


def _show(x):
    text = repr(x)
    return f"{type(x).__name__} {text[:60] + ('...' if len(text) > 60 else '')}"


def _why(exc):
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}" + (f": {text[:70]}" if text else "")


def _spelled(obj, names):
    """The names, then any other attribute of obj that is one of them in another case (``reLU``, ``LN``)."""
    lower = {n.lower() for n in names}
    try:
        others = sorted(a for a in dir(obj) if a.lower() in lower and a not in names)
    except Exception:  # a module or class whose dir() fails
        others = []
    return [*names, *others]


def _near(x, want):
    return abs(x - want) <= PROBE_RTOL * max(1.0, abs(want))


# --- finding the value class ----------------------------------------------------------------------

def _import(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise Unusable(f"cannot import {name}: {_why(exc)}") from None
    except BaseException as exc:  # a module that raises (or exits) on import cannot be checked
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise Unusable(f"cannot import {name}: {_why(exc)}") from None


def _backward_name(cls):
    for name in ("backward", "backwards"):
        if callable(getattr(cls, name, None)):
            return name
    return None


def _value_classes(module):
    """Classes defined in or imported into module that have a backward() or backwards() method."""
    out = []
    for name in sorted(vars(module)):
        obj = vars(module)[name]
        if isinstance(obj, type) and _backward_name(obj) and obj not in out:
            out.append(obj)
    return out


def _where(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def find_value_class(target):
    """(class, its module): ``target`` is MODULE or PACKAGE.MODULE.CLASS. Unusable when there is none."""
    module = _import(target)
    if module is None:  # PACKAGE.MODULE.CLASS, or a module that does not exist
        head, _, attr = target.rpartition(".")
        parent = _import(head) if head else None
        if parent is None:
            raise Unusable(f"cannot import {target}: no module named {target!r}"
                           + (f" (nor {head!r})" if head else ""))
        cls = getattr(parent, attr, None)
        if not isinstance(cls, type):
            raise Unusable(f"cannot import {target}: {head} has no module or class named {attr!r}")
        return _checked(cls, target), parent
    looked = [f"{target}.Value", f"{target}.engine.Value"]
    cls = getattr(module, "Value", None)
    if isinstance(cls, type):
        return _checked(cls, f"{target}.Value"), module
    if hasattr(module, "__path__"):
        engine = _import_quietly(f"{target}.engine")
        if engine is not None and isinstance(getattr(engine, "Value", None), type):
            return _checked(engine.Value, f"{target}.engine.Value"), module
    found = _value_classes(module)
    if not found and hasattr(module, "__path__"):  # a package: its submodules, one level down
        for info in pkgutil.iter_modules(module.__path__):
            if info.name.startswith(("_", "test")) or info.name in ("setup", "conftest"):
                continue
            sub = _import_quietly(f"{target}.{info.name}")
            if sub is not None:
                found += [c for c in _value_classes(sub) if c not in found]
    if len(found) == 1:
        return found[0], module
    if found:
        raise Unusable(f"several classes with a backward() method in {target} "
                       f"({', '.join(_where(c) for c in found[:4])}): name one, micrograd:{_where(found[0])}")
    raise Unusable(f"no Value class in {target}: looked for {', '.join(looked)} and a class with a backward() or "
                   f"backwards() method in {target}" + (" and its submodules" if hasattr(module, "__path__") else "")
                   + f" (name it: micrograd:{target}.MODULE.CLASS)")


def _import_quietly(name):
    try:
        return _import(name)
    except Unusable:
        return None


def _checked(cls, where):
    if not isinstance(cls, type):
        raise Unusable(f"{where} is not a class")
    if _backward_name(cls) is None:
        raise Unusable(f"{where} has no backward() or backwards() method")
    return cls


def _version(module, cls):
    for m in (module, sys.modules.get(cls.__module__)):
        v = getattr(m, "__version__", None)
        if isinstance(v, str) and v:
            return v
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover (3.8+ has it)
        return "unknown"
    try:  # the distribution named like the top-level package (micrograd 0.1.0 has no __version__)
        return metadata.version(cls.__module__.split(".")[0])
    except Exception:
        pass
    return "unknown"


# --- the adapter: probe and replay ----------------------------------------------------------------

class Adapter:
    """A micrograd-API engine, found and probed. ``ops``: {op: function(*values, *params)}; ``missing``:
    {op: why}; ``grads``: "all" or "leaves"; ``remarks``: what works only in part (``2 - v`` raising)."""

    def __init__(self, target, skip=None, step=None):
        """``skip``: {op or "gradients": why} of probe steps not to run (they crashed or hung a rehearsal, see
        probed); ``step``: called with each step's name before it runs (the rehearsal's progress)."""
        self.target = target
        self.skip, self._step = dict(skip or {}), step or (lambda name: None)
        self._step("import")
        self.cls, self.module = find_value_class(target)
        self.value_class = _where(self.cls)
        self.backward_name = _backward_name(self.cls)
        self.version = _version(self.module, self.cls)
        self.ops, self.missing, self.remarks, self.unspelled = {}, {}, [], []
        self._step("leaf")
        self._check_leaf()
        self._probe()
        if not self.ops:
            raise Unusable(f"the probe found no op of {self.value_class} that works: "
                           + "; ".join(f"{op}: {why}" for op, why in self.missing.items()))
        self._step("gradients")
        self.grads = self._probe_grads()

    # -- probing --
    def leaf(self, x):
        return self.cls(x)

    def backward(self, v):
        getattr(v, self.backward_name)()

    def _functions(self):
        """Modules whose functions may be the ops (relu(v), maximum(a, b)): the class's module, then MODULE."""
        out = [sys.modules.get(self.cls.__module__)]
        if self.module not in out:
            out.append(self.module)
        return [m for m in out if m is not None]

    def _check_leaf(self):
        try:
            v = self.leaf(2.0)
        except Exception as exc:
            raise Unusable(f"{self.value_class}(2.0) raised {_why(exc)}") from None
        try:
            data = real(getattr(v, "data"), f"{self.value_class}(2.0).data")
        except AttributeError:
            raise Unusable(f"{self.value_class}(2.0) has no .data") from None
        except Garbage as exc:
            raise Unusable(str(exc)) from None
        if not _near(data, 2.0):
            raise Unusable(f"{self.value_class}(2.0).data is {data!r}")

    def _try(self, fn, spelling, cases):
        """None when fn gives the expected data on every case and its backward leaves numbers in the inputs'
        .grad, else why not. ``spelling`` shows the call with {a}, {b} and {k} for the inputs and the parameter."""
        for xs, ps, want in cases:
            name = self.cls.__name__
            shown = spelling.format(a=f"{name}({xs[0]!r})", b=f"{name}({xs[-1]!r})", k=ps[0] if ps else "k")
            try:
                vs = [self.leaf(x) for x in xs]
                out = fn(*vs, *ps)
                got = real(out.data, f"({shown}).data")
                # inside the try: a C extension may return a result with an error still pending, which then
                # surfaces at the next operation, here (minigrad 0.0.6's Value ** Value)
                near = _near(got, want)
            except Garbage as exc:
                return str(exc)
            except Exception as exc:
                return f"{shown} raised {_why(exc)}"
            if not near:
                return f"{shown} gave {got!r}, not {want!r}"
            try:
                self.backward(out)
                for v in vs:
                    real(v.grad, f"an input's .grad after ({shown}).{self.backward_name}()")
            except Garbage as exc:
                return str(exc)
            except Exception as exc:
                return f"{self.backward_name}() of {shown} raised {_why(exc)}"
        return None

    def _skipped(self, op):
        """True when op's probe is skipped (it crashed or hung a rehearsal): op is missing with why. Otherwise
        the rehearsal is told that op's probe begins."""
        if op in self.skip:
            self.missing[op] = self.skip[op]
            return True
        self._step(op)
        return False

    def _find(self, op, candidates, nothing):
        """Try (spelling, function) candidates in order; the first that works is the op. ``nothing``: why the
        op is missing when there is no candidate at all."""
        if self._skipped(op):
            return
        first_why = None
        for spelling, fn in candidates:
            why = self._try(fn, spelling, PROBES[op])
            if why is None:
                self.ops[op] = fn
                self.spellings[op] = spelling.format(a="v", b="w", k="k")
                return
            first_why = first_why or why
        self.missing[op] = first_why or nothing
        if first_why is None:
            self.unspelled.append(op)

    def _probe(self):
        self.spellings = {}
        for op, symbol in BINARY_OPERATORS.items():
            fn = PYTHON_OPERATORS[symbol]
            self._find(op, [("{a} %s {b}" % symbol, fn)] if hasattr(self.cls, DUNDERS[symbol]) else [], "no operator")
            if op in self.ops:  # the other sides, as user code writes them with a plain number
                sides = [("{a} %s 2.0" % symbol, lambda v, fn=fn: fn(v, 2.0), fn(3.0, 2.0)),
                         ("2.0 %s {a}" % symbol, lambda v, fn=fn: fn(2.0, v), fn(2.0, 3.0))]
                for spelling, side, want in sides[op == "pow":]:  # v ** 2.0 is pow_scalar, probed on its own
                    why = self._try(side, spelling, [((3.0,), (), want)])
                    if why is not None:
                        self.remarks.append(why)
        self._find("neg", [("-{a}", operator.neg)] if hasattr(self.cls, "__neg__") else [], "no operator")
        self._find("pow_scalar", [("{a} ** {k}", operator.pow)] if hasattr(self.cls, "__pow__") else [], "no operator")
        modules = self._functions()
        for op, names in METHOD_NAMES.items():
            binary = op in ("maximum", "minimum")
            candidates = [("{a}.%s({b})" % name if binary else "{a}.%s()" % name,
                           (lambda a, b, n=name: getattr(a, n)(b)) if binary else (lambda a, n=name: getattr(a, n)()))
                          for name in _spelled(self.cls, names) if callable(getattr(self.cls, name, None))]
            for module in modules:
                for name in _spelled(module, names):
                    f = getattr(module, name, None)
                    if callable(f) and not isinstance(f, type):
                        candidates.append(("%s.%s(%s)" % (module.__name__, name, "{a}, {b}" if binary else "{a}"), f))
            where = " or ".join(m.__name__ for m in modules)
            nothing = (f"no function {names[0]} in {where} and no method {names[0]}" if binary else
                       f"no method {'/'.join(names)} and no function of that name in {where}")
            self._find(op, candidates, nothing)
        self._probe_select()

    def _probe_select(self):
        """select: builtin max/min/sorted and a < b etc. on the values, and with a plain number on either side."""
        if self._skipped("select"):
            return
        name = self.cls.__name__
        if all(getattr(self.cls, d) is getattr(object, d) for d in ("__lt__", "__le__", "__gt__", "__ge__")):
            self.missing["select"] = "no comparison operators"
            self.unspelled.append("select")
            return
        for x, y in ((2.0, 3.0), (3.0, 2.0), (2.0, 2.0)):
            for symbol, cmp in COMPARE.items():
                for shown, a, b in ((f"{name}({x}) {symbol} {name}({y})", self.leaf(x), self.leaf(y)),
                                    (f"{name}({x}) {symbol} {y}", self.leaf(x), y),
                                    (f"{x} {symbol} {name}({y})", x, self.leaf(y))):
                    try:
                        got = bool(cmp(a, b))
                    except Exception as exc:
                        self.missing["select"] = f"{shown} raised {_why(exc)}"
                        return
                    if got != cmp(x, y):
                        self.missing["select"] = f"{shown} is {got}"
                        return
        self.ops["select"] = None  # replayed by the builtins themselves
        self.spellings["select"] = "max/min/sorted, < <= > >="

    def _probe_grads(self):
        """"leaves" when an op node's .grad after backward() is missing, None or 0 where its gradient is not."""
        op = next((o for o in GRAD_PROBE_ORDER if o in self.ops), None)
        if op is None:  # only select: every node is a leaf
            return ALL
        if "gradients" in self.skip:  # every node's gradient is compared; the graphs will show what happens
            self.remarks.append(f"reading an op node's .grad: {self.skip['gradients']}")
            return ALL
        fn, (xs, ps, _) = self.ops[op], PROBES[op][0]
        try:
            vs = [self.leaf(x) for x in xs]
            mid = fn(*vs, *ps)  # c = f(a, b), then d = f(c, a): c's gradient is not 0 (GRAD_PROBE_ORDER's inputs)
            self.backward(fn(mid, vs[0]) if len(xs) == 2 else fn(mid, *ps))
        except Exception:
            return ALL  # the harness will show the engine's own error
        g = getattr(mid, "grad", None)
        if g is None:
            return LEAVES
        try:
            return LEAVES if real(g, "grad") == 0.0 else ALL
        except Garbage:
            return ALL  # garbage in an op node's grad is the engine's error, shown per graph

    def describe(self):
        """The probe's one line: ops found, ops missing and why, what works only in part, gradients."""
        found = [op for op in OPS if op in self.ops]
        failed = [f"{op} ({why})" for op, why in self.missing.items() if op not in self.unspelled]
        if self.unspelled:
            failed.append(" ".join(self.unspelled) + " (no operator, method or function under any usual name)")
        version = f" {self.version}" if self.version != "unknown" else ""
        parts = [f"micrograd:{self.target} = {self.value_class}{version}, {self.backward_name}()",
                 f"found {len(found)} ops: {', '.join(found)}",
                 f"missing {len(self.missing)}: {', '.join(failed)}" if failed else "nothing missing"]
        if self.remarks:
            parts.append("as user code may also write them: " + "; ".join(self.remarks))
        parts.append("gradients: leaves only (op nodes' gradients are not compared)" if self.grads == LEAVES
                     else "gradients: every node")
        return " | ".join(parts)

    # -- replaying --
    def replay(self, nodes, output):
        """data and grad of every node (objects with op (None for a leaf), inputs, params, data, const, by) after
        one backward() from nodes[output], as Python floats; Garbage when the engine answers something else."""
        ops, leaf = self.ops, self.cls
        vals = []
        append = vals.append
        for n in nodes:
            if n.op is None:
                append(leaf(n.data))
            elif n.op == "select":
                append(_select(nodes, n, vals))
            else:
                append(ops[n.op](*[vals[i] for i in n.inputs], *n.params))
        getattr(vals[output], self.backward_name)()
        data = [real(_attr(v, "data", i), f"node #{i}'s data") for i, v in enumerate(vals)]
        if self.grads == LEAVES:
            grad = [real(_attr(v, "grad", i), f"node #{i}'s grad") if n.op is None else math.nan
                    for i, (n, v) in enumerate(zip(nodes, vals))]
        else:
            grad = [real(_attr(v, "grad", i), f"node #{i}'s grad") for i, v in enumerate(vals)]
        return data, grad

    def about(self):
        return {"name": self.target, "version": self.version, "value_class": self.value_class,
                "backward": self.backward_name, "grads": self.grads, "ops": sorted(self.ops),
                "spellings": dict(self.spellings), "missing": dict(self.missing), "remarks": list(self.remarks)}


# --- the probe rehearsed: a crash or a hang costs an op, not the run ---------------------------------------

def probed(target):
    """Adapter(target), its probe first rehearsed in forked children (POSIX): a step that crashes the interpreter
    (a segfault in a C extension), ends it (sys.exit) or hangs (PROBE_LIMIT) makes that op missing, with why,
    and the probe is rehearsed again without it; the probe that counts then runs here without those steps. A
    crash while importing MODULE or making a value is Unusable (exit 2, one line)."""
    if not hasattr(os, "fork"):
        return Adapter(target)
    skip = {}
    for _ in range(len(OPS) + 2):
        step, how = _rehearse(target, skip)
        if how is None:
            return Adapter(target, skip)
        if step in ("import", "leaf", None):
            doing = {"import": f"importing {target}", "leaf": "making a value"}.get(step, "starting")
            raise Unusable(f"the probe {how} while {doing}")
        skip[step] = f"its probe {how}"
    raise Unusable(f"the probe kept failing: {skip}")


def _rehearse(target, skip):
    """(the step it stopped at, how) of one rehearsal in a forked child, or (None, None) when it finished."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: silent, tied to its parent, never back into the caller's code
        code = 0
        try:
            os.close(r)
            _die_with_parent()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            try:
                Adapter(target, skip, step=lambda name: os.write(w, name.encode() + b"\n"))
            except Exception:
                pass  # the probe that counts reports it
            os.write(w, b"done\n")
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from the engine
            os.write(w, b"exit " + type(exc).__name__.encode() + b"\n")
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    step, buf, said, deadline = None, b"", None, time.monotonic() + PROBE_LIMIT
    try:
        while True:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return step, f"hung (over {PROBE_LIMIT:g} s)"
            chunk = os.read(r, 4096)
            if not chunk:
                break
            *lines, buf = (buf + chunk).split(b"\n")
            for line in lines:
                if line == b"done" or line.startswith(b"exit "):
                    said = line.decode()
                else:
                    step, deadline = line.decode(), time.monotonic() + PROBE_LIMIT
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    if said == "done":
        return None, None
    if said:
        return step, f"raised {said[5:]}, which ends the interpreter"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "a signal"
        return step, f"crashed the interpreter (killed by {name}, signal {sig})"
    return step, f"ended the interpreter (exit code {os.WEXITSTATUS(status)})"


def _die_with_parent():
    """Linux: the rehearsal dies with the process that forked it (PR_SET_PDEATHSIG), even one killed by SIGKILL.
    (parity.lifetime has the same for the harness; this file must stand alone.)"""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _attr(v, name, i):
    try:
        return getattr(v, name)
    except AttributeError:
        raise Garbage(f"node #{i} has no .{name}") from None


def _select(nodes, node, vals):
    """The select pseudo-op (docs/SPEC.md, section 2) as user code writes it: builtin max/min/sorted or a
    comparison on the engine's values (const inputs as plain floats, each its own object); the node is the
    chosen input itself, found by identity."""
    args = [struct.unpack("<d", struct.pack("<d", nodes[i].data))[0] if nodes[i].const else vals[i]
            for i in node.inputs]
    by = node.by
    if by == "max":
        r = max(*args)
    elif by == "min":
        r = min(*args)
    elif by == "sorted":
        r = sorted(args)[int(node.params[0])]
    else:
        r = args[0] if COMPARE[by](args[0], args[1]) else args[1]
    return vals[node.inputs[next(j for j, x in enumerate(args) if x is r)]]


# --- the line protocol (docs/SPEC.md, section 7) ---------------------------------------------------

SPECIALS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class Node:
    __slots__ = ("op", "inputs", "params", "data", "const", "by")

    def __init__(self, d):
        op = d["op"]
        self.op = None if op == "leaf" else op
        self.inputs = tuple(d.get("inputs", ()))
        self.params = tuple((int(p) if op == "select" else _parse(p)) for p in d.get("params", ()))
        self.data = _parse(d["value"]) if op == "leaf" else None
        self.const = bool(d.get("const", False))
        self.by = d.get("by", "")


def _parse(v):
    return SPECIALS[v] if isinstance(v, str) else float(v)


def _num(x):
    return "nan" if math.isnan(x) else ("inf" if x == math.inf else "-inf" if x == -math.inf else x)


def hello(adapter):
    return {"type": "hello", "protocol": PROTOCOL, "name": adapter.target, "version": adapter.version,
            "language": "Python %d.%d (micrograd API, automatic adapter)" % sys.version_info[:2],
            "ops": sorted(adapter.ops), "grads": adapter.grads, "value_class": adapter.value_class,
            "backward": adapter.backward_name, "missing": adapter.missing, "remarks": adapter.remarks,
            "line": adapter.describe()}


def answer(adapter, msg):
    """The answer to one runner message (a dict), or None for one that needs none."""
    if not isinstance(msg, dict):
        return {"error": "expected a JSON object, got %s" % type(msg).__name__}
    if msg.get("type") == "start":
        return hello(adapter)
    if msg.get("type") != "graph":  # a line of another type is ignored (SPEC section 7, 'Unknown messages')
        print("micrograd_api: ignoring a message of type %r" % (msg.get("type"),), file=sys.stderr)
        return None
    head = {"id": msg.get("id")}
    try:
        unknown = sorted({d.get("op") for d in msg["nodes"]} - set(adapter.ops) - {"leaf"})
        if unknown:
            return {**head, "error": "not probed as working: %s" % ", ".join(map(str, unknown))}
        data, grad = adapter.replay([Node(d) for d in msg["nodes"]], msg["output"])
        return {**head, "data": [_num(x) for x in data], "grad": [_num(x) for x in grad]}
    except Garbage as exc:
        return {**head, "error": str(exc)}
    except Exception as exc:  # the engine's failure on this graph: report it, keep serving
        return {**head, "error": "%s: %s" % (type(exc).__name__, str(exc)[:300])}


def serve(adapter, stdin, out):
    for line in stdin:
        if not line.strip():
            continue
        try:
            reply = answer(adapter, json.loads(line))
        except ValueError as exc:
            reply = {"error": "not a JSON line: %s" % exc}
        if reply is not None:
            out.write(json.dumps(reply, separators=(",", ":"), allow_nan=False) + "\n")
            out.flush()
    return 0


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python micrograd_api.py MODULE   (MODULE, or PACKAGE.MODULE.CLASS: an engine with "
              "micrograd's API; speaks the line protocol on stdin/stdout)", file=sys.stderr)
        return 2
    # the protocol's own stdout; whatever the engine prints (print(), C code writing to fd 1) goes to stderr
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        adapter = probed(argv[0])
    except Unusable as exc:
        print(FATAL + "micrograd:%s: %s" % (argv[0], exc), file=sys.stderr)
        return 2
    return serve(adapter, sys.stdin, protocol)


if __name__ == "__main__":
    # Run as a script: this file's directory (parity/engines, inside the harness's installation) is no place to
    # import the engine from; the working directory is, as for `python -m parity`.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.getcwd())
    sys.exit(main(sys.argv[1:]))
