"""The verdict does not depend on the CPU: the proof, under every platform this machine can emulate.

torch's float64 sqrt, tanh, exp and log go through MKL, whose code branch (1 ulp apart) is chosen by the CPU
and can be forced with MKL_CBWR; ATen without AVX2 (ATEN_CPU_CAPABILITY=default) computes tanh's backward
in two roundings; glibc's libm (CPython's math, so micrograd_ref) has FMA and non-FMA variants
(GLIBC_TUNABLES). Under each, in a fresh process: the catalogue against torch is green, and the planted-bug
suite and the JAX engine under the oldest of them; the golden export (correctly rounded, no libm) is
byte-identical under glibc without FMA.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NO_FMA = {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA"}
OLDEST = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default", **NO_FMA}


def _has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return "avx512f" in f.read()
    except OSError:
        return False


PLATFORMS = {
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    **({"MKL_CBWR=AVX512": {"MKL_CBWR": "AVX512"}} if _has_avx512() else {}),
    "ATEN_CPU_CAPABILITY=default": {"ATEN_CPU_CAPABILITY": "default"},
    "glibc without FMA": NO_FMA,
}


def run(args, env, timeout=600):
    full = {**os.environ, **env, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_catalogue_against_torch_is_green_on_every_emulated_platform(platform):
    p = run(["-m", "parity", "--json", os.devnull], PLATFORMS[platform])
    assert p.returncode == 0, f"{platform}:\n{p.stdout[-3000:]}\n{p.stderr[-2000:]}"


def test_the_torch_engine_names_its_platform(tmp_path):
    import json

    out = tmp_path / "run.json"
    p = run(["-m", "parity", "seed/toy_max", "--json", str(out)], OLDEST)
    assert p.returncode == 0, p.stdout + p.stderr
    about = next(e for e in json.loads(out.read_text())["engines"] if e.get("name") == "torch")
    assert about["mkl_cbwr"] == "COMPATIBLE" and about["aten_cpu_capability"] == "DEFAULT"
    assert about["tanh_backward_fuses"] is False and "fma" not in about["correctly_rounded"]
    assert about["cpu"] and about["mkl"]


def test_the_golden_export_is_byte_identical_under_glibc_without_fma(tmp_path):
    p = run(["-m", "parity", "export", str(tmp_path)], NO_FMA)
    assert p.returncode == 0, p.stderr
    golden = os.path.join(ROOT, "golden")
    for name in sorted(os.listdir(tmp_path)):
        with open(tmp_path / name, "rb") as mine, open(os.path.join(golden, name), "rb") as committed:
            assert mine.read() == committed.read(), f"{name} differs under {NO_FMA}"


def test_the_planted_bug_suite_still_names_every_planted_op_on_the_oldest_platform():
    p = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "tests/test_harness_catches_bugs.py",
             "tests/test_pins.py", "tests/test_accumulation_order.py"], OLDEST, timeout=1200)
    assert p.returncode == 0, p.stdout[-4000:]


def test_the_jax_engine_exits_0_against_torch_on_the_oldest_platform():
    p = run(["-m", "parity", "--engine", "jax"], OLDEST, timeout=1200)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
