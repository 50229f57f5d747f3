"""parity.pytest_suite: an engine's author gets the catalogue as pytest cases from three lines in their own project."""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ENGINE = '''
from parity.engines import ALL_OPS
from parity.engines.micrograd_ref_engine import MicrogradRef


class Buggy(MicrogradRef):
    """micrograd_ref without log, with relu's gradient wrong at 0.5 (a new bug) and at 1000 (a known one)."""
    name = "buggy"
    ops = ALL_OPS - {"log"}

    def __init__(self):
        super().__init__(twice=False)

    def run(self, graph):
        out = super().run(graph)
        if graph.name.startswith(("edge/relu [relu(0.5)", "edge/relu [relu(1000.0)")):
            out.grad[0] += 1.0
        return out
'''

TESTS = '''
from parity.pytest_suite import catalogue_tests
from buggy import Buggy

test_catalogue = catalogue_tests(Buggy(), reference="golden", include=["seed/toy_max", "edge/relu", "edge/log"],
                                 known_failures="known.toml")
'''

KNOWN = '''
[[expected]]
match = "edge/relu [relu(1000.0)*"
op = "relu"
reason = "relu's gradient at 1000 is off by one (to do)"
'''


def test_catalogue_tests_give_one_pytest_case_per_catalogue_case_with_the_harness_failure_text(tmp_path):
    (tmp_path / "buggy.py").write_text(ENGINE)
    (tmp_path / "test_buggy.py").write_text(TESTS)
    (tmp_path / "known.toml").write_text(KNOWN)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfsx", "-p", "no:cacheprovider", "test_buggy.py"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    # 1 seed graph; 65 relu cases: at 0.5 a new bug (3 fail; with g = inf or nan, inf + 1 and nan + 1 still agree),
    # at 1000 a known one (3 xfail, and the 2 that agree are XPASS: failures); 65 log cases skipped (no log)
    assert "5 failed, 58 passed, 65 skipped, 3 xfailed" in out, out[-3000:]
    assert "XPASS listed as a known failure (edge/relu [relu(1000.0)*), yet it agrees" in out
    assert "test_catalogue[edge/relu [relu(0.5) g=1.0]]" in out
    assert "edge/relu [relu(0.5) g=1.0]: node #0 'a' (leaf): grad buggy=2.0 golden=1.0" in out
    assert "likely culprit: " in out and "backward of 'relu'" in out
    assert "relu's gradient at 1000 is off by one (to do)" in out  # the xfail's reason, from the TOML
    assert "buggy lacks log" in out  # the skip's reason


def test_catalogue_tests_reject_a_pattern_that_matches_nothing(tmp_path):
    (tmp_path / "test_none.py").write_text(textwrap.dedent('''
        from parity.pytest_suite import catalogue_tests
        test_catalogue = catalogue_tests("micrograd_ref", include=["edge/rleu"])
    '''))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", "test_none.py"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert r.returncode != 0
    assert "ValueError: catalogue_tests: no graph matches 'edge/rleu'; did you mean edge/relu" in r.stdout + r.stderr
