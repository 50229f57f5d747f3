"""A micrograd-API engine that aborts (SIGABRT, as a C assert() does) in backward() on any graph of 40 nodes or more; small graphs work."""

import os

import crashing


class Value(crashing.Value):
    def misbehave(self):
        os.abort()
