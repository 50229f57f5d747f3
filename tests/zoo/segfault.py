"""A micrograd-API engine that segfaults (a NULL read through ctypes, as a C extension with a bad pointer does) in backward() on any graph of 40 nodes or more; small graphs work."""

import ctypes

import crashing


class Value(crashing.Value):
    def misbehave(self):
        ctypes.string_at(0)  # SIGSEGV
