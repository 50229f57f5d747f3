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


def _venv_with_the_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return venv, py


def _files(directory):
    return {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns for d, _, fs in os.walk(directory) for f in fs
            if "__pycache__" not in d}


def test_outside_the_repo_the_tools_give_advice_that_works_there_and_write_only_where_told(wheel, tmp_path):
    """No Makefile there: the torch message names the pip extra and --reference golden; `template` writes the port
    template, which then passes; `ports` and `conventions` write into the current directory (or --out / -o),
    never into site-packages, and end without a traceback."""
    venv, py = _venv_with_the_wheel(wheel, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    away = tmp_path / "elsewhere"
    away.mkdir()

    def run(*args, cwd=away):
        return subprocess.run([py, "-m", "parity", *args], capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=600)

    before = _files(venv)
    r = run("seed/toy_max")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "pip install 'micrograd_ref[parity]'" in r.stderr and "--reference golden" in r.stderr
    assert "make" not in r.stderr
    assert run("--reference", "golden", "-q", "seed/*").returncode == 0

    r = run("template", "myport")
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(away / "myport")) == ["README.md", "port.py"]
    assert (away / "myport" / "port.py").read_text() == open(os.path.join(ROOT, "examples", "port_template",
                                                                           "port.py")).read()
    r = run("check-port", "-q", "--", py, str(away / "myport" / "port.py"))
    assert r.returncode == 0 and "all agree (port_template == golden)" in r.stdout, r.stdout[-2000:] + r.stderr
    assert run("template", "myport").returncode == 2  # nothing is overwritten

    r = run("ports", "-j", "1", "--port", f"mine=port:{py} {away / 'myport' / 'port.py'}")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert (away / "PORTS.md").exists() and (away / "PORTS.json").exists()
    r = run("conventions")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert (away / "CONVENTIONS.md").exists()
    r = run("conventions", "-o", str(tmp_path / "elsewhere" / "sub" / "C.md"))
    assert r.returncode == 2 and "--output" in r.stderr and "Traceback" not in r.stderr  # no such directory
    after = _files(venv)
    written = {f for f in after if before.get(f) != after[f]}
    assert not written, sorted(written)[:5]  # nothing written into the installed package


def test_the_package_description_is_written_for_a_pip_user(wheel):
    meta = zipfile.ZipFile(wheel).read(next(n for n in zipfile.ZipFile(wheel).namelist()
                                            if n.endswith("METADATA"))).decode()
    body = meta.split("\n\n", 1)[1]
    assert body.lstrip().startswith("# micrograd_ref") and "pip install" in body
    assert "make " not in body  # a pip user has no Makefile
    assert "parity/port_template/port.py" in zipfile.ZipFile(wheel).namelist()
