# Two commands on a fresh machine: `make parity` and `make test`.
# Each creates the virtualenv it needs (.venv, pinned deps from pyproject.toml) when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench

.PHONY: parity test bench bench-check golden spec port-check clean

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
test: $(STAMP)
	$(PY) -m pytest -q

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
