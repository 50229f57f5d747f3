"""Running catalogue entries in forked worker processes, stoppable by SIGINT / SIGTERM.

Shared by the commands that run entries (python -m parity, check-port, ports); it knows no command.
"""

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

_FORKED = {}  # set before forking: workers inherit the run and the entries and receive only indices


def _worker_init():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    run = _FORKED["run"]
    run.engine.after_fork()
    run.reference.after_fork()


def _die_with_parent():
    """Linux: this process gets SIGTERM when its parent dies, so nothing outlives a killed run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run_one(i):
    return _FORKED["run"].entry(_FORKED["entries"][i])


def run_all(entries, jobs, eng, ref, expectations):
    """Run entries, in `jobs` forked worker processes when there are several (largest entries first)."""
    from .harness import Run

    run = Run(eng, ref, expectations)
    if jobs <= 1 or len(entries) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [run.entry(e) for e in entries]
    _FORKED.update(run=run, entries=entries)
    order = sorted(range(len(entries)), key=lambda i: entries[i].level != "scale" and not entries[i].name.startswith("mlp/"))
    pool = ProcessPoolExecutor(min(jobs, len(entries)), mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init)
    try:
        done = dict(zip(order, pool.map(_run_one, order)))
    except BaseException:
        for p in list(getattr(pool, "_processes", {}).values()):
            try:
                p.kill()
            except (OSError, AttributeError):
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return [done[i] for i in range(len(entries))]
