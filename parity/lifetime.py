"""How long a child process may live: on Linux, no longer than its parent.

The supervised workers (workers.py) and the port processes (engines/port_engine.py) are children that a run
must never leave behind, even when the run itself is killed (SIGKILL leaves it no time to clean up), or when
a worker is killed while its port hangs."""

import signal
import threading


def die_with_parent():
    """Linux: this process gets SIGKILL when its parent dies (PR_SET_PDEATHSIG); elsewhere nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def child_setup():
    """A ``preexec_fn`` for subprocess.Popen that ties the child to this process, or None. The kernel sends the
    signal when the *thread* that forked the child ends, so only a child started by the main thread is tied
    (a thread that ends would kill the child with it)."""
    return die_with_parent if threading.current_thread() is threading.main_thread() else None
