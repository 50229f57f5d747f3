"""The spec itself as an engine: the op table's formulas, correctly rounded, in torch's order (no libm, no torch).

Every primitive is correctly rounded (parity/correctly_rounded.py: MPFR through gmpy2), so its answer is
the same on every machine. The golden vectors are its answers (`make golden`); `--reference spec`
computes them live, for graphs the golden vectors do not hold (--random).
"""

from .. import correctly_rounded, spec_eval
from ..exactness import ALL
from .base import Engine, EngineUnavailable, Replay


class Spec(Engine):
    name = "spec"
    correctly_rounded = ALL

    def start(self):
        if not correctly_rounded.available():
            raise EngineUnavailable(correctly_rounded.MISSING)

    def run(self, graph):
        arithmetic = correctly_rounded.ARITHMETIC
        data = spec_eval.forward(graph.tape, arithmetic)
        return Replay(data, spec_eval.backward(graph.tape, data, arithmetic))

    def about(self):
        import gmpy2

        return {"name": self.name, "arithmetic": f"correctly rounded binary64: MPFR {gmpy2.mpfr_version()} "
                                                 f"(gmpy2 {gmpy2.version()}); order: torch's (docs/SPEC.md, section 3)"}
