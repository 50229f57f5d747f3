"""The wheel: a porter who runs `pip install micrograd_ref` gets the runner, the golden vectors and the spec,
and checks a port outside the repository without torch."""

import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "-w", str(out), ROOT], capture_output=True, text=True, cwd=str(out))
    assert r.returncode == 0, r.stderr
    (whl,) = out.glob("micrograd_ref-*.whl")
    return whl


def test_wheel_carries_the_golden_vectors_the_spec_and_the_declared_differences(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    golden = {n.rsplit("/", 1)[1] for n in names if n.startswith("parity/golden_vectors/")}
    assert golden == {f for f in os.listdir(os.path.join(ROOT, "golden"))}
    assert "parity/docs/SPEC.md" in names
    assert {"micrograd_ref/engine.py", "parity/cli.py", "parity/engines/port_engine.py"} <= names


def test_wheel_installed_in_a_fresh_venv_without_torch_checks_a_port_outside_the_repo(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    away = tmp_path / "elsewhere"
    away.mkdir()
    assert subprocess.run([py, "-c", "import torch"], capture_output=True, env=env, cwd=away).returncode != 0
    template = os.path.join(ROOT, "examples", "port_template", "port.py")
    r = subprocess.run([py, "-m", "parity", "check-port", "-q", "--", py, template], capture_output=True, text=True,
                       env=env, cwd=away, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "all agree (port_template == golden)" in r.stdout and "skipped" in r.stdout
    spec = subprocess.run([py, "-c", "import parity, os; print(os.path.dirname(parity.__file__))"],
                          capture_output=True, text=True, env=env, cwd=away).stdout.strip()
    assert spec.startswith(str(venv)) and os.path.exists(os.path.join(spec, "docs", "SPEC.md"))
    r = subprocess.run([py, "-m", "parity", "check-port", "-q", "seed/*", "--", py,
                        os.path.join(ROOT, "examples", "python_port", "port.py")], capture_output=True, text=True,
                       env=env, cwd=away, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
