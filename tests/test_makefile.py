"""The Makefile: help by default, Python 3.11+ checked before a venv is made, a wrong venv rebuilt.

No venv is ever built here: interpreters are fake (a shell script printing a version, as `python -c` would),
venvs are fake directories in tmp_path passed as VENV=..., and commands that would build are only listed
with `make -n`. The one real run (a refused interpreter) stops before anything is created.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()

if shutil.which("make") is None:  # pragma: no cover - the suite is run with `make test`
    pytest.fail("these tests need GNU make on PATH")


def make(*args):
    # not the flags and variables of an outer `make test` (MAKEFLAGS carries its command-line variables)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args],
                          capture_output=True, text=True, timeout=60, env=env)


def fake_python(path, version):
    """An 'interpreter' that answers the Makefile's version query (python -c '...') with version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def fake_venv(tmp_path, version, name="venv"):
    """A venv directory whose bin/python reports version (None: no interpreter), with a fresh install stamp."""
    venv = tmp_path / name
    venv.mkdir()
    if version is not None:
        fake_python(venv / "bin" / "python", version)
    (venv / ".installed-test").touch()  # newer than pyproject.toml
    return venv


def phony_targets():
    names = set()
    for line in MAKEFILE.splitlines():
        if line.startswith(".PHONY:") and "$(" not in line:
            names.update(line.split(":", 1)[1].split())
    return sorted(names)


def test_make_without_a_target_prints_help_listing_every_documented_target(tmp_path):
    # a fake (too old) interpreter: if `make` alone tried to build a venv, it would fail fast, not build one
    args = (f"VENV={tmp_path / 'venv'}", f"PYTHON={fake_python(tmp_path / 'py', '3.10')}")
    r = make(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout == make("help", *args).stdout
    documented = re.findall(r"^## make ([\w-]+):", MAKEFILE, re.M)
    listed = re.findall(r"^make ([\w-]+):", r.stdout, re.M)
    assert listed == documented
    assert {"help", "parity", "test", "bench", "golden", "spec", "port-check"} <= set(listed)
    assert not (tmp_path / "venv").exists()  # help builds nothing


def test_every_phony_target_has_a_recipe_and_a_help_line(tmp_path):
    venv = fake_venv(tmp_path, "3.12")
    python = fake_python(tmp_path / "python3.12", "3.12")
    documented = set(re.findall(r"^## make ([\w-]+):", MAKEFILE, re.M))
    for target in phony_targets():
        r = make("-n", target, f"VENV={venv}", f"PYTHON={python}")
        assert r.returncode == 0, (target, r.stderr)
        assert r.stdout.strip() and "Nothing to be done" not in r.stdout, f"make {target} has no recipe"
        assert target in documented, f"make {target} is not in make help"


def test_make_spec_writes_docs_spec_from_python_m_parity_spec(tmp_path):
    venv = fake_venv(tmp_path, "3.12")
    r = make("-n", "spec", f"VENV={venv}", f"PYTHON={fake_python(tmp_path / 'py', '3.12')}")
    assert f"{venv}/bin/python -m parity spec > docs/SPEC.md" in r.stdout


@pytest.mark.parametrize("version", ["3.10", "2.7", "3.9"])
def test_python_older_than_3_11_is_refused_in_one_line_before_any_venv_is_made(tmp_path, version):
    python = fake_python(tmp_path / "oldpython", version)
    venv = tmp_path / "venv"
    r = make("test", f"PYTHON={python}", f"VENV={venv}")
    assert r.returncode != 0
    ours = [line for line in r.stderr.splitlines() if not line.startswith("make: ***")]
    assert ours == [f"make: PYTHON={python} is Python {version}; micrograd_ref needs Python 3.11+ "
                    "(e.g. make PYTHON=python3.11 ...)"]
    assert not venv.exists()


def test_python_that_does_not_run_is_refused_in_one_line(tmp_path):
    venv = tmp_path / "venv"
    r = make("parity", "PYTHON=/nonexistent/python3", f"VENV={venv}")
    assert r.returncode != 0
    assert [line for line in r.stderr.splitlines() if not line.startswith("make: ***")] == [
        "make: PYTHON=/nonexistent/python3 does not run; micrograd_ref needs Python 3.11+ (e.g. make PYTHON=python3.11 ...)"]
    assert not venv.exists()


def test_a_good_venv_is_left_alone_when_the_requested_python_is_too_old(tmp_path):
    venv = fake_venv(tmp_path, "3.12")
    r = make("test", f"PYTHON={fake_python(tmp_path / 'py310', '3.10')}", f"VENV={venv}")
    assert r.returncode != 0 and "needs Python 3.11+" in r.stderr
    assert (venv / "bin" / "python").exists() and (venv / ".installed-test").exists()


@pytest.mark.parametrize("venv_version", ["3.10", "3.11", None], ids=["made_by_3.10", "made_by_3.11", "python_gone"])
def test_a_venv_made_by_another_interpreter_is_rebuilt(tmp_path, venv_version):
    venv = fake_venv(tmp_path, venv_version)
    python = fake_python(tmp_path / "python3.12", "3.12")
    r = make("-n", "test", f"PYTHON={python}", f"VENV={venv}")
    assert r.returncode == 0, r.stderr
    assert f"rm -rf {venv}" in r.stdout
    assert f"{python} -m venv {venv}" in r.stdout
    assert f"{venv}/bin/python -m pip install" in r.stdout
    assert r.stdout.rstrip().endswith(f"{venv}/bin/python -m pytest -q")


def test_a_venv_made_by_the_requested_interpreter_is_reused(tmp_path):
    venv = fake_venv(tmp_path, "3.12")
    r = make("-n", "test", f"PYTHON={fake_python(tmp_path / 'python3.12', '3.12')}", f"VENV={venv}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == f"{venv}/bin/python -m pytest -q"  # after the Graphviz check
    assert "pip install" not in r.stdout and "-m venv" not in r.stdout
