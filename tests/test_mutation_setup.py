"""`make mutants` is wired as documented: cosmic-ray over the three engine files, the parity gate first in the check,
the gate kept out of `make test`, and every equivalent mutant in docs/MUTANTS.md written so the run can match it."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.mutation_check import run

ROOT = Path(__file__).resolve().parent.parent
CFG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_make_mutants_mutates_ops_floats_and_engine_with_a_pinned_cosmic_ray():
    assert CFG["tool"]["cosmic-ray"]["module-path"] == [
        "micrograd_ref/ops.py", "micrograd_ref/floats.py", "micrograd_ref/engine.py"]
    assert CFG["project"]["optional-dependencies"]["mutants"] == ["cosmic-ray==8.7.0"]
    assert "tests/mutation_check/run.py" in (ROOT / "Makefile").read_text()


def test_the_mutants_check_runs_the_parity_gate_first_then_the_engine_tests_stopping_at_the_first_failure():
    cmd = CFG["tool"]["cosmic-ray"]["test-command"]
    files = [a for a in cmd if a.endswith(".py") and not a.startswith("-")]
    assert cmd[:3] == ["{python}", "-m", "pytest"] and "-x" in cmd
    assert files[0] == "tests/mutation_check/parity_gate.py" and "tests/test_engine.py" in files
    assert all((ROOT / f).is_file() for f in files)


def test_the_parity_gate_is_not_collected_by_make_test():
    # make test collects tests/ with pytest's default file pattern test_*.py; the gate's file does not match it
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                        "tests/mutation_check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 5 and "no tests collected" in r.stdout, r.stdout  # 5: pytest collected nothing
    assert (ROOT / "tests" / "mutation_check" / "parity_gate.py").is_file()


def test_the_parity_gate_covers_every_catalogue_entry_but_scale():
    from parity.catalogue import CATALOGUE
    from tests.mutation_check.parity_gate import ENTRIES

    assert sorted(ENTRIES) == sorted(n for n in CATALOGUE if not n.startswith("scale/"))
    assert ENTRIES[-1] == "mlp/2_16_16_1_x100"  # the slowest entry last


def test_every_equivalent_mutant_entry_parses_and_names_a_mutated_file_and_a_cosmic_ray_operator():
    text = (ROOT / "docs" / "MUTANTS.md").read_text()
    entries = [line for line in text.splitlines() if line.startswith("- `")]
    assert entries, "docs/MUTANTS.md lists no equivalent mutant"
    for line in entries:
        m = run.ENTRY.match(line)
        assert m, f"docs/MUTANTS.md: not an entry make mutants can match: {line}"
        assert m["path"] in CFG["tool"]["cosmic-ray"]["module-path"], line
        assert re.fullmatch(r"core/\w+", m["op"]), line
        assert len(m["proof"]) > 20, line


def test_a_survivor_is_matched_by_file_operator_and_mutated_line():
    diff = "--- mutation diff ---\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-    return a < b\n+    return a <= b\n"
    assert run.mutated_line(diff) == "return a <= b"
    removed = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1 @@\n     def f(self):\n-    @property\n"
    assert run.mutated_line(removed) == "removed: @property"
    short = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n         if a is None:\n-            continue\n+            break\n"
    assert run.mutated_line(short) == "if a is None: / break"  # a short line is told apart by the line before
