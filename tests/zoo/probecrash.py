"""A micrograd-API engine whose probe misbehaves: ``v ** w`` between two values segfaults (a NULL read through
ctypes, as minigrad 0.0.6's C ``Value ** Value`` goes wrong), ``tanh()`` calls sys.exit; ``v ** k`` with a
number works, and relu is spelled ``reLU`` (omnigrad's spelling). The rest is crashing.py's small engine."""

import ctypes
import sys

import crashing


class Value(crashing.Value):
    relu = None  # spelled reLU below

    def reLU(self):
        return crashing.Value.relu(self)

    def __pow__(self, k):
        if isinstance(k, Value):
            ctypes.string_at(0)  # SIGSEGV
        return type(self)(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def tanh(self):
        sys.exit(3)
