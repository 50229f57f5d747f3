"""An engine in process is never trusted: a segfault, an abort, an exit, a hang or garbage costs the case it
happened in (ERROR, naming the signal, the limit or what was wrong), with -j 1 as with -j 2; the worker is
restarted, the other cases run and pass, every report is written, no process is left behind. The engines
are tests/misbehaving.py: micrograd_ref, except on one case of edge/relu (TARGET)."""

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from tests.misbehaving import TARGET
from tests.processes import alive, children, naming

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPHS = ("edge/relu", "seed/L_graph", "seed/toy_max")
CASES = 65 + 2  # edge/relu's cases and the two seed graphs


def parity(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def run_contained(tmp_path, engine, jobs, *extra, reference="golden"):
    out, xml = tmp_path / "r.json", tmp_path / "r.xml"
    r = parity(*GRAPHS, "--engine", f"tests.misbehaving:{engine}", "--reference", reference, "-j", str(jobs),
               "--json", str(out), "--junit", str(xml), *extra)
    assert "Traceback" not in r.stdout + r.stderr, r.stdout[-3000:] + r.stderr
    time.sleep(0.2)
    assert not naming(str(out)), "a worker outlived the run"
    doc = json.loads(out.read_text())
    ET.parse(xml)  # written, and well formed
    cases = {c: g for g in doc["graphs"] for c in g["failing_cases"]}
    return r, doc, cases


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("engine, signal_name", [("Segfaults", "SIGSEGV (signal 11)"), ("Aborts", "SIGABRT (signal 6)")])
def test_a_crashing_engine_costs_one_case_error_naming_the_signal_and_the_run_goes_on(tmp_path, engine, signal_name,
                                                                                      jobs):
    r, doc, failing = run_contained(tmp_path, engine, jobs)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert list(failing) == [TARGET]
    assert f"{TARGET}: ERROR engine {engine.lower()} crashed: killed by {signal_name}" in r.stdout
    assert doc["counts"]["errored"] == 1 and doc["counts"]["passed"] == CASES - 1, doc["counts"]
    relu = next(g for g in doc["graphs"] if g["name"] == "edge/relu")
    assert relu["status"] == "ERROR" and relu["counts"]["pass"] == 64  # the cases after the crash ran too


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hanging_engine_costs_one_case_error_naming_the_timeout(tmp_path, jobs):
    r, doc, failing = run_contained(tmp_path, "Hangs", jobs, "--timeout", "1")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert list(failing) == [TARGET]
    assert f"{TARGET}: ERROR engine hangs took longer than 1 s (--timeout)" in r.stdout
    assert doc["counts"]["passed"] == CASES - 1


def test_a_worker_making_progress_is_never_judged_hung_however_often_the_parent_looks():
    """The parent reads the worker's progress without waiting for the worker, so a read can meet a write half
    done (Python's struct zero-fills before it packs). Such a read must look like progress, never like a case
    that started long ago: judged by a time the worker wrote, 1 read in 100 said the case began at time 0."""
    from parity.workers import GRACE, _Progress

    progress, seconds = _Progress(), 2.0
    pid = os.fork()
    if pid == 0:  # the worker: a case and a phase change as fast as it can write them
        try:
            end, seq = time.monotonic() + seconds, 0
            while time.monotonic() < end:
                progress.start(seq, f"edge/relu [case {seq}]", 0)
                progress.phase(1)
                seq += 1
        finally:
            os._exit(0)
    worst, looks, end = 0.0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        worst = max(worst, progress.stalled(time.monotonic()))
        looks += 1
    os.waitpid(pid, 0)
    assert looks > 1000 and worst < GRACE, f"judged stalled for {worst:.1f} s in {looks} looks at a busy worker"


def test_an_engine_that_exits_the_process_costs_one_case(tmp_path):
    r, doc, failing = run_contained(tmp_path, "Exits", 1)
    assert r.returncode == 1 and list(failing) == [TARGET], r.stdout[-3000:]
    assert "engine exits raised SystemExit: 3" in r.stdout and doc["counts"]["passed"] == CASES - 1


def test_an_engine_crashing_on_every_case_errors_every_case_and_the_reports_are_written(tmp_path):
    kf = tmp_path / "known.toml"
    r, doc, failing = run_contained(tmp_path, "SegfaultsEverywhere", 2, "--random", "3", "--write-known-failures",
                                    str(kf), reference="micrograd_ref")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert doc["counts"]["passed"] == 0 and doc["counts"]["errored"] >= CASES
    random_entry = next(g for g in doc["graphs"] if g["name"].startswith("random/hypothesis"))
    assert random_entry["status"] == "ERROR" and "SIGSEGV" in random_entry["error"]  # --random is contained too
    # an entry that crashes again and again is given up: its other cases are ERROR without running
    assert "not run: the engines crashed or hung 8 times in this entry" in kf.read_text()


GARBAGE = [
    ("GarbageComplex", "ERROR", "answered (1+2j) (complex) as grad of node #0: not a real number"),
    ("GarbageString", "ERROR", "answered '1.0' (str) as data of node #1: not a real number"),
    ("GarbageNone", "ERROR", "answered None (NoneType) as grad of node #1: not a real number"),
    ("GarbageShort", "ERROR", "answered 1 data values for 2 nodes"),
    ("GarbageNotAReplay", "ERROR", "instead of a Replay(data, grad)"),
    ("GarbageUnprintable", "ERROR", "raised _Unprintable: (its message cannot be shown)"),
    ("GarbageNan", "FAIL", "one is nan"),
]


@pytest.mark.parametrize("engine, status, message", GARBAGE)
def test_garbage_from_an_engine_is_that_cases_error_or_failure_never_anothers(tmp_path, engine, status, message):
    r, doc, failing = run_contained(tmp_path, engine, 1)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert list(failing) == [TARGET]
    assert message in r.stdout, r.stdout[-3000:]
    counts = doc["counts"]
    assert counts["passed"] == CASES - 1 and counts["errored" if status == "ERROR" else "failed"] == 1, counts


def test_a_signal_stops_the_single_worker_of_j1_too():
    proc = subprocess.Popen([sys.executable, "-m", "parity", "-j", "1", "--reference", "golden", "--engine",
                             "tests.misbehaving:Hangs", "edge/relu"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children(proc.pid)
    assert workers, "the worker did not start"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip() == "interrupted", (out, err)
    time.sleep(0.2)
    assert not [w for w in workers if alive(w)], "a worker outlived the run"


# --- --exclude -----------------------------------------------------------------------------------

def test_exclude_leaves_out_the_matching_entries_and_may_be_repeated():
    r = parity("--list", "seed/*", "--exclude", "seed/chain_rule/*", "--exclude", "seed/L_graph_step")
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert r.returncode == 0 and "seed/L_graph" in names and "seed/toy_max" in names
    assert not [n for n in names if n.startswith("seed/chain_rule/")] and "seed/L_graph_step" not in names


def test_exclude_is_honoured_by_the_run_and_by_check_port(tmp_path):
    r = parity("seed/L_graph*", "--exclude", "seed/L_graph_step", "--reference", "golden", "--json",
               str(tmp_path / "r.json"))
    assert r.returncode == 0 and [g["name"] for g in json.loads((tmp_path / "r.json").read_text())["graphs"]] == \
        ["seed/L_graph"]
    template = os.path.join(ROOT, "examples", "port_template", "port.py")
    r = parity("check-port", "seed/L_graph*", "--exclude", "seed/L_graph_step", "--json", str(tmp_path / "p.json"),
               "--", sys.executable, template)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert [g["name"] for g in json.loads((tmp_path / "p.json").read_text())["graphs"]] == ["seed/L_graph"]


@pytest.mark.parametrize("args", [("--exclude", "scale/nothing"), ("seed/L_graph", "--exclude", "seed/*")])
def test_an_exclude_pattern_matching_nothing_or_everything_is_exit_2_in_one_line(args):
    r = parity(*args, "--reference", "golden")
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--exclude" in r.stderr


def test_a_timeout_that_is_not_a_positive_number_is_exit_2():
    r = parity("seed/L_graph", "--timeout", "0", "--reference", "golden")
    assert r.returncode == 2 and "--timeout" in r.stderr and r.stdout == ""


def test_help_states_the_per_case_time_limit_and_its_default():
    from parity.workers import DEFAULT_TIMEOUT

    r = parity("--help")
    assert "--timeout S" in r.stdout and f"default {DEFAULT_TIMEOUT:g}" in r.stdout
    assert "a case over it is ERROR" in " ".join(r.stdout.split())


def test_an_engine_that_aborts_at_interpreter_exit_does_not_change_the_exit_status(tmp_path):
    r, doc, failing = run_contained(tmp_path, "AbortsAtExit", 1)
    assert r.returncode == 0 and doc["ok"] and not failing, (r.returncode, r.stderr)
