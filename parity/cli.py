"""python -m parity: the commands on top (the run, check-port, spec, export, ports, conventions, serve,
template); the machinery they share lives below them (run_command, usage, workers), which import no command.

See run_command.py for the help of `python -m parity`.
"""

import signal
import sys

from .run_command import run
from .usage import USAGE_ERROR, UsageError, select  # noqa: F401 (the names commands and tests use)

SUBCOMMANDS = ("check-port", "conventions", "ports", "frameworks", "serve", "spec", "export", "template", "accuracy")


class Interrupted(BaseException):
    def __init__(self, signum):
        self.signum = signum


def _on_signal(signum, frame):
    raise Interrupted(signum)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _dispatch(argv)
    except Interrupted as exc:
        print("interrupted", file=sys.stderr)
        return 128 + exc.signum
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _dispatch(argv):
    if argv and argv[0] in SUBCOMMANDS:
        from . import porting

        return porting.main(argv)
    return run(argv)
