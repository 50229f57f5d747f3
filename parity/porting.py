"""The porting kit's commands.

  python -m parity spec                     the spec (docs/SPEC.md) generated from the op table
  python -m parity export DIR               golden vectors of the whole catalogue (torch float64)
  python -m parity check-port [options] -- CMD ...
                                            run a port through the line protocol, compare with golden vectors

check-port protocol (also in docs/SPEC.md): the runner starts CMD once and writes one
request per line to its stdin: {"name", "case", "output", "nodes"} (a golden graph without
its expected values). The port answers each request with one line on stdout:
{"data": [...], "grad": [...]} (one entry per node, numbers or "inf"/"-inf"/"nan"), or
{"error": "..."}. A port that crashes, hangs (--timeout) or prints garbage fails that
graph and is restarted for the next one.
"""

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time

from .compare import Tolerance
from .engines import EngineResult
from .harness import GraphResult, compare

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")


class Port:
    """A port process speaking the line protocol, restarted after a crash or a hang."""

    def __init__(self, cmd, timeout):
        self.cmd, self.timeout, self.proc = cmd, timeout, None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.err), daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    @staticmethod
    def _drain(stream, sink):
        for line in stream:
            sink.append(line)
            del sink[:-20]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        self.proc = None

    def ask(self, request):
        """The port's parsed answer, or raise PortFailure saying what went wrong."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        try:
            self.proc.stdin.write(json.dumps(request, separators=(",", ":")) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the read below reports the exit
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise PortFailure(f"port timed out after {self.timeout:g}s") from None
            if line is None:
                code = self.proc.wait()
                tail = "".join(self.err[-5:]).strip()
                self.proc = None
                raise PortFailure(f"port exited with code {code}" + (f": {tail}" if tail else ""))
            if line.strip():
                break
        try:
            answer = json.loads(line)
        except ValueError:
            self.stop()
            raise PortFailure(f"port printed something that is not a JSON line: {line[:120]!r}") from None
        if not isinstance(answer, dict):
            raise PortFailure(f"port answered {type(answer).__name__}, not an object: {line[:120]!r}")
        if "error" in answer:
            raise PortFailure(f"port reported an error: {str(answer['error'])[:300]}")
        return answer


class PortFailure(Exception):
    pass


def _numbers(answer, key, n):
    from .golden import from_num

    seq = answer.get(key)
    if not isinstance(seq, list) or len(seq) != n:
        got = f"{len(seq)} entries" if isinstance(seq, list) else repr(seq)[:60]
        raise PortFailure(f"port's {key!r} must be a list of {n} numbers, got {got}")
    try:
        return [from_num(v) for v in seq]
    except (KeyError, TypeError, ValueError):
        raise PortFailure(f"port's {key!r} holds something that is not a number or 'inf'/'-inf'/'nan'") from None


def check_port(cmd, docs, timeout=30.0, engine_name="port"):
    from .golden import from_num, tape_from_nodes

    port = Port(cmd, timeout)
    results = []
    try:
        for doc in docs:
            res = GraphResult(doc["name"], checks=["golden (torch float64)"])
            t0 = time.perf_counter()
            tol = Tolerance(doc["tolerance"]["rtol"], doc["tolerance"]["atol"], doc["tolerance"]["exact"])
            for g in doc["graphs"]:
                graph = f"{doc['name']} [{g['case']}]" if g["case"] else doc["name"]
                n = len(g["nodes"])
                res.nodes += n
                res.cases += 1
                request = {"name": doc["name"], "case": g["case"], "output": g["output"], "nodes": g["nodes"]}
                try:
                    answer = port.ask(request)
                    got = {q: _numbers(answer, q, n) for q in ("data", "grad")}
                except PortFailure as exc:
                    res.error = (res.error + "; " if res.error else "") + f"{graph}: {exc}"
                    continue
                want = EngineResult(*([from_num(v) for v in g["expected"][q]] for q in ("data", "grad")))
                compare(res, graph, tape_from_nodes(g["nodes"], g["output"]),
                        EngineResult(got["data"], got["grad"]), want, tol, engine_name)
            res.seconds = time.perf_counter() - t0
            results.append(res)
    finally:
        port.stop()
    return results


def _select(docs, patterns):
    from .cli import _select as select

    names = select([d["name"] for d in docs], patterns)
    return [d for d in docs if d["name"] in names]


def main(argv):
    command, rest = argv[0], argv[1:]
    if command == "spec":
        from .spec import render

        sys.stdout.write(render())
        return 0
    if command == "export":
        p = argparse.ArgumentParser(prog="python -m parity export")
        p.add_argument("directory")
        p.add_argument("graphs", nargs="*")
        args = p.parse_args(rest)
        from .engines import TorchMissing, import_torch
        from .golden import export

        try:
            import_torch()
        except TorchMissing as exc:
            print(f"parity: {exc}", file=sys.stderr)
            return 2
        index = export(args.directory, set(args.graphs) or None)
        print(f"wrote {len(index['entries'])} entries, "
              f"{sum(e['nodes'] for e in index['entries'])} nodes to {args.directory}")
        return 0
    # check-port
    if "--" not in rest:
        print("usage: python -m parity check-port [--golden DIR] [--timeout S] [--json F] [--junit F] "
              "[graphs ...] -- CMD [ARGS ...]", file=sys.stderr)
        return 2
    split = rest.index("--")
    opts, cmd = rest[:split], rest[split + 1:]
    p = argparse.ArgumentParser(prog="python -m parity check-port")
    p.add_argument("graphs", nargs="*", help="entry names or globs (default all)")
    p.add_argument("--golden", default=GOLDEN_DIR, help="golden vectors directory (default: the committed golden/)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds the port may take per graph")
    p.add_argument("--json")
    p.add_argument("--junit")
    p.add_argument("--name", default="port", help="what to call the port in messages")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(opts)
    if not cmd:
        print("check-port: no port command after --", file=sys.stderr)
        return 2
    from . import golden, report

    try:
        docs = golden.load(args.golden)
    except (OSError, ValueError) as exc:
        print(f"check-port: cannot read golden vectors in {args.golden}: {exc}", file=sys.stderr)
        return 2
    docs = _select(docs, args.graphs)
    if not docs:
        print("check-port: no golden graph matches", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        results = check_port(cmd, docs, args.timeout, args.name)
    except OSError as exc:
        print(f"check-port: cannot run {' '.join(cmd)}: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    return report.emit(results, seconds, args.quiet, args.json, args.junit, suite="check-port",
                       extra={"port": cmd}, engine=args.name, reference="golden torch float64")
