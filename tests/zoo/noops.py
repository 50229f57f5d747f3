"""A value class with a backward() and no op that works: + gives the wrong number, the rest is not there."""


class Value:
    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0

    def __add__(self, o):
        return Value(0.0)

    def backward(self):
        self.grad = 1.0
