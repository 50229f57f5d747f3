"""A port in any language, as a process speaking the line protocol (protocol v1, docs/SPEC.md).

  runner -> port   {"type": "start", "protocol": 1}
  port -> runner   {"type": "hello", "protocol": 1, "name": ..., "version": ..., "language": ..., "ops": [...]}
  runner -> port   {"type": "graph", "id": 7, "name": ..., "case": ..., "output": ..., "nodes": [...]}
  port -> runner   {"id": 7, "data": [...], "grad": [...]}   or   {"id": 7, "error": "..."}

The runner closes the port's stdin at the end; the port exits 0. A port that answers the
handshake wrongly cannot be run at all (EngineUnavailable: one line, exit 2). Once it has
shaken hands, a crash, a hang (timeout), a malformed answer or an answer to the wrong
request is that graph's error, named; the port is restarted for the next graph.
"""

import json
import queue
import re
import shlex
import signal
import subprocess
import threading
import time

from micrograd_ref.ops import OPS, PRIMITIVES

from ..lifetime import child_setup
from .base import ALL_OPS, SPEC_CORRECTLY_ROUNDED, Engine, EngineError, EngineUnavailable, Replay

PROTOCOL = 1
HELLO_FIELDS = ("name", "version", "language", "ops")
SPECIALS = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


UNKNOWN_PROBE = "x-unknown"  # a message type no protocol version defines (sent to test the rule of ignoring it)


class PortFailure(EngineError):
    """The port failed on one graph (crash, hang, malformed or mismatched answer, reported error)."""


def _reject_constant(token):
    raise ValueError(f"bare {token} is not JSON (write the string \"{token.lower().replace('infinity', 'inf')}\")")


def _int(token):
    """A JSON integer; "-0" is negative zero (SPEC section 7: a zero's sign is significant), not the int 0."""
    value = int(token)
    return -0.0 if value == 0 and token.startswith("-") else value


def parse_line(line):
    """One JSON object; bare NaN/Infinity tokens are refused (the protocol spells them as strings)."""
    return json.loads(line, parse_constant=_reject_constant, parse_int=_int)


def numbers(answer, key, n):
    """answer[key] as n floats: JSON numbers or the strings "inf", "-inf", "nan"; anything else is named."""
    seq = answer.get(key)
    if not isinstance(seq, list):
        raise PortFailure(f"answer's {key!r} must be a list of {n} numbers, got {json.dumps(seq)[:60]}")
    if len(seq) != n:
        raise PortFailure(f"answer's {key!r} must be a list of {n} numbers, got {len(seq)} entries")
    out = []
    for i, v in enumerate(seq):
        if type(v) in (int, float):
            out.append(float(v))
        elif isinstance(v, str) and v in SPECIALS:
            out.append(SPECIALS[v])
        else:
            raise PortFailure(f"answer's {key}[{i}] is {json.dumps(v)[:40]}: not a JSON number or "
                              f"\"inf\"/\"-inf\"/\"nan\"")
    return out


class Port(Engine):
    """``port:CMD``: CMD is split like a shell command line (no shell is run)."""

    route = "line protocol"

    def __init__(self, cmd, timeout=30.0, name=None):
        self.cmd = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        if not self.cmd:
            raise EngineUnavailable("port: no command given (use port:'CMD ARGS')")
        self.timeout = timeout
        self.proc = None
        self.hello = None
        self.request_id = 0
        self._name = name

    @property
    def name(self):
        if self._name:
            return self._name
        return self.hello["name"] if self.hello else "port"

    # -- process --------------------------------------------------------------------
    def _spawn(self):
        try:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1, encoding="utf-8",
                                         preexec_fn=child_setup())  # killed with its worker, even by SIGKILL
        except OSError as exc:
            raise EngineUnavailable(f"cannot run {shlex.join(self.cmd)}: {exc.strerror or exc}") from None
        self.lines = queue.Queue()
        self.err = StderrLog()
        threading.Thread(target=_pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=_drain, args=(self.proc.stderr, self.err), daemon=True).start()

    def _send(self, msg):
        try:
            self.proc.stdin.write(json.dumps(msg, separators=(",", ":")) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the read reports the exit

    def _receive(self):
        """The next non-empty line, or PortFailure on exit or timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise PortFailure(f"port timed out after {self.timeout:g}s") from None
            if line is None:
                code = self.proc.wait()
                tail = self.stderr_tail()
                self.proc = None
                raise PortFailure(f"port exited with code {code}{_signal_name(code)}" + (f": {tail}" if tail else ""))
            if line.strip():
                return line

    def stderr_tail(self, lines=5):
        """The port's last stderr lines, after the line that names its error when that line came earlier (a
        Java exception above a thousand stack frames): "NAMED ... | LAST | LINES"."""
        self.err.ended.wait(2.0)  # the port has exited: its stderr ends as soon as the drain thread has read it all
        return stderr_excerpt(self.err, lines)

    def stop(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    # -- handshake ----------------------------------------------------------------------
    def start(self):
        """Start the port and shake hands; EngineUnavailable (exit 2) when it does not speak protocol v1."""
        self._spawn()
        self._send({"type": "start", "protocol": PROTOCOL})
        try:
            line = self._receive()
        except PortFailure as exc:
            self.stop()
            raise EngineUnavailable(f"port {shlex.join(self.cmd)} did not answer the handshake: {exc}") from None
        hello = self._check_hello(line)
        if self.hello is not None and hello != self.hello:
            raise PortFailure("port answered a different handshake after a restart")
        first = self.hello is None
        self.hello = hello
        self.ops = frozenset(hello["ops"])
        self.correctly_rounded = frozenset(hello.get("correctly_rounded", SPEC_CORRECTLY_ROUNDED))
        if first:
            self._check_ignores_unknown()

    def _check_ignores_unknown(self):
        """SPEC section 7, 'Unknown messages': a port answers nothing to a line whose type is neither start nor
        graph, and exits 0 at end of input. Tested once per run, on the handshake's own process: after the hello,
        one such line, then end of input; the port must print nothing more and exit 0. (Only those two lines
        were sent, so a failure here is the rule's, not a graph's.) The next start is a fresh process."""
        self._send({"type": UNKNOWN_PROBE, "note": "a line of a type this protocol version does not define: "
                                                   "answer nothing and read on (SPEC section 7)"})
        proc = self.proc
        try:
            proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            code = proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        self.proc = None
        said = []
        while True:
            try:
                line = self.lines.get(timeout=2)
            except queue.Empty:
                break
            if line is None:
                break
            if line.strip():
                said.append(line.strip())
        rule = "SPEC section 7: answer nothing to a line of unknown type, exit 0 at end of input"
        if said:
            raise EngineUnavailable(f"port {shlex.join(self.cmd)} answered a line of unknown type ({rule}): "
                                    f"{said[0][:120]}")
        if code != 0:
            how = f"did not exit within {self.timeout:g}s" if code is None else f"exited with code {code}"
            tail = self.stderr_tail()
            raise EngineUnavailable(f"port {shlex.join(self.cmd)} {how} after a line of unknown type and the end of "
                                    f"its input ({rule})" + (f": {tail}" if tail else ""))

    def _check_hello(self, line):
        def bad(why):
            self.stop()
            return EngineUnavailable(f"port {shlex.join(self.cmd)} answered the handshake wrongly: {why}")

        try:
            hello = parse_line(line)
        except ValueError:
            raise bad(f"not a JSON line: {line.strip()[:100]!r}") from None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise bad(f'expected {{"type": "hello", ...}}, got {line.strip()[:100]}')
        if hello.get("protocol") != PROTOCOL:
            raise bad(f"it speaks protocol {hello.get('protocol')!r}; this runner speaks protocol {PROTOCOL}")
        for key in HELLO_FIELDS[:3]:
            if not isinstance(hello.get(key), str) or not hello[key]:
                raise bad(f"{key!r} must be a non-empty string")
        ops = hello.get("ops")
        if not isinstance(ops, list) or not all(isinstance(o, str) for o in ops):
            raise bad("'ops' must be a list of op names")
        unknown = sorted(set(ops) - ALL_OPS)
        if unknown:
            raise bad(f"unknown ops {', '.join(unknown)} (the spec's ops: {', '.join([*OPS, 'select'])})")
        rounded = hello.get("correctly_rounded", sorted(SPEC_CORRECTLY_ROUNDED))  # optional: what it rounds correctly
        if not isinstance(rounded, list) or not set(rounded) <= set(PRIMITIVES):
            raise bad(f"'correctly_rounded' must be a list of primitives from {', '.join(PRIMITIVES)}")
        return {**{k: hello[k] for k in HELLO_FIELDS}, "correctly_rounded": rounded}

    def after_fork(self):
        self.proc = None  # the parent's process and pipes stay the parent's; a worker starts its own

    # -- one graph ------------------------------------------------------------------------
    def ask(self, request):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.request_id += 1
        rid = self.request_id
        self._send({"type": "graph", "id": rid, **request})
        line = self._receive()
        try:
            answer = parse_line(line)
        except ValueError as exc:
            self.stop()
            raise PortFailure(f"port printed something that is not a JSON line ({exc}): {line.strip()[:120]!r}") from None
        if not isinstance(answer, dict):
            raise PortFailure(f"port answered {type(answer).__name__}, not an object: {line.strip()[:120]!r}")
        if answer.get("id") != rid:
            self.stop()  # out of step: restart rather than read every later answer against the wrong request
            raise PortFailure(f"port answered request id {answer.get('id')!r}, expected {rid}")
        if "error" in answer:
            raise PortFailure(f"port reported an error: {str(answer['error'])[:300]}")
        return answer

    def run(self, graph):
        from ..golden import tape_nodes

        tape = graph.tape
        request = {"name": graph.entry, "case": graph.case, "output": tape.output, "nodes": tape_nodes(tape)}
        answer = self.ask(request)
        n = len(tape.nodes)
        return Replay(numbers(answer, "data", n), numbers(answer, "grad", n))

    def close(self):
        self.stop()

    def about(self):
        return {"name": self.name, "command": self.cmd, **(self.hello or {})}


def _pump(stream, q):
    try:
        for line in stream:
            q.put(line)
    except (OSError, ValueError):
        pass
    q.put(None)


# A line of stderr that names an error: an exception or error class, a panic, a failed assertion, a signal; not a
# stack frame ("  at ...", "  File ...", "  #3 0x...").
ERROR_LINE = re.compile(r"error|exception|panic|assert|signal|segmentation fault|abort|fatal|sig[a-z]{2,5}\b", re.I)
FRAME = re.compile(r"^\s+(at |File |#\d+|\d+: )|^\s*\.\.\. \d+ more")


class StderrLog(list):
    """The last lines of a port's stderr (a list), plus the first and the latest lines that name an error."""

    KEEP = 20

    def __init__(self):
        super().__init__()
        self.named = []  # at most 2: the first line that names an error, and the latest one
        self.ended = threading.Event()  # set when the stream has ended (the drain thread has read every line)
        self.more = False  # the latest named line ends in ':': its message is the next line

    def add(self, line):
        if self.more:  # Rust: "thread 'main' panicked at src/main.rs:10:5:" then the panic's message
            self.named[-1] = f"{self.named[-1].rstrip()} {line.strip()}"
            self.more = False
        elif ERROR_LINE.search(line) and not FRAME.match(line):
            self.named[1:] = [line]
            self.more = line.rstrip().endswith(":")
        self.append(line)
        del self[:-self.KEEP]


def stderr_excerpt(log, lines=5):
    """The last `lines` lines of stderr, preceded by the lines that name the error when they are not among them."""
    tail = [s.rstrip() for s in list(log)[-lines:]]
    named = [s.rstrip() for s in getattr(log, "named", []) if s.rstrip() not in tail]
    parts = named + (["..."] if named and len(log) > lines else []) + tail
    return " | ".join(p for p in parts if p.strip()).strip()


def _signal_name(code):
    if code is None or code >= 0:
        return ""
    try:
        return f" (signal {signal.Signals(-code).name})"
    except ValueError:
        return f" (signal {-code})"


def _drain(stream, sink):
    try:
        for line in stream:
            sink.add(line)
    except (OSError, ValueError):
        pass
    finally:
        sink.ended.set()
