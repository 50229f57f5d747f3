"""python -m parity conventions: the conventions matrix (docs/CONVENTIONS.md) across engines."""

import os
import subprocess
import sys

import pytest

from parity import conventions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def engines():
    ready, missing = conventions.start_engines(conventions.ENGINES)
    # every engine of the matrix is installed by `make test` (torch, jax, micrograd in the test extra)
    assert not missing, missing
    return ready


def test_committed_conventions_matrix_is_fresh_regenerate_with_make_conventions(engines):
    fresh = conventions.render(engines)
    with open(conventions.DEFAULT_OUTPUT, encoding="utf-8") as f:
        committed = f.read()
    assert committed == fresh, "docs/CONVENTIONS.md is stale: run `make conventions`"


def test_conventions_matrix_marks_jax_and_micrograd_differences_from_torch(engines):
    text = conventions.render(engines, ops=["relu", "div"])
    relu_nan = next(line for line in text.splitlines() if line.startswith("| `relu(nan)`"))
    # torch passes the gradient at nan; JAX and micrograd send 0, marked bold; micrograd_ref follows torch
    assert relu_nan == "| `relu(nan)` | nan; 1.0 | nan; **0.0** | nan; 1.0 | nan; **0.0** |"
    div0 = next(line for line in text.splitlines() if line.startswith("| `div(1.0, 0.0)`"))
    assert div0.endswith("| **ZeroDivisionError** |") and div0.count("inf") >= 3


def test_conventions_cli_check_exits_1_on_a_stale_file_and_0_on_a_fresh_one(tmp_path):
    out = tmp_path / "C.md"
    engines = ["--engines", "torch", "micrograd_ref"]
    w = subprocess.run([sys.executable, "-m", "parity", "conventions", "-o", str(out), *engines],
                       capture_output=True, text=True, cwd=ROOT)
    assert w.returncode == 0, w.stderr
    assert "| input | torch | micrograd_ref |" in out.read_text()
    ok = subprocess.run([sys.executable, "-m", "parity", "conventions", "--check", "-o", str(out), *engines],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    out.write_text(out.read_text().replace("nan; 1.0", "nan; 2.0", 1))
    stale = subprocess.run([sys.executable, "-m", "parity", "conventions", "--check", "-o", str(out), *engines],
                           capture_output=True, text=True, cwd=ROOT)
    assert stale.returncode == 1 and "make conventions" in stale.stderr
