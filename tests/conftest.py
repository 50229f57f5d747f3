import math

import pytest


def same(x, y):
    """Bit-level float equality for expected values: nan == nan, 0.0 == -0.0 only when both zero."""
    if isinstance(x, float) and math.isnan(x):
        return isinstance(y, float) and math.isnan(y)
    return x == y


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """No test may be skipped: a skip (a missing program or package) fails, naming what to install."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped, but no test may be skipped (install what it needs; `make test` does): {reason}"
