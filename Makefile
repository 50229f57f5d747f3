# Two commands on a fresh machine: `make parity` and `make test`.
# Each creates the virtualenv it needs (.venv, pinned deps from pyproject.toml) when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench

.PHONY: parity test bench bench-check golden spec port-check clean graphviz-program

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(BSTAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

## make parity: replay every catalogue graph in micrograd_ref and torch float64, compare every node
parity: $(STAMP)
	$(PY) -m parity

## make test: the whole suite (engine, nn, seed notes, harness, porting kit)
test: $(STAMP) graphviz-program
	$(PY) -m pytest -q

# The drawing tests run Graphviz's `dot` program: install it with the system's package manager
# when it is missing (apt-get, as root or through passwordless sudo); otherwise stop with the
# command to run. Does nothing when `dot` is on PATH.
graphviz-program:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing the Graphviz program (dot) for the drawing tests: apt-get install graphviz"; \
	    { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null 2>&1 || \
	      { $$SUDO apt-get update -qq >/dev/null 2>&1 && \
	        $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null 2>&1; }; } ; \
	  fi; \
	  command -v dot >/dev/null 2>&1 || { \
	    echo "make test needs the Graphviz program 'dot' (the drawing tests run it) and could not install it."; \
	    echo "Install it, then rerun: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS),"; \
	    echo "or see https://graphviz.org/download/"; exit 1; }; }

## make bench: benchmarks of every engine, side by side (see README)
bench: $(BSTAMP)
	$(PY) -m bench

## make bench-check: fail when micrograd_ref is slower than the saved baseline by more than the margin
bench-check: $(BSTAMP)
	$(PY) -m bench --check

## make golden: rewrite the committed golden vectors and the spec from the op table and catalogue
golden: $(STAMP)
	$(PY) -m parity export golden
	$(PY) -m parity spec > docs/SPEC.md

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks *.egg-info
