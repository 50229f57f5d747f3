"""What a failure report says: each FAIL row names the check that failed it, measured by that check (never an
error of 0, never err/allowed below 1); mismatches are grouped by kind and input so every distinct failure shows;
a port's crash keeps the line that names its error (issue 22)."""

import math
import sys

from parity.catalogue import CATALOGUE
from parity.compare import Mismatch
from parity.engines import started
from parity.engines.port_engine import Port, StderrLog, stderr_excerpt
from parity.harness import CaseResult, GraphResult, Run
from parity.report import failures, group_mismatches, table

from .planted import Planted


def fail_row(mismatches, worst=0.0, max_abs=0.0, reference="torch"):
    r = GraphResult("edge/pow", "edge", "cand", reference, cases=[CaseResult("edge/pow [x]", "FAIL")],
                    mismatches=mismatches, n_mismatches=len(mismatches), worst=worst, max_abs=max_abs)
    return table([r]).splitlines()[2]


def columns(row):
    """(max abs err, err/allowed, result) of a table row."""
    parts = row.split()
    return parts[3], parts[4], " ".join(parts[5:])


def assert_a_real_failure(row):
    err, ratio, result = columns(row)
    assert result.startswith("FAIL ("), row
    assert err in ("nan", "inf", "sign") or float(err) > 0, row
    assert ratio in ("nan", "inf") or float(ratio) > 1, row


def test_a_fail_from_the_spec_on_the_candidates_own_values_says_so_with_its_own_measure():
    own = Mismatch("edge/pow [x]", 2, "#2 (pow)", "data (from its own inputs)", 0.30000000000000004, 0.3,
                   "the spec on cand's own values", "cand", "bit for bit")
    row = fail_row([own], worst=0.00025, max_abs=1e-16)  # against torch: within the bound
    assert columns(row)[2] == "FAIL (own values)" and columns(row)[1] == "inf", row
    assert_a_real_failure(row)


def test_a_fail_where_every_mismatch_is_nan_against_a_number_shows_nan_not_an_error_of_0():
    m = Mismatch("edge/pow [x]", 2, "#2 (pow)", "data", math.nan, 1.0, "torch", "cand", "bit for bit")
    row = fail_row([m])
    assert columns(row) == ("nan", "inf", "FAIL (vs torch)"), row
    assert "0.00e+00" not in row


def test_a_fail_on_a_zero_sign_shows_the_sign_and_finite_differences_show_their_own_ratio():
    sign = Mismatch("edge/pow [x]", 2, "#2 (pow)", "grad", 0.0, -0.0, "torch", "cand", "bit for bit")
    assert columns(fail_row([sign]))[:2] == ("sign", "inf")
    fd = Mismatch("seed/x", 0, "#0 (leaf)", "grad", 2.0, 1.0, "finite differences", "cand", "", 1e-5)
    row = fail_row([fd])
    assert columns(row)[2] == "FAIL (finite differences)" and float(columns(row)[1]) > 1e4, row


def test_no_fail_row_of_a_run_shows_an_error_of_0_or_below_1():
    golden = started("golden")
    results = [Run(Planted(bug), golden).entry(CATALOGUE[name])
               for bug, name in [("no op gradients", "seed/toy_max"), ("sum from +0.0", "pins/accumulation_order"),
                                 ("mul backward", "seed/L_graph"), ("float32", "seed/layer3")]]
    rows = [row for row in table(results).splitlines()[2:] if " FAIL" in row]
    assert len(rows) == 4, table(results)
    for row in rows:
        assert_a_real_failure(row)


def test_every_kind_of_mismatch_shows_in_the_text_report_before_the_count_of_the_rest():
    def m(case, value):
        return Mismatch(f"edge/pow [{case} g=1.0]", 2, "#2 'out' (pow)", "data", value, 1.0, "torch", "cand",
                        "bit for bit")

    ms = [m("pow(1.0, inf)", math.nan)] * 15 + [m("pow(1.0, -inf)", math.nan)] * 15 + \
        [m("pow(1.0, nan)", math.nan), m("pow(-1.0, inf)", math.nan)]
    r = GraphResult("edge/pow", "edge", "cand", "torch", cases=[CaseResult("edge/pow [x]", "FAIL")],
                    mismatches=ms, n_mismatches=40)
    assert len(group_mismatches(ms)) == 3  # pow(1, ±inf), pow(1, nan), pow(-1, ±inf)
    text = failures([r], limit=20)
    for case in ("pow(1.0, inf)", "pow(1.0, nan)", "pow(-1.0, inf)"):
        assert f"[{case} g=1.0]" in text, text
    assert text.splitlines()[-1] == "edge/pow: ... and 37 more mismatches of the kinds above"


CRASHING = r'''
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("type") == "start":
        print(json.dumps({"type": "hello", "protocol": 1, "name": "crasher", "version": "1", "language": "Java",
                          "ops": ["add", "mul"]}), flush=True)
    else:
        sys.stderr.write('Exception in thread "main" java.lang.StackOverflowError\n')
        for k in range(1000):
            sys.stderr.write(f"\tat Engine.backward(Engine.java:{k})\n")
        sys.exit(1)
'''


def test_a_ports_crash_keeps_the_line_that_names_its_error_and_its_last_lines(tmp_path):
    path = tmp_path / "crash.py"
    path.write_text(CRASHING)
    port = Port([sys.executable, str(path)])
    try:
        res = Run(port, started("golden")).entry(CATALOGUE["seed/L_graph"])
    finally:
        port.close()
    reason = res.error
    assert res.status == "ERROR" and "exited with code 1" in reason, reason
    assert "java.lang.StackOverflowError" in reason and "Engine.java:999" in reason, reason


def test_an_error_line_ending_in_a_colon_keeps_the_message_on_the_next_line():
    """Rust since 1.73 prints the panic's place, then its message on a line of its own (then, with
    RUST_BACKTRACE=1, a backtrace whose frames name `panicking`)."""
    log = StderrLog()
    for line in ["thread 'main' panicked at src/main.rs:10:5:\n", "gradient of a missing node\n", "stack backtrace:\n",
                 *[f"  {k:2}: core::panicking::panic_fmt\n             at /rustc/x/panicking.rs:{k}:5\n"
                   for k in range(30)],
                 "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n"]:
        for part in line.splitlines(keepends=True):
            log.add(part)
    text = stderr_excerpt(log, 3)
    assert text.startswith("thread 'main' panicked at src/main.rs:10:5: gradient of a missing node | ... |"), text


def test_the_stderr_excerpt_keeps_an_earlier_error_line_and_drops_stack_frames_from_it():
    log = StderrLog()
    for line in ["starting\n", "thread 'main' panicked at src/engine.rs:12:5\n",
                 *[f"   {k}: engine::backward\n" for k in range(30)], "note: run with RUST_BACKTRACE=1\n"]:
        log.add(line)
    text = stderr_excerpt(log, 3)
    assert text.startswith("thread 'main' panicked at src/engine.rs:12:5 | ... |"), text
    assert text.endswith("note: run with RUST_BACKTRACE=1"), text
