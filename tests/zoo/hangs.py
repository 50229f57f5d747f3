"""A micrograd-API engine that hangs (sleeps for days) in backward() on any graph of 40 nodes or more; small graphs work."""

import time

import crashing


class Value(crashing.Value):
    def misbehave(self):
        time.sleep(10 ** 6)  # never returns in time
