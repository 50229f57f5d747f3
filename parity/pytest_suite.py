"""The catalogue as a pytest suite for any engine: one pytest case per catalogue case.

In your own test file (the ONNX backend-test idiom, in pytest form):

    from parity.pytest_suite import catalogue_tests
    from my_engine import MyEngine

    test_catalogue = catalogue_tests(MyEngine(), reference="golden", include=["seed/*", "edge/*"],
                                     known_failures="known.toml")

``engine`` is an Engine (or its command-line name: "jax", "port:CMD", "pkg.mod:Name"); ``reference`` is the
engine it is checked against ("golden": the committed golden vectors, no torch needed; or "torch", ...);
``include`` selects entries by name, prefix or glob as `python -m parity` does (every pattern must match);
``known_failures`` is a TOML file in the `--known-failures` format: a listed case that disagrees is XFAIL
(pytest's xfail, with the entry's reason), one that agrees fails as XPASS. The engine's own declared
differences (``engine.differences``) are xfails too. A case the engine cannot run (an op it lacks, an
Unsupported graph) is a pytest skip with the reason; a disagreement fails with the text `python -m parity`
prints (the nodes, both values, the likely culprit). A training entry (its steps depend on one another) is
one pytest case. The cases run in pytest's own process, uncontained: an engine that segfaults or hangs ends
the pytest run (`python -m parity --engine ...` contains it, see parity/workers.py).
"""

from .catalogue import CATALOGUE, cases_of
from .usage import UsageError, select


def catalogue_tests(engine, reference="golden", include=(), known_failures=None):
    """A pytest test function parametrized with one case per selected catalogue case."""
    import pytest

    try:
        names = select(CATALOGUE, list(include))
    except UsageError as exc:
        raise ValueError(f"catalogue_tests: {exc}") from None
    params = []
    for name in names:
        entry = CATALOGUE[name]
        if entry.kind == "training":
            params.append(pytest.param(name, None, id=name))
            continue
        for k, (case, _) in enumerate(cases_of(entry)):
            params.append(pytest.param(name, k, id=f"{name} [{case}]" if case else name))
    state = _State(engine, reference, known_failures)

    @pytest.mark.parametrize("entry_name,case_index", params)
    def test_catalogue(entry_name, case_index):
        state.check(entry_name, case_index)

    return test_catalogue


class _State:
    """The started engines, the expectations and the tapes of the entry being run (one entry at a time)."""

    def __init__(self, engine, reference, known_failures):
        self.spec, self.reference_spec, self.known_failures = engine, reference, known_failures
        self.run = None
        self.cached = (None, None)

    def _start(self):
        from . import expectations as exps
        from .engines import make
        from .harness import Run

        eng = make(self.spec) if isinstance(self.spec, str) else self.spec
        ref = make(self.reference_spec) if isinstance(self.reference_spec, str) else self.reference_spec
        for x in (ref, eng):
            x.start()
        expected = exps.load(eng.differences) if getattr(eng, "differences", None) else exps.Expectations()
        if self.known_failures:
            expected = expected + exps.load(self.known_failures, strict=True)
        self.run = Run(eng, ref, expected)

    def cases(self, name):
        if self.cached[0] != name:
            self.cached = (name, list(cases_of(CATALOGUE[name])))
        return self.cached[1]

    def check(self, name, index):
        import pytest

        from .engines import Graph
        from .harness import GraphResult
        from .report import failures

        if self.run is None:
            self._start()
        run, entry = self.run, CATALOGUE[name]
        if index is None:
            res = run.entry(entry)
        else:
            case, tape = self.cases(name)[index]
            res = GraphResult(name, entry.level, *run.names)
            focus = name.split("/", 1)[1] if entry.level == "edge" else None
            run.check(res, Graph(name, case, tape), entry.tol, entry.smooth, None, focus)
        statuses = {c.status for c in res.cases}
        if statuses & {"FAIL", "ERROR", "XPASS"}:
            pytest.fail(failures([res]), pytrace=False)
        if statuses == {"SKIP"}:
            pytest.skip("; ".join(sorted({c.reason for c in res.cases})))
        if "XFAIL" in statuses:
            pytest.xfail("; ".join(sorted({c.reason for c in res.cases if c.status == "XFAIL"})))
