"""Every op against live torch float64, data and grad: ordinary values and every special value.

The cases come from the parity catalogue (parity/catalogue.py: edge_cases), so the
test suite and `make parity` check the same thing.
"""

import pytest

from micrograd_ref import OPS
from parity.catalogue import CATALOGUE, edge_cases
from parity.harness import GraphResult, check_tape, run_entry
from parity.compare import DEFAULT
from parity.tape import Tape

ORDINARY = (-2.75, -1.3, -0.4, 0.3, 0.9, 1.7, 3.25)


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_matches_torch_on_ordinary_values(torch, op):
    spec = OPS[op]
    res = GraphResult(op)
    params = [(k,) for k in (2.0, 3.0, 0.5, -1.0, 1.7)] if spec.params else [()]
    for i, a in enumerate(ORDINARY):
        for b in (ORDINARY if spec.arity == 2 else (None,)):
            for ps in params:
                t = Tape()
                ins = [t.leaf(a, "a")] + ([t.leaf(b, "b")] if b is not None else [])
                out = t.op(op, *ins, params=ps)
                t.set_output(out * t.leaf(1.5 + i / 10, "g"))  # a non-trivial upstream grad
                check_tape(res, op, t, DEFAULT, smooth=op not in ("relu", "maximum", "minimum"))
    assert res.ok, "\n".join(map(str, res.mismatches[:10]))


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_matches_torch_at_every_special_value_and_upstream_grad(torch, op):
    assert edge_cases(op), op
    res = run_entry(CATALOGUE[f"edge/{op}"])
    assert res.ok, res.error + "\n".join(map(str, res.mismatches[:10]))
    if op not in ("pow", "pow_scalar", "tanh", "exp", "log", "sigmoid"):  # IEEE operations only: all bit for bit
        assert res.exact and res.max_abs == 0.0
