# Two commands on a fresh machine: `make parity` and `make test`; `make` alone lists the targets.
# Each creates the virtualenv it needs (.venv, pinned deps from pyproject.toml) when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench
MSTAMP := $(VENV)/.installed-mutants
PORT   ?= $(PY) examples/python_port/port.py

.DEFAULT_GOAL := help
.PHONY: accuracy help parity test bench bench-check golden spec conventions port-check ports frameworks frameworks-stale mutants clean graphviz-program chromium-browser

# The venv belongs to $(PYTHON), which must be Python 3.11+: it is checked before anything is created or
# removed, and a venv whose interpreter does not run or has another major.minor than $(PYTHON) (one made
# by python3.10, or by an interpreter since removed) is rebuilt, never reused.
PYVERSION    = import sys; print("%d.%d" % sys.version_info[:2])
PY_VERSION   := $(shell $(PYTHON) -c '$(PYVERSION)' 2>/dev/null)
VENV_VERSION := $(shell test -x $(PY) && $(PY) -c '$(PYVERSION)' 2>/dev/null)
PY_OK        := $(shell v='$(PY_VERSION)'; major=$${v%%.*}; minor=$${v#*.}; \
                  { [ "$$major" -gt 3 ] || { [ "$$major" -eq 3 ] && [ "$$minor" -ge 11 ]; }; } 2>/dev/null && echo yes)
ifneq ($(PY_VERSION)/$(PY_OK),$(VENV_VERSION)/yes)
.PHONY: $(STAMP)
endif

$(STAMP): pyproject.toml
	@$(if $(PY_OK),true,echo "make: PYTHON=$(PYTHON) $(if $(PY_VERSION),is Python $(PY_VERSION),does not run); micrograd_ref needs Python 3.11+ (e.g. make PYTHON=python3.11 ...)" >&2; exit 1)
	@if [ -e $(VENV) ] && [ '$(VENV_VERSION)' != '$(PY_VERSION)' ]; then \
	  echo "make: rebuilding $(VENV): made by Python $(or $(VENV_VERSION),(does not run)), PYTHON=$(PYTHON) is $(PY_VERSION)"; \
	  rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(BSTAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

$(MSTAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,mutants]'
	touch $@

## make help: this list (also `make` with no target)
help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make parity: replay every catalogue graph in micrograd_ref and torch float64, compare every node
parity: $(STAMP)
	$(PY) -m parity

## make test: the whole suite (engine, nn, seed notes, harness, porting kit)
test: $(STAMP) graphviz-program chromium-browser
	$(PY) -m pytest -q

# $(call apt-install,CHECK,PACKAGE,WHAT FOR,HOW ELSE): when the shell test CHECK fails, install Debian's PACKAGE with
# apt-get (as root or through passwordless sudo; apt-get update only when the first try fails); when CHECK still
# fails, stop with what it is for and the command to run by hand. (No commas inside the arguments.)
define apt-install
@$(1) || { \
  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing $(2) ($(3)): apt-get install $(2)"; \
    { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null 2>&1 || \
      { $$SUDO apt-get update -qq >/dev/null 2>&1 && \
        $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null 2>&1; }; } ; \
  fi; \
  $(1) || { \
    echo "make test needs $(2) ($(3)) and could not install it."; \
    echo "Install it and rerun: $(4)"; exit 1; }; }
endef

## make graphviz-program: install Graphviz's `dot` (the drawing tests run it) when it is missing
graphviz-program:
	$(call apt-install,command -v dot >/dev/null 2>&1,graphviz,the drawing tests run its program dot,apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS) or see https://graphviz.org/download/)

## make chromium-browser: install Debian's Chromium (the HTML report's tests drive it headless) when it is missing
# Playwright drives the system's Chromium, /usr/bin/chromium; it never downloads a browser here.
chromium-browser:
	$(call apt-install,test -x /usr/bin/chromium,chromium,the HTML report's tests drive /usr/bin/chromium headless,apt-get install chromium (Debian))

## make accuracy: measure how far CPython's libm, torch (every emulated MKL/ATen/glibc platform) and JAX are from correctly rounded (docs/ACCURACY.json; the spec's accuracy table)
accuracy: $(STAMP)
	$(PY) -m parity accuracy

## make ports: the compliance report across the in-tree ports and micrograd 0.1.0 (docs/PORTS.md, docs/PORTS.json)
ports: $(STAMP)
	$(PY) -m parity ports

## make frameworks: every framework engine (micrograd_ref, jax, tensorflow, autograd, tinygrad) against torch (docs/FRAMEWORKS.md, docs/FRAMEWORKS.json)
frameworks: $(STAMP)
	$(PY) -m parity frameworks

## make frameworks-stale: list the declared differences of the framework engines that no longer occur (exit 1 if any)
frameworks-stale: $(STAMP)
	$(PY) -m parity frameworks --stale

## make bench: benchmarks of every engine, side by side (see README)
bench: $(BSTAMP)
	$(PY) -m bench

## make bench-check: fail when micrograd_ref is slower than the saved baseline by more than the margin
bench-check: $(BSTAMP)
	$(PY) -m bench --check

## make golden: rewrite the committed golden vectors and the spec from the op table and catalogue
golden: spec
	$(PY) -m parity export golden

## make spec: rewrite docs/SPEC.md from the op table (python -m parity spec)
spec: $(STAMP)
	$(PY) -m parity spec > docs/SPEC.md.tmp
	mv docs/SPEC.md.tmp docs/SPEC.md

## make conventions: rewrite docs/CONVENTIONS.md (every edge case in torch, JAX, micrograd_ref, micrograd 0.1.0)
conventions: $(STAMP)
	$(PY) -m parity conventions

## make port-check: run a port through the conformance runner (PORT='node examples/js_port/port.js'; default the Python example)
port-check: $(STAMP)
	$(PY) -m parity check-port -- $(PORT)

## make mutants: mutation testing of ops.py, floats.py, engine.py (cosmic-ray; the check is the parity harness vs the golden vectors, then the engine's tests; about an hour; MUTATE=micrograd_ref/ops.py for one file; report in mutants/report.md, equivalents in docs/MUTANTS.md)
mutants: $(MSTAMP)
	$(PY) tests/mutation_check/run.py $(MUTATE)

## make clean: remove the venv and caches
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks *.egg-info mutants
