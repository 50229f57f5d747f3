"""A class named Value with no backward() (a forward-only calculator)."""


class Value:
    def __init__(self, data):
        self.data = float(data)

    def __add__(self, o):
        return Value(self.data + o.data)
