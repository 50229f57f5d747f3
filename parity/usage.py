"""Usage errors and what every command checks before any work: graph patterns and output paths.

A command line that cannot be honoured is one line on stderr and exit 2, before any graph runs.
An output path is proven writable by writing it (os.access says yes to root even where the
kernel refuses the write, e.g. under /sys or /proc).
"""

import difflib
import fnmatch
import os
import tempfile

USAGE_ERROR = 2


class UsageError(Exception):
    """A command line that cannot be honoured: one line on stderr, exit 2, before any work."""


# --- selecting graphs ---------------------------------------------------------------------

def _matches(name, pattern):
    return fnmatch.fnmatchcase(name, pattern) or name == pattern or name.startswith(pattern.rstrip("/") + "/")


def select(names, patterns, what="graph", exclude=()):
    """Names matching any pattern (all when none) and no exclude pattern; every pattern, and every exclude
    pattern, must match something."""
    names = list(names)
    for p in list(patterns) + list(exclude):
        if not any(_matches(n, p) for n in names):
            close = difflib.get_close_matches(p, names, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else " (--list shows them)"
            raise UsageError(f"{'--exclude: ' if p not in patterns else ''}no {what} matches {p!r}{hint}")
    chosen = [n for n in names if not patterns or any(_matches(n, p) for p in patterns)]
    if not exclude:
        return chosen
    left = [n for n in chosen if not any(_matches(n, p) for p in exclude)]
    if not left:
        raise UsageError(f"--exclude leaves no {what} to run")
    return left


# --- proving output paths writable before any work ------------------------------------------------

def check_output_file(path, option):
    """Prove that path can be written, by opening it for writing (a new file is removed again; an existing
    one is opened for appending, which changes nothing). UsageError naming the option otherwise."""
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    existed = os.path.exists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot be written ({exc.strerror or exc})") from None
    if not existed:
        try:
            os.remove(path)
        except OSError:
            pass


def check_output_dir(path, option):
    """Prove that files can be written in directory path, by making it (when missing) and a file in it, then
    removing both: nothing is left behind; the directory is made again when there is something to write."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path}: exists and is not a directory")
    made = []
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        made.append(probe)
        probe = os.path.dirname(probe)
    try:
        os.makedirs(path, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path, prefix=".parity-probe-")
        os.close(fd)
        os.remove(name)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write in {probe if made else path} ({exc.strerror or exc})") from None
    finally:
        for d in made:  # deepest first
            try:
                os.rmdir(d)
            except OSError:
                pass
