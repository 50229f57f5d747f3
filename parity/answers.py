"""An engine's answer, checked before anything reads it: the candidate is never trusted.

A replay must hold one data and one grad value per tape node, each a real number (a float, an int, anything
with ``__float__`` such as numpy's float64). Anything else (a complex number, a string, None, a wrong length,
no Replay at all) is that case's ERROR, saying what was wrong and where; it never crashes the run nor changes
another case's verdict. nan where a number is due is a number: the comparison reports it. An engine that keeps
gradients only on leaves (``Engine.grads = "leaves"``) may answer anything for an op node's grad: it is not
compared and reads as nan.
"""

import math
from array import array

from .engines import Replay


class BadAnswer(Exception):
    """What is wrong with an engine's answer, in words (the case's ERROR)."""


def _what(v):
    text = repr(v)
    return f"{text[:40]}{'...' if len(text) > 40 else ''} ({type(v).__name__})"


def floats(seq, n, what):
    """seq as a list of n floats, or BadAnswer naming the first value that is not a real number."""
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
        raise BadAnswer(f"answered {_what(seq)} as {what}, not a list of {n} numbers")
    try:
        values = array("d", seq)
    except (TypeError, ValueError, OverflowError):
        for i, v in enumerate(seq):
            try:
                array("d", [v])
            except (TypeError, ValueError, OverflowError):
                raise BadAnswer(f"answered {_what(v)} as {what} of node #{i}: not a real number") from None
        raise BadAnswer(f"answered {what} that are not real numbers") from None
    if len(values) != n:
        raise BadAnswer(f"answered {len(values)} {what} values for {n} nodes")
    return values.tolist()


def checked(out, tape, leaves_only=False):
    """The engine's Replay with data and grad as lists of floats (and its grads_twice, when it sent them)."""
    n = len(tape.nodes)
    if not isinstance(out, Replay):
        if not (hasattr(out, "data") and hasattr(out, "grad")):
            raise BadAnswer(f"returned {_what(out)} instead of a Replay(data, grad)")
    grad = out.grad
    if leaves_only:
        grad = _leaf_grads(grad, tape, n)
    extra = out.extra if isinstance(getattr(out, "extra", None), dict) else {}
    if "grads_twice" in extra:
        twice = extra["grads_twice"]
        extra = {**extra, "grads_twice": floats(_leaf_grads(twice, tape, n) if leaves_only else twice, n,
                                                "grad (after a 2nd backward())")}
    return Replay(floats(out.data, n, "data"), floats(grad, n, "grad"), extra)


def _leaf_grads(grad, tape, n):
    try:
        grad = list(grad)
    except TypeError:
        raise BadAnswer(f"answered {_what(grad)} as grad, not a list of {n} numbers") from None
    if len(grad) != n:
        raise BadAnswer(f"answered {len(grad)} grad values for {n} nodes")
    return [g if node.op is None else math.nan for g, node in zip(grad, tape.nodes)]
