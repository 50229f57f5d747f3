"""Cells without a timing ('n/a', 'FAIL (RecursionError)'), recorded by the benchmarks in this process."""

STATUS = []  # [(info dict, status string)]


def record(info, status):
    STATUS.append((dict(info), status))


def clear():
    STATUS.clear()
