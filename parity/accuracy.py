"""python -m parity accuracy: how far each engine's primitives are from correctly rounded, per platform.

For each op whose forward rounds through a libm primitive (tanh, exp, log, sigmoid, pow, and sqrt as
pow_scalar's k = 0.5 kernel), 20,000 inputs from XorShift64Star are evaluated by CPython's math (so
micrograd_ref), torch float64 (0-d tensors, as the harness replays graphs) and JAX, and compared with the
correctly rounded answer (parity/correctly_rounded.py, MPFR): the largest error in ulps and the share of
inputs not correctly rounded. torch and CPython are measured again in subprocesses under each platform
this machine can emulate (MKL_CBWR, ATEN_CPU_CAPABILITY, glibc without FMA). The result is
docs/ACCURACY.json, committed; docs/SPEC.md's accuracy table is rendered from it, so the spec stays
the same file on every machine. `make accuracy` measures anew.
"""

import argparse
import json
import math
import os
import subprocess
import sys

from micrograd_ref import floats
from micrograd_ref.rng import XorShift64Star

from . import correctly_rounded

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "ACCURACY.json")
N = 20_000
OPS = ("tanh", "exp", "log", "sigmoid", "pow", "sqrt")
PLATFORMS = {
    "this CPU": {},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    "MKL_CBWR=AVX512": {"MKL_CBWR": "AVX512"},
    "ATEN_CPU_CAPABILITY=default": {"ATEN_CPU_CAPABILITY": "default"},
    "glibc without FMA": {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA"},
}


def inputs(op, n=N):
    r = XorShift64Star(2026)
    if op == "log":
        return [(math.exp(r.uniform(-20.0, 20.0)),) for _ in range(n)]
    if op == "pow":
        return [(r.uniform(0.05, 10.0), r.uniform(-6.0, 6.0)) for _ in range(n)]
    if op == "sqrt":
        return [(math.exp(r.uniform(-20.0, 20.0)),) for _ in range(n)]
    span = {"tanh": 6.0, "exp": 50.0, "sigmoid": 30.0}[op]
    return [(r.uniform(-span, span),) for _ in range(n)]


def reference(op, xs):
    cr = correctly_rounded
    fn = {"tanh": cr.tanh, "exp": cr.exp, "log": cr.log, "pow": cr.pow, "sqrt": cr.sqrt,
          "sigmoid": lambda x: 1.0 / (1.0 + cr.exp(-x))}[op]
    return [fn(*x) for x in xs]


def cpython(op, xs):
    fn = {"tanh": math.tanh, "exp": floats.exp, "log": floats.log, "pow": floats.pow, "sqrt": floats.sqrt,
          "sigmoid": floats.sigmoid}[op]
    return [fn(*x) for x in xs]


def torch_values(op, xs):
    import torch

    f64 = torch.float64
    out = []
    for x in xs:
        t = [torch.scalar_tensor(v, dtype=f64) for v in x]
        r = {"tanh": lambda: t[0].tanh(), "exp": lambda: t[0].exp(), "log": lambda: t[0].log(),
             "sigmoid": lambda: t[0].sigmoid(), "pow": lambda: t[0] ** t[1], "sqrt": lambda: t[0] ** 0.5}[op]()
        out.append(r.item())
    return out


def jax_values(op, xs):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    cols = [jnp.asarray([x[k] for x in xs], dtype=jnp.float64) for k in range(len(xs[0]))]
    fn = {"tanh": jnp.tanh, "exp": jnp.exp, "log": jnp.log, "sigmoid": jax.nn.sigmoid, "pow": jnp.power,
          "sqrt": lambda a: a ** 0.5}[op]
    return [float(v) for v in fn(*cols)]


def ulps(got, want):
    """(largest error in ulps of the correctly rounded value, share not correctly rounded)."""
    worst, wrong = 0.0, 0
    for g, w in zip(got, want):
        if g == w or (g != g and w != w):
            continue
        wrong += 1
        if math.isfinite(g) and math.isfinite(w):
            worst = max(worst, abs(g - w) / math.ulp(w))
        else:
            worst = math.inf
    return {"max_ulps": round(worst, 2), "not_correctly_rounded": round(wrong / len(want), 5)}


def measure(engines):
    out = {}
    for op in OPS:
        xs = inputs(op)
        want = reference(op, xs)
        out[op] = {name: ulps(fn(op, xs), want) for name, fn in engines.items()}
    return out


def child(which):
    """Run in a subprocess under one platform: {op: {engine: stats}} on stdout."""
    engines = {"CPython": cpython}
    if which == "all":
        engines["torch"] = torch_values
    json.dump(measure(engines), sys.stdout)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m parity accuracy", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=DEFAULT_OUTPUT, help="where to write the JSON (default docs/ACCURACY.json)")
    p.add_argument("--child", choices=("all", "cpython"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    doc = {"inputs_per_op": N, "reference": "correctly rounded (MPFR)", "platforms": {}}
    for name, env in PLATFORMS.items():
        proc = subprocess.run([sys.executable, "-m", "parity", "accuracy", "--child", "all"], cwd=ROOT,
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=1200)
        if proc.returncode != 0:
            print(f"accuracy: {name}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        doc["platforms"][name] = json.loads(proc.stdout)
    doc["jax"] = measure({"JAX": jax_values})
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0
