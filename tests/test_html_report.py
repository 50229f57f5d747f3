"""--html FILE: one self-contained page per run, opened in a real browser (Debian's Chromium, driven headless by
Playwright; `make test` installs /usr/bin/chromium) over pages made from a failing planted engine and from a
passing run: no console errors, no network, the verdict of the exit status, the failing graph drawn with its
culprit marked, every link to an element that exists, the numbers of --json; a screenshot of each page."""

import json
import math
import os
import subprocess
import sys

import pytest

from parity.compare import Mismatch
from parity.engines import Replay
from parity.expectations import Expected
from parity.harness import CaseResult, GraphResult
from parity.kinds import INF, NAN, OTHER, ULPS, ZERO_SIGN, case_kind, difference_kind
from parity.report_html import render, write_html
from parity.tape import Tape

pytestmark = pytest.mark.usefixtures("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# micrograd_ref with mul's backward sending the negated gradient to its second input: a planted bug whose
# disagreements are of several kinds (other, zero sign, inf) in edge/mul and reach every graph that multiplies
PLANTED = """
import sys, runpy
from micrograd_ref import OPS
row = OPS["mul"]
orig = row.backward
object.__setattr__(row, "backward", lambda g, out, a, b: (orig(g, out, a, b)[0], -orig(g, out, a, b)[1]))
sys.argv = ["parity"] + sys.argv[1:]
runpy.run_module("parity", run_name="__main__")
"""
FAILING = ["seed/L_graph", "seed/toy_max", "edge/mul", "mlp/classic_3_4_4_1"]


def run(tmp, name, *args, planted=False, env=None):
    html, js = tmp / f"{name}.html", tmp / f"{name}.json"
    cmd = [sys.executable, "-c", PLANTED] if planted else [sys.executable, "-m", "parity"]
    r = subprocess.run([*cmd, *args, "--json", str(js), "--html", str(html)], capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, **(env or {})})
    return r, html, (json.loads(js.read_text()) if js.exists() else None)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    return {"failing": run(tmp, "failing", *FAILING, planted=True), "passing": run(tmp, "passing", "seed/*")}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing: make test installs it (make chromium-browser)"
    with sync_playwright() as p:  # launch() gives the browser a new empty --user-data-dir
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


class Opened:
    """A page opened in the browser, with what it said on the console and every request it made."""

    def __init__(self, browser, path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.goto(path.as_uri())

    def __enter__(self):
        return self.page

    def __exit__(self, *exc):
        self.page.close()


def opened(browser, path):
    return Opened(browser, path)


def cell_counts(locator):
    """{status: n} of a table cell's count spans (<span class="n FAIL" data-status="FAIL">3 fail</span>)."""
    out = {}
    for span in locator.locator("span[data-status]").all():
        out[span.get_attribute("data-status")] = int(span.inner_text().split()[0])
    return out


def nonzero(d):
    return {k: v for k, v in d.items() if v}


STATUSES = ("PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS")


# --- in the browser: both pages ---------------------------------------------------------------------

@pytest.mark.parametrize("which", ["failing", "passing"])
def test_the_page_loads_with_no_console_error_and_no_network_and_is_screenshotted(pages, browser, which, tmp_path):
    r, path, _ = pages[which]
    assert r.returncode == (1 if which == "failing" else 0), r.stdout[-2000:] + r.stderr
    o = opened(browser, path)
    with o as page:
        page.click("#open-all")  # every section and drawing rendered
        shot = tmp_path / f"{which}.png"
        page.screenshot(path=str(shot), full_page=True)
    assert o.errors == []
    assert [u for u in o.requests if not u.startswith("file:")] == []
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("which", ["failing", "passing"])
def test_the_verdict_says_what_the_exit_status_says_in_words_and_colour(pages, browser, which):
    r, path, doc = pages[which]
    with opened(browser, path) as page:
        verdict = page.locator("#verdict")
        assert verdict.get_attribute("data-exit") == str(r.returncode)
        text = verdict.inner_text()
        colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    red, green = "rgb(198, 40, 40)", "rgb(27, 127, 59)"
    line = next(x for x in r.stdout.splitlines() if "nodes compared" in x)  # the terminal's summary
    said = line.split(", level ", 1)[1].split(": ", 1)[1]  # its verdict: parentheses and colons whole
    assert text == f"{'FAIL' if r.returncode else 'PASS'}: {said} (exit status {r.returncode})", (text, line)
    if r.returncode:
        assert text.startswith("FAIL") and "exit status 1" in text and colour == red and not doc["ok"]
    else:
        assert text.startswith("PASS") and "exit status 0" in text and colour == green and doc["ok"]


@pytest.mark.parametrize("which", ["failing", "passing"])
def test_every_link_goes_to_an_element_that_exists_on_the_page(pages, browser, which):
    _, path, _ = pages[which]
    with opened(browser, path) as page:
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        missing = page.eval_on_selector_all(
            "a[href]", "as => as.filter(a => !document.getElementById(decodeURIComponent("
                       "a.getAttribute('href').slice(1)))).map(a => a.getAttribute('href'))")
    assert len(hrefs) > 10
    assert all(h.startswith("#") for h in hrefs), [h for h in hrefs if not h.startswith("#")]
    assert missing == []


@pytest.mark.parametrize("which", ["failing", "passing"])
def test_the_numbers_shown_are_those_of_the_json_report(pages, browser, which):
    _, path, doc = pages[which]
    with opened(browser, path) as page:
        shown = {c.get_attribute("data-count"): int(c.inner_text()) for c in page.locator("#counts td[data-count]").all()}
        assert shown == doc["counts"]
        rows = page.locator("#entry-table tr[data-entry]").all()
        assert [row.get_attribute("data-entry") for row in rows] == [g["name"] for g in doc["graphs"]]
        for row, g in zip(rows, doc["graphs"]):
            cells = [c.inner_text() for c in row.locator("td").all()]
            assert (cells[2], cells[3], cells[6]) == (str(g["cases"]), str(g["nodes_compared"]), g["status"])
            assert float(cells[4]) == pytest.approx(g["max_abs_error"], rel=1e-2, abs=1e-300)
            assert cell_counts(row) == nonzero({s.upper(): n for s, n in g["counts"].items()})
        for op, counts in doc["by_op"].items():
            want = nonzero({k: v for k, v in counts.items() if k in STATUSES})
            assert cell_counts(page.locator(f'#op-level td.op-total[data-op="{op}"]')) == want, op
        for level, counts in doc["by_level"].items():
            want = nonzero({k: v for k, v in counts.items() if k in STATUSES})
            assert cell_counts(page.locator(f'#op-level td.level-total[data-level="{level}"]')) == want, level
        for g in doc["graphs"]:
            if g["status"] == "PASS":
                continue
            section = page.locator(f'section.entry[data-entry="{g["name"]}"]')
            assert cell_counts(section.locator(".entry-counts")) == nonzero({s.upper(): n for s, n in g["counts"].items()})
            assert section.locator("ol.suspects li").all_inner_texts() == g["suspects"]
            firsts = section.locator("table.kinds td.first").all_inner_texts()
            assert firsts and set(firsts) <= set(g["failing_cases"])


def test_every_op_by_level_cell_links_to_its_cases(pages, browser):
    _, path, doc = pages["failing"]
    with opened(browser, path) as page:
        mul = next(g for g in doc["graphs"] if g["name"] == "edge/mul")
        cell = page.locator('#op-level td.cell[data-op="mul"][data-level="edge"]')
        assert cell_counts(cell) == {"PASS": mul["counts"]["pass"], "FAIL": mul["counts"]["fail"]}
        target = cell.locator("a").get_attribute("href")[1:]
        assert not page.locator(f"#{target}").is_visible()  # inside the closed list of cells
        cell.locator("a").click()
        block = page.locator(f"#{target}")
        assert block.is_visible() and "edge/mul" in block.inner_text()
        assert "[mul(0.0, 0.0) g=1.0]" in block.inner_text()


# --- in the browser: the failing page -----------------------------------------------------------------

def test_opening_a_failing_entry_shows_its_graph_with_the_culprit_node_marked(pages, browser):
    _, path, doc = pages["failing"]
    with opened(browser, path) as page:
        section = page.locator('section.entry[data-entry="seed/L_graph"]')
        drawing = section.locator("details.drawing").first
        assert drawing.get_attribute("open") is None and not drawing.locator("svg").is_visible()
        drawing.locator("summary").click()
        assert drawing.locator("svg").is_visible()
        culprit = drawing.locator("svg g.culprit")
        assert culprit.count() == 1 and culprit.is_visible()
        assert "CULPRIT" in culprit.text_content() and "#4 'e' mul" in culprit.text_content()
        # the mismatching leaf 'b' is coloured as "other", with both engines' values as --json has them
        m = next(m for g in doc["graphs"] if g["name"] == "seed/L_graph" for m in g["mismatches"] if m["node"] == 1)
        b = drawing.locator("svg g.differs-other").filter(has_text="#1 'b' leaf")
        assert b.count() == 1
        assert f"{m['engine']}: {m['value_text']}" in b.text_content()
        assert f"{m['reference_name']}: {m['reference_text']}" in b.text_content()
        agreeing = drawing.locator("svg g.node").filter(has_text="#0 'a' leaf")
        assert agreeing.get_attribute("class") == "node"  # a node that agrees is plain


def test_failing_cases_are_grouped_by_kind_with_a_drawing_for_the_first_of_each(pages, browser):
    _, path, doc = pages["failing"]
    mul = next(g for g in doc["graphs"] if g["name"] == "edge/mul")
    with opened(browser, path) as page:
        section = page.locator('section.entry[data-entry="edge/mul"]')
        kinds = {row.get_attribute("data-kind"): int(row.locator("td.num").inner_text())
                 for row in section.locator("table.kinds tr[data-kind]").all()}
        assert {"grad · other", "grad · zero sign", "grad · inf"} <= set(kinds)
        assert sum(kinds.values()) == mul["counts"]["fail"]
        assert section.locator("details.drawing").count() >= 3
        assert section.locator("details.drawing svg g.differs-zero-sign").count() >= 1
        assert section.locator("details.drawing svg g.differs-inf").count() >= 1


def test_a_large_graph_is_cut_to_the_culprits_neighbourhood_and_the_page_says_how_much(pages, browser):
    _, path, doc = pages["failing"]
    with opened(browser, path) as page:
        drawing = page.locator('section.entry[data-entry="mlp/classic_3_4_4_1"] details.drawing').first
        drawing.locator("summary").click()
        note = drawing.locator("p.cut").inner_text()
        drawn = drawing.locator("svg g.node").count()
    assert note.startswith(f"{drawn} of 358 nodes drawn") and f"{358 - drawn} nodes cut" in note
    assert 5 <= drawn <= 30


def test_the_page_of_600_failing_cases_stays_small(pages):
    _, path, doc = pages["failing"]
    assert doc["counts"]["failed"] > 500
    assert path.stat().st_size < 2_000_000


# --- without dot, escaping, unwritable paths --------------------------------------------------------------

def test_without_dot_the_page_says_so_and_shows_each_graph_as_a_table_of_nodes(tmp_path, browser):
    r, path, _ = run(tmp_path, "nodot", "seed/L_graph", planted=True, env={"PATH": str(tmp_path)})
    assert r.returncode == 1, r.stderr
    o = opened(browser, path)
    with o as page:
        assert "dot program was not found" in page.locator("#no-dot").inner_text()
        assert page.locator("svg").count() == 0
        page.locator("details.drawing summary").first.click()
        row = page.locator("table.nodes tr.culprit")
        assert row.is_visible() and "CULPRIT" in row.inner_text() and "#4" in row.inner_text()
        page.screenshot(path=str(tmp_path / "nodot.png"), full_page=True)
    assert o.errors == []


NASTY = '<b>x</b> & "q" \'s <script>alert(1)</script>'


def nasty_results():
    t = Tape()
    a = t.leaf(2.0, NASTY)
    out = t.op("mul", a, a, label="m<&\">")
    t.output = out.id
    eng, ref = Replay([2.0, 4.0], [-4.0, 1.0]), Replay([2.0, 4.0], [4.0, 1.0])
    case = f"edge/{NASTY} [{NASTY}]"
    m = Mismatch(case, 0, t.name_of(0), "grad", -4.0, 4.0, 'ref<&">', 'eng<&">', "bit for bit")
    r = GraphResult(f"edge/{NASTY}", "edge", 'eng<&">', 'ref<&">', nodes=2, values=4, n_mismatches=1)
    r.cases = [CaseResult(case, "FAIL", ("mul",), 2, "", m), CaseResult(case + " skip", "SKIP", ("mul",), 0, NASTY),
               CaseResult(case + " xfail", "XFAIL", ("mul",), 2, NASTY),
               CaseResult(case + " 1", "ERROR", ("mul",), 0, f"eng raised ValueError: {NASTY} at 1"),
               CaseResult(case + " 2", "ERROR", ("mul",), 0, f"eng raised ValueError: {NASTY} at 2")]
    r.mismatches, r.suspects = [m], [f"backward of 'mul' at node #1: {NASTY}"]
    r.failing_tapes = [(case, t, eng, ref, [m])]
    r.declared = [(Expected(f"x{NASTY}", NASTY, link=NASTY), m)]
    r.matched = {r.declared[0][0]: 1}
    return [r]


@pytest.mark.parametrize("dot", ["auto", None])
def test_labels_and_values_holding_markup_are_escaped_and_shown_as_text(tmp_path, browser, dot):
    path = tmp_path / "nasty.html"
    write_html(path, nasty_results(), 0.1, engines=[{"name": 'eng<&">', "version": NASTY}], command=f"x {NASTY}",
               level=NASTY, dot=dot)
    o = opened(browser, path)
    with o as page:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.click("#open-all")
        assert page.locator("script").count() == 1  # the page's own
        assert page.locator("body b").count() == 0 and "<b>x</b>" in page.inner_text("body")
        body = page.inner_text("body")
        assert body.count(NASTY) >= 6  # engine, level, command, entry, skip, expectation, ...
        assert page.locator("#command").inner_text() == f"x {NASTY}"
        assert page.locator("#level").inner_text() == NASTY
        errors = page.locator("table.kinds tr[data-kind^='error']")  # one group: numbers do not split them
        assert errors.count() == 1 and errors.locator("td.num").inner_text() == "2"
        assert f"ValueError: {NASTY} at 1" in errors.inner_text()
        where = page.locator("details.drawing")
        assert (NASTY in where.inner_text()) and ("m<&\">" in where.inner_text())
        page.screenshot(path=str(tmp_path / "nasty.png"), full_page=True)
    assert dialogs == [] and o.errors == []


# --- without a browser ----------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["missing_dir", "a_directory"])
def test_an_html_path_that_cannot_be_written_is_exit_2_before_any_work(tmp_path, where):
    path = {"missing_dir": tmp_path / "no" / "such" / "r.html", "a_directory": tmp_path}[where]
    for cmd in (["seed/toy_max"], ["check-port", "seed/toy_max"]):
        tail = ["--", sys.executable, "examples/python_port/port.py"] if cmd[0] == "check-port" else []
        r = subprocess.run([sys.executable, "-m", "parity", *cmd, "--html", str(path), *tail], capture_output=True,
                           text=True, cwd=ROOT)
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "--html" in r.stderr


def test_check_port_writes_the_page_too(tmp_path):
    path = tmp_path / "port.html"
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "seed/toy_max", "--name", "p<&\">", "--html",
                        str(path), "--", sys.executable, "examples/python_port/port.py"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    text = path.read_text()
    assert "p&lt;&amp;&quot;&gt; vs golden" in text and 'data-exit="0"' in text
    assert "check-port seed/toy_max --name" in text


def test_kinds_say_how_far_off_a_value_is():
    assert difference_kind(0.0, -0.0) == ZERO_SIGN
    assert difference_kind(math.nan, 1.0) == NAN and difference_kind(1.0, math.nan) == NAN
    assert difference_kind(math.inf, -math.inf) == INF and difference_kind(1.0, math.inf) == INF
    assert difference_kind(1.0 + 2 ** -52, 1.0) == ULPS and difference_kind(1.1, 1.0) == OTHER
    data = Mismatch("g", 3, "#3", "data", 1.0, math.nan)
    grads = [Mismatch("g", 1, "#1", "grad", 2.0, 3.0), Mismatch("g", 2, "#2", "grad", 0.0, -0.0)]
    assert case_kind(grads) == ("grad", ZERO_SIGN)  # the gradient nearest the output went wrong first
    assert case_kind(grads + [data]) == ("data", NAN)  # a data mismatch comes before any gradient


def test_a_page_that_cannot_be_rendered_is_replaced_by_a_short_one_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    import parity.report_html as page

    def broken(*args):
        raise RuntimeError("a bug in the page")

    monkeypatch.setattr(page, "_op_level", broken)
    write_html(tmp_path / "p.html", nasty_results(), 0.1)
    text = (tmp_path / "p.html").read_text()
    assert "could not be rendered: RuntimeError: a bug in the page" in text and "1 entries, 5 cases" in text
    assert "--html" in capsys.readouterr().err


def test_render_is_text_with_one_script_and_no_external_reference():
    page = render(nasty_results(), 0.1)
    assert page.count("<script>") == 1 and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")


def test_make_test_installs_the_browser_the_pages_are_tested_in():
    makefile = open(os.path.join(ROOT, "Makefile")).read()
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "chromium-browser" in test_line.split()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES")}
    recipe = subprocess.run(["make", "-n", "--no-print-directory", "-C", ROOT, "chromium-browser"], capture_output=True,
                            text=True, env=env).stdout
    assert "apt-get install -y -qq --no-install-recommends chromium" in recipe and CHROMIUM in recipe
