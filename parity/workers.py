"""Running catalogue entries in supervised worker processes: an engine that crashes or hangs costs one case.

Shared by the commands that run entries (python -m parity, check-port, ports, frameworks); it knows no command.

Every entry runs in a forked worker process, with -j 1 too (the engines were started in the parent, before the
fork). Before each case, and before each engine's replay of it, the worker writes in memory it shares with the
parent which case it starts and which engine replays it (no system call: the supervision costs nothing per
case). The parent keeps one time limit per case (--timeout) on its own clock: it looks at that memory at least
every POLL seconds and times how long it has stayed the same. It never reads a time the worker wrote: a read
that meets a write half done (the parent does not wait for the worker) only looks like progress, so it can
delay a kill by one look, never cause one. A worker that dies (a signal such as SIGSEGV or SIGABRT, an exit) or overruns the limit (the
parent kills it) makes that case ERROR, naming the engine and the signal or the limit; a fresh worker runs the
entry again with the cases known to crash marked ERROR without running them (the cases before simply run
again), and the run goes on, so every report is written. After MAX_CRASHES crashes in one entry, its cases
not yet finished are ERROR without running. SIGINT / SIGTERM: the parent kills its workers, which ignore
SIGINT and die with their parent (PR_SET_PDEATHSIG).
"""

import mmap
import multiprocessing
import signal
import struct
import time
from collections import deque
from multiprocessing.connection import wait

from .lifetime import die_with_parent

DEFAULT_TIMEOUT = 120.0  # seconds a case may take (the slowest built-in case, scale/* in torch, takes a few)
MAX_CRASHES = 8  # crashes in one entry before its unfinished cases are given up
GRACE = 5.0  # beyond the limit before the parent kills a worker (a port's own timer, the same limit, and its stop speak first)
POLL = 1.0  # the parent looks at a busy worker's progress at least this often (seconds)
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_FORKED = {}  # set before forking: workers inherit the run and the entries and receive only indices


# --- in the worker -----------------------------------------------------------------------------------

class _Progress:
    """Which case a worker is at, in memory it shares with the parent (written without a system call, read by
    the parent only when it wakes): a count of the writes, the case's sequence number in the task, the phase
    (0: the reference replays it, 1: the candidate) and the case's name. The parent reads it whole (read) only
    when the worker has stopped (died or killed); while the worker runs, a read may meet a write half done, so
    the parent uses it then only to see that something changed (stalled)."""

    HEAD = struct.Struct("<QqBH")  # writes so far, sequence number, phase, length of the name
    SIZE = 4096

    def __init__(self):
        self.buf = mmap.mmap(-1, self.SIZE)  # anonymous and shared: the forked worker writes, the parent reads
        self.writes = 0  # in the worker
        self.seen, self.since = None, time.monotonic()  # in the parent: what it last saw, and since when

    def start(self, seq, case, phase):
        name = case.encode("utf-8", "replace")[:self.SIZE - self.HEAD.size]
        self.buf[self.HEAD.size:self.HEAD.size + len(name)] = name
        self.writes += 1
        self.buf[:self.HEAD.size] = self.HEAD.pack(self.writes, seq, phase, len(name))

    def phase(self, phase):
        self.buf[16] = phase  # the sequence number stays
        self.writes += 1
        self.buf[:8] = _COUNT.pack(self.writes)

    def stalled(self, now):
        """In the parent: seconds, on the parent's own clock, since it last saw this memory change (the count of
        writes, read whole or not: a half-done write only looks like a change)."""
        stamp = self.buf[:self.HEAD.size]
        if stamp != self.seen:
            self.seen, self.since = stamp, now
        return now - self.since

    def read(self):
        _, seq, phase, n = self.HEAD.unpack_from(self.buf, 0)
        return seq, phase, bytes(self.buf[self.HEAD.size:self.HEAD.size + n]).decode("utf-8", "replace")

    def close(self):
        self.buf.close()


_COUNT = struct.Struct("<Q")


class _Watch:
    """The worker's side of the supervision, called by harness.Run.check: records which case and engine start
    (in _Progress), and answers ERROR (the reason) for a case known to crash, without running it."""

    def __init__(self, progress, crashed, finished, gave_up):
        self.progress, self.crashed, self.finished, self.gave_up = progress, crashed, finished, gave_up
        self.seq = -1

    def starting(self, case, engine):
        self.seq += 1
        reason = self.crashed.get((self.seq, case))
        if reason is None and self.gave_up and self.seq > self.finished:
            reason = self.gave_up
        if reason is None:
            self.progress.start(self.seq, case, 0)
        return reason

    def replaying(self, engine):
        self.progress.phase(1)


def _worker_main(conn, parent_end, progress):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    parent_end.close()
    die_with_parent()
    run = _FORKED["run"]
    try:
        run.engine.after_fork()
        run.reference.after_fork()
    except BaseException as exc:  # noqa: BLE001 (an engine's after_fork: its failure ends only this worker)
        _send(conn, ("died", f"failed in after_fork: {_describe(exc)}"))
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        kind, index, crashed, finished, gave_up = task
        run.watch = _Watch(progress, crashed, finished, gave_up)
        try:
            if kind == "random":
                from .harness import run_generated

                examples, seed = _FORKED["random"]
                result = run_generated(examples, seed, run=run)
            else:
                result = run.entry(_FORKED["entries"][index])
        except BaseException as exc:  # noqa: BLE001 (SystemExit, KeyboardInterrupt raised by an engine)
            _send(conn, ("died", f"raised {_describe(exc)}"))
            return
        if not _send(conn, ("done", result)):
            return


def _describe(exc):
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 (an engine's exception whose str() fails)
        text = "?"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _send(conn, msg):
    try:
        conn.send(msg)
        return True
    except Exception as exc:  # noqa: BLE001 (a result that cannot be pickled)
        try:
            conn.send(("died", f"harness: the result could not be sent to the parent: {_describe(exc)}"))
        except Exception:  # noqa: BLE001
            pass
        return False


# --- in the parent -----------------------------------------------------------------------------------

class _Task:
    def __init__(self, kind, index):
        self.kind, self.index = kind, index
        self.crashed = {}  # (sequence number, case name) -> reason: ERROR without running it
        self.finished = -1  # the cases up to this sequence number finished before a crash
        self.gave_up = ""  # after MAX_CRASHES: the reason for every unfinished case

    def message(self):
        return (self.kind, self.index, self.crashed, self.finished, self.gave_up)


class _Worker:
    def __init__(self, ctx, names):
        self.names = names  # (candidate, reference): the engines of phases 1 and 0
        self.conn, child = ctx.Pipe()
        self.progress = _Progress()
        self.proc = ctx.Process(target=_worker_main, args=(child, self.conn, self.progress), daemon=True)
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # no parent handler runs in the new child
        try:
            self.proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        child.close()
        self.task = None
        self.result = None
        self.died = ""

    def give(self, task):
        self.task, self.result, self.died = task, None, ""
        self.progress.start(-1, "", 0)  # a new task: its time starts now
        self.conn.send(task.message())

    def where(self):
        """(sequence number, case, engine) of the case the worker is at (-1, "", "" before the first); read once
        the worker has stopped (its last write is whole)."""
        seq, phase, case = self.progress.read()
        return seq, case, (self.names[1] if phase == 0 else self.names[0]) if seq >= 0 else ""

    def drain(self):
        """Read every message waiting; False when the pipe is closed (the worker is gone)."""
        try:
            while self.conn.poll():
                msg = self.conn.recv()
                if msg[0] == "done":
                    self.result = msg[1]
                elif msg[0] == "died":
                    self.died = msg[1]
        except (EOFError, OSError):
            return False
        except Exception as exc:  # noqa: BLE001 (a message cut off by the worker's death)
            self.died = self.died or f"harness: a message from the worker could not be read: {_describe(exc)}"
            return False
        return True

    def kill(self):
        try:
            self.proc.kill()
        except (OSError, AttributeError, ValueError):
            pass

    def reap(self):
        self.proc.join(5)
        self.conn.close()
        return self.proc.exitcode


def _why(worker, exitcode, timeout):
    engine = worker.where()[2]
    who = f"engine {engine}" if engine else "the worker"
    if exitcode == "timeout":
        return f"{who} took longer than {timeout:g} s (--timeout); its worker was killed and restarted"
    if worker.died:
        return f"{who} {worker.died}; its worker was restarted"
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"{who} crashed: killed by {name} (signal {-exitcode}); its worker was restarted"
    return f"{who} crashed: its worker process exited with code {exitcode}; the worker was restarted"


class _Supervisor:
    def __init__(self, jobs, timeout, on_lost, names):
        self.ctx = multiprocessing.get_context("fork")
        self.jobs, self.timeout, self.on_lost, self.names = jobs, timeout, on_lost, names
        self.idle, self.busy, self.done = [], [], {}

    def run(self, tasks):
        pending = deque(tasks)
        try:
            while pending or self.busy:
                while pending and len(self.busy) < self.jobs:
                    w = self.idle.pop() if self.idle else _Worker(self.ctx, self.names)
                    w.give(pending.popleft())
                    self.busy.append(w)
                now, limit = time.monotonic(), self.timeout + GRACE
                wait_for = max(0.0, min(POLL, min(limit - w.progress.stalled(now) for w in self.busy)))
                ready = set(wait([x for w in self.busy for x in (w.conn, w.proc.sentinel)], wait_for))
                for w in list(self.busy):
                    if w.conn in ready or w.proc.sentinel in ready:
                        open_ = w.drain()
                        if w.result is not None:
                            self.done[w.task.index] = w.result
                            self.busy.remove(w)
                            self.idle.append(w)
                        elif not open_ or w.died or not w.proc.is_alive():
                            w.kill()
                            self._lost(w, w.reap(), pending)
                now = time.monotonic()
                for w in list(self.busy):
                    if w.progress.stalled(now) > limit and not w.conn.poll():
                        w.kill()
                        w.reap()
                        self._lost(w, "timeout", pending)
        finally:
            for w in self.busy:
                w.kill()
            for w in self.idle:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    w.kill()
            for w in self.busy + self.idle:
                w.proc.join(2)
                if w.proc.exitcode is None:
                    w.kill()
                    w.proc.join()
                w.progress.close()
            self.busy, self.idle = [], []
        return self.done

    def _lost(self, w, exitcode, pending):
        """A worker died or was killed: its case is ERROR, its task starts again in a fresh worker."""
        self.busy.remove(w)
        task, reason = w.task, _why(w, exitcode, self.timeout)
        seq, case, _ = w.where()
        w.progress.close()
        if seq < 0 or task.kind == "random":  # nothing to resume from: the task is one ERROR
            where = f" on {case}" if case else ""
            self.done[task.index] = self.on_lost(task, reason + where)
            return
        task.crashed[(seq, case)] = reason
        task.finished = max(task.finished, seq - 1)
        if len(task.crashed) >= MAX_CRASHES:
            task.gave_up = (f"not run: the engines crashed or hung {len(task.crashed)} times in this entry "
                            f"(the last: {reason})")
        pending.appendleft(task)


def _order(entries):
    """Largest entries first (scale, then the MLPs), so that the last ones to finish are small."""
    return sorted(range(len(entries)), key=lambda i: entries[i].level != "scale" and not entries[i].name.startswith("mlp/"))


def run_all(entries, jobs, eng, ref, expectations, level=None, timeout=DEFAULT_TIMEOUT, random=None,
            replay_twice=False):
    """Run entries (and, with random=(N, seed), N generated graphs) in `jobs` supervised worker processes
    (largest entries first); the results in the order of entries, the generated graphs' last. level and
    replay_twice: see harness.Run."""
    from .harness import Run

    run = Run(eng, ref, expectations, level=level, replay_twice=replay_twice)
    if "fork" not in multiprocessing.get_all_start_methods():  # no fork (Windows): in this process, uncontained
        from .harness import run_generated

        out = [run.entry(e) for e in entries]
        return out + ([run_generated(*random, run=run)] if random else [])

    def lost(task, reason):
        from .harness import CaseResult, GraphResult

        if task.kind == "random":
            name, level_name = f"random/hypothesis_{random[0]}_seed_{random[1]}", "core"
        else:
            name, level_name = entries[task.index].name, entries[task.index].level
        res = GraphResult(name, level_name, *run.names)
        res.cases.append(CaseResult(name, "ERROR", (), 0, reason))
        return res

    tasks = ([_Task("random", len(entries))] if random else []) + [_Task("entry", i) for i in _order(entries)]
    _FORKED.update(run=run, entries=entries, random=random)
    try:
        done = _Supervisor(max(1, min(jobs, len(tasks))), timeout, lost, run.names).run(tasks)
    finally:
        _FORKED.clear()
    return [done[t] for t in range(len(entries) + (1 if random else 0))]
