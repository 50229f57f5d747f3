"""Generated graphs (hypothesis): random DAGs over every op, with reuse and special values.

A mismatch shrinks to a minimal graph and is reported as a runnable micrograd_ref program.
"""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from micrograd_ref import OPS
from parity.compare import DEFAULT
from parity.generate import HypothesisChooser, random_tape, rng_tape
from parity.harness import GraphResult, check_tape

pytestmark = pytest.mark.usefixtures("torch")


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_graphs_agree_with_torch_at_every_node(data):
    tape = random_tape(HypothesisChooser(data))
    res = GraphResult("generated")
    check_tape(res, "generated", tape, DEFAULT)
    assert res.ok, "\n".join(map(str, res.mismatches[:5])) + "\n\nReproduce:\n" + tape.to_python()


def test_generator_covers_every_op_and_reuses_nodes():
    seen, reused = set(), 0
    for seed in range(60):
        tape = rng_tape(seed)
        seen |= {n.op for n in tape.nodes if n.op}
        counts = {}
        for n in tape.nodes:
            for i in n.inputs:
                counts[i] = counts.get(i, 0) + 1
        reused += sum(c > 1 for c in counts.values())
    assert seen == set(OPS)
    assert reused > 20


def test_seeded_generator_is_reproducible():
    a, b = rng_tape(17), rng_tape(17)
    assert a.to_python() == b.to_python()
    assert rng_tape(18).to_python() != a.to_python()


def test_to_python_prints_a_runnable_program_that_reproduces_the_graph():
    from parity.engines import Graph
    from parity.engines.micrograd_ref_engine import MicrogradRef
    import contextlib
    import io

    tape = rng_tape(3)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(tape.to_python(), "<graph>", "exec"), {})
    lines = [line.split() for line in buf.getvalue().splitlines()]
    eng = MicrogradRef(twice=False).run(Graph("generated", "", tape))
    assert [float(x[1]) for x in lines] == pytest.approx(eng.data, nan_ok=True)
    assert [float(x[2]) for x in lines] == pytest.approx(eng.grad, nan_ok=True)
