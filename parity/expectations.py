"""Expected disagreements: an engine's declared differences from torch, and a porter's known failures.

Both are TOML files of entries, each naming graphs by a pattern on the graph name
(``entry [case]``; ``*`` matches any text and ``?`` one character, everything else is
literal, brackets included: ``edge/relu [relu(nan) g=*``, ``scale/*``) with a reason:

    [[expected]]
    match = "edge/relu [relu(nan)*"
    op = "relu"                       # optional: the op the difference is about
    reason = "relu'(nan) is 0 in JAX; torch passes the gradient through"
    link = "https://..."              # optional
    exact = true                      # optional: match is the graph's name itself, no pattern
    nondeterministic = true           # optional: the engine's bits vary from run to run on these graphs

A graph that disagrees (FAIL or ERROR) and matches an entry is XFAIL, reported with the
entry's reason, and does not fail the run.

- **Declared differences** ship with an engine (``Engine.differences``): an entry that
  matched no disagreement in a run that covered its graphs is reported as *stale*.
- **Known failures** (``--known-failures FILE``) are a porter's to-do list and are strict:
  a listed graph that passes is XPASS and fails the run (remove the entry), and an entry
  that matches no graph at all is a usage error. ``--write-known-failures FILE`` writes
  one from a run: one exact entry per failing case, with a reason to fill in; for an entry with a case found
  nondeterministic (two replays of it gave other bits), one entry for the whole entry instead.
- **Nondeterministic** entries (``nondeterministic = true``): the engine's bits vary from run to run (it
  sums in the order of a set of objects), so a listed graph may agree or not: one that disagrees is XFAIL,
  one that agrees is PASS, never XPASS.
"""

import functools
import json
import os
import platform
import re
import tomllib
from dataclasses import dataclass, field


@functools.lru_cache(maxsize=None)
def _glob(pattern):
    """* is any text, ? one character, the rest literal (graph names hold brackets and parentheses)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


class ExpectationsError(ValueError):
    """A file that cannot be used (missing, not TOML, an entry without match or reason)."""


@dataclass(frozen=True)
class Expected:
    match: str
    reason: str
    op: str = ""
    link: str = ""
    source: str = ""  # the file it came from
    strict: bool = False  # a known failure: a listed graph that agrees is XPASS and fails the run
    exact: bool = False  # match is a graph's whole name, * and ? included (as --write-known-failures writes)
    nondeterministic: bool = False  # the engine's bits vary here: agreeing is PASS, never XPASS

    def matches(self, graph_name):
        if self.exact:
            return graph_name == self.match
        return _glob(self.match).match(graph_name) is not None

    def matches_entry(self, entry_name):
        """Could this pattern match some case of the entry? (the part before ' [' is matched against the entry)."""
        if self.exact:
            return self.match == entry_name or self.match.startswith(entry_name + " [")
        return _glob(self.match.split(" [", 1)[0]).match(entry_name) is not None

    def __str__(self):
        return f"{self.match}: {self.reason}" + (f" ({self.link})" if self.link else "")


@dataclass
class Expectations:
    entries: list = field(default_factory=list)

    def find(self, graph_name):
        for e in self.entries:
            if e.matches(graph_name):
                return e
        return None

    def __bool__(self):
        return bool(self.entries)

    def __add__(self, other):
        return Expectations(self.entries + other.entries)


def load(path, strict=False):
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise ExpectationsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{path} is not valid TOML: {exc}") from None
    items = doc.get("expected", [])
    if not isinstance(items, list):
        raise ExpectationsError(f"{path}: 'expected' must be a list of [[expected]] tables")
    entries = []
    for i, item in enumerate(items):
        unknown = set(item) - {"match", "reason", "op", "link", "exact", "nondeterministic"}
        if unknown or not isinstance(item.get("match"), str) or not isinstance(item.get("reason"), str) \
                or not item["match"] or not item["reason"].strip() or not isinstance(item.get("exact", False), bool) \
                or not isinstance(item.get("nondeterministic", False), bool):
            what = f"unknown keys {sorted(unknown)}" if unknown else "it needs a non-empty 'match' and 'reason'"
            raise ExpectationsError(f"{path}: entry {i + 1}: {what}")
        entries.append(Expected(item["match"], item["reason"].strip(), item.get("op", ""), item.get("link", ""),
                                source=str(path), strict=strict, exact=item.get("exact", False),
                                nondeterministic=item.get("nondeterministic", False)))
    return Expectations(entries)


def platform_name():
    """The platform in a few words: OS, machine, the widest vector extension (libraries such as MKL round by
    it), MKL_CBWR when set, Python."""
    parts = [f"{platform.system()} {platform.machine()}"]
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
        widest = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2")) if flag in flags), None)
        if widest:
            parts.append(widest)
    except OSError:
        pass
    if os.environ.get("MKL_CBWR"):
        parts.append(f"MKL_CBWR={os.environ['MKL_CBWR']}")
    return ", ".join(parts + [f"Python {platform.python_version()}"])


def known_failures_toml(results, command=""):
    """A known-failures file accepting every failing case (FAIL or ERROR) of a run, one exact entry each, with
    a reason placeholder naming the case's op(s), the platform and the first disagreement. Passing cases are
    never listed, so rerunning with --known-failures on the same platform gives no XPASS."""
    lines = ["# Known failures written by --write-known-failures" + (f" ({command})" if command else ""),
             f"# on {platform_name()}. One entry per failing case, by its exact name; replace each TODO",
             "# with why it differs, then run with --known-failures FILE. A listed case that passes is XPASS.", ""]
    n = 0
    for r in results:
        first = {}
        for m in r.mismatches:
            first.setdefault(m.graph, m)
        if r.count_nondeterministic():
            n += _whole_entry(lines, r)
            continue
        for c in r.cases:
            if c.status not in ("FAIL", "ERROR"):
                continue
            n += 1
            ops = ", ".join(c.ops) or "no op"
            what = str(first[c.name]).split(": ", 1)[1] if c.name in first else c.reason
            reason = (f"TODO: why {ops} differs on {platform_name()} ({r.engine} vs {r.reference}); "
                      f"first disagreement: {what}")
            lines += ["[[expected]]", f"match = {json.dumps(c.name)}", "exact = true",
                      *([f"op = {json.dumps(c.ops[0])}"] if len(c.ops) == 1 else []),
                      f"reason = {json.dumps(reason[:400])}", ""]
    return "\n".join(lines), n


def _whole_entry(lines, r):
    """One nondeterministic entry for every case of r (its bits vary: any case may fail in the next run)."""
    names = {c.name for c in r.cases}
    if names == {r.name} or "*" in r.name or "?" in r.name:
        matches = [(name, True) for name in sorted(names)]
    else:
        matches = [(f"{r.name} [*", False)]
    varying = next((line for line in r.varying), "")
    reason = (f"TODO: why {r.engine}'s bits vary from run to run on {platform_name()} (vs {r.reference}); "
              f"{varying.split(': ', 1)[-1]}")
    for match, exact in matches:
        lines += ["[[expected]]", f"match = {json.dumps(match)}", *(["exact = true"] if exact else []),
                  "nondeterministic = true", f"reason = {json.dumps(reason[:400])}", ""]
    return sum(c.status in ("FAIL", "ERROR") for c in r.cases)
