"""Where the tools run: from a checkout of the repository (a Makefile, docs/ and golden/ beside the package),
or installed from a wheel (site-packages, no Makefile). Advice and default output paths depend on it:
in a checkout, `make parity` and docs/; installed, pip extras, `--reference golden` and the current directory.
Nothing is ever written into the installed package."""

import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PACKAGE)


def in_checkout():
    """True when the parity package runs from the repository itself (not from an installed wheel)."""
    return all(os.path.exists(os.path.join(ROOT, p)) for p in ("Makefile", "pyproject.toml", "golden", "docs"))


def advice(in_repo, installed):
    """The advice that works where the tool runs."""
    return in_repo if in_checkout() else installed


def default_output(name):
    """docs/NAME in a checkout; NAME in the current directory when installed."""
    return os.path.join(ROOT, "docs", name) if in_checkout() else os.path.abspath(name)


def template_dir():
    """The port template: examples/port_template in a checkout, parity/port_template in the wheel."""
    here = os.path.join(ROOT, "examples", "port_template")
    return here if os.path.exists(os.path.join(here, "port.py")) else os.path.join(PACKAGE, "port_template")


TORCH_EXTRA = "pip install 'micrograd_ref[parity]'"
