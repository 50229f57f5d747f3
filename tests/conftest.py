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
