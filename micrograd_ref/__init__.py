"""micrograd_ref: a reference scalar reverse-mode autodiff engine that matches torch float64."""

from .draw import render, to_dot, trace
from .engine import Value, apply, maximum, minimum
from .gradcheck import gradcheck
from .ops import OPS, Op
from .rng import XorShift64Star

__all__ = [
    "OPS", "Op", "Value", "XorShift64Star", "apply", "gradcheck", "maximum", "minimum",
    "render", "to_dot", "trace",
]
__version__ = "0.1.0"
