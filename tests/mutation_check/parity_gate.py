"""The parity gate of `make mutants`: python -m parity's harness, in this process, against the golden vectors.

Not collected by `make test` (the file name does not start with test_): `make mutants` runs it first in the
check of every mutant (pyproject.toml, [tool.cosmic-ray]), then the engine's own tests. One test per catalogue
entry, in catalogue order, so `pytest -x` stops at the first graph a mutant breaks. The reference is the
committed golden vectors (the spec's correctly rounded answers, stored), which needs no torch and is what `python -m parity
--reference golden` compares against. The scale/* entries are left out: they are three of the catalogue's
46 entries but four fifths of its time, and what they test (deep and wide graphs walked without recursion)
is tested faster by tests/test_engine.py's chain of 200,000 nodes and wide sum.
"""

from pathlib import Path

import pytest

import micrograd_ref
import parity
from parity.catalogue import CATALOGUE
from parity.engines import make
from parity.harness import run_entry

# catalogue order, the 65,000-node mlp/2_16_16_1_x100 (most of the gate's time) last: a mutant is usually killed sooner
ENTRIES = sorted((name for name in CATALOGUE if not name.startswith("scale/")), key=lambda n: n == "mlp/2_16_16_1_x100")


def test_the_engine_checked_is_the_mutated_copy_next_to_this_file():
    # a check that imported another micrograd_ref (an installed one) would let every mutant survive
    root = Path(__file__).resolve().parents[2]
    for module in (micrograd_ref, parity):
        assert Path(module.__file__).resolve().is_relative_to(root), module.__file__


@pytest.fixture(scope="module")
def engines():
    ref = make("golden")
    ref.start()
    return make("micrograd_ref"), ref


@pytest.mark.parametrize("name", ENTRIES)
def test_micrograd_ref_agrees_with_the_golden_vectors_on_every_node(engines, name):
    eng, ref = engines
    res = run_entry(CATALOGUE[name], keep_failing=False, engine=eng, reference=ref)
    detail = res.error or "; ".join(str(m) for m in res.mismatches[:3])
    assert res.ok, f"{name}: {res.status}: {detail}"
