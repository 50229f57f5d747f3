"""Linux processes as /proc shows them: what the tests use to prove that no worker outlives a run."""

import os


def _stat(pid):
    """The fields of /proc/PID/stat after the command name (state, parent, ...), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid):
    """The processes whose parent is pid."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and (_stat(p) or [None, None])[1] == str(pid)]


def alive(pid):
    """pid runs (a zombie, dead and not yet reaped, does not)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def naming(marker):
    """Live processes whose command line holds marker (a run's unique report path)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            if marker in cmd and alive(pid):
                found.append(int(pid))
    return found
