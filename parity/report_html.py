"""--html FILE: one self-contained page of a run, rendered from the same results as the terminal, --json and
--junit reports (harness.GraphResult, CaseResult, compare.Mismatch). No network: inline CSS, inline SVG and a
little script; it opens from a CI artifact or a local file.

On the page: the header (both engines with their versions and platforms, the verdict level, the command line,
the date, the verdict in words and colour, as the exit status says); the op-by-level table, every cell linking
to its cases; each entry that is not PASS with its status counts, its culprit lines, its failing cases grouped
by kind (parity/kinds.py) and, for the first failing case of each kind, the graph drawn by Graphviz `dot` as
inline SVG in a closed <details> (without `dot`, a table of nodes); then the skips, expected failures and
declared differences with their reasons. Engines are named only by the names the results carry.
"""

import datetime
import platform
import re
import shutil
import sys
from collections import defaultdict

from . import report
from .kinds import FEW_ULPS, KINDS, case_kind, first_difference, kind_of
from .report_graph import COLOURS, drawing, esc

CELL_NAMES = 10  # not-passing case names listed per entry in an op-by-level cell (the rest counted)
STATUS_WORDS = {"PASS": "pass", "FAIL": "fail", "ERROR": "error", "SKIP": "skip", "XFAIL": "xfail",
                "XPASS": "xpass"}
WORST_FIRST = ("ERROR", "FAIL", "XPASS", "XFAIL", "SKIP", "PASS")
NO_DOT = ("Graphviz's dot program was not found on PATH, so each graph is shown as a table of nodes instead of "
          "a drawing (apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/).")


class Ids:
    """Unique, readable element ids for keys (entry names, cells, cases): letters, digits, - and _ only."""

    def __init__(self):
        self.by_key, self.taken = {}, set()

    def __call__(self, *key):
        if key not in self.by_key:
            base = re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(map(str, key))).strip("-") or "x"
            base, n = base[:80], 1
            name = base
            while name in self.taken:
                n += 1
                name = f"{base}-{n}"
            self.taken.add(name)
            self.by_key[key] = name
        return self.by_key[key]


# --- grouping failing cases by kind (the small function to swap: kinds.case_kind) --------------------

def kind_label(key):
    what, how = key
    return f"{what} · {how}"


def groups(result):
    """{key: [CaseResult]} of an entry's disagreeing cases in case order, key (quantity, kind) for a FAIL,
    ("error", its message with numbers as N) for an ERROR, ("xpass", reason) for an XPASS; the failing cases whose mismatches were not
    kept under ("differences", "not kept")."""
    by_case = defaultdict(list)
    for m in result.mismatches:
        by_case[m.graph].append(m)
    out = {}
    for c in result.cases:
        if c.status == "FAIL":
            first = getattr(c, "difference", None) or first_difference(by_case.get(c.name))
            key = kind_of(first) if first is not None else ("differences", "not kept")
        elif c.status == "ERROR":  # one group per message, whatever case and numbers it names
            key = ("error", re.sub(r"\d+(\.\d+)?", "N", c.reason.replace(c.name, "GRAPH"))[:200])
        elif c.status == "XPASS":
            key = ("xpass", c.reason)
        else:
            continue
        out.setdefault(key, []).append(c)
    return out


# --- the page ---------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;
padding:0 16px 48px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:18px 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:16px;margin:18px 0 6px}h4{font-size:14px;margin:12px 0 4px}
code,.mono,td.num,.nodes td,.kinds td.first{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num{text-align:right}
.verdict{font-size:20px;font-weight:700;padding:10px 14px;border-radius:6px;margin:10px 0;color:#fff}
.verdict.pass{background:#1b7f3b}.verdict.fail{background:#c62828}.verdict.empty{background:#b26a00}
.st-PASS{background:#e6f4ea}.st-FAIL,.st-ERROR,.st-XPASS{background:#fde7e7}.st-SKIP{background:#f1f1f1}
.st-XFAIL{background:#fff4d6}
.n{display:inline-block;min-width:1.5em;padding:0 3px;margin:1px;border-radius:3px;font-size:12px}
.n.PASS{color:#1b7f3b}.n.FAIL,.n.ERROR,.n.XPASS{color:#c62828;font-weight:700}.n.SKIP{color:#666}.n.XFAIL{color:#8a6100}
.entry{border:1px solid #ddd;border-radius:6px;padding:4px 12px 10px;margin:12px 0}
.entry.FAIL,.entry.ERROR,.entry.XPASS{border-left:6px solid #c62828}.entry.SKIP{border-left:6px solid #999}
.entry.XFAIL{border-left:6px solid #d9a400}
details{margin:4px 0}summary{cursor:pointer}details.drawing>summary{font-weight:600}
.svgbox{overflow:auto;border:1px solid #eee;padding:4px;background:#fcfcfc}
.svgbox svg text{font-family:Helvetica,Arial,"Liberation Sans",sans-serif}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
.note{color:#8a4b00}.cut{color:#555;font-style:italic}.culprit td:first-child{font-weight:700}
tr.culprit{background:#fff4c2}ul.names{columns:2;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.cell a{text-decoration:none}.cellcases li{margin:2px 0}
.legend span{margin-right:14px}.about th{width:120px}
"""

SCRIPT = """
(function(){
  function reveal(id){
    var el=document.getElementById(id); if(!el) return;
    for(var d=el; d; d=d.parentElement){ if(d.tagName==="DETAILS") d.open=true; }
  }
  document.addEventListener("click", function(ev){
    var a=ev.target.closest ? ev.target.closest('a[href^="#"]') : null;
    if(a) reveal(decodeURIComponent(a.getAttribute("href").slice(1)));
  });
  if(location.hash.length>1) reveal(decodeURIComponent(location.hash.slice(1)));
  function all(open){ document.querySelectorAll("details").forEach(function(d){ d.open=open; }); }
  var o=document.getElementById("open-all"), c=document.getElementById("close-all");
  if(o) o.addEventListener("click", function(){ all(true); });
  if(c) c.addEventListener("click", function(){ all(false); });
})();
"""


def _counts_html(counts_by_status, total=None):
    spans = []
    for s in WORST_FIRST[::-1]:
        n = counts_by_status.get(s, 0)
        if n:
            spans.append(f'<span class="n {s}" data-status="{s}" title="{s}">{n} {STATUS_WORDS[s]}</span>')
    return " ".join(spans) or '<span class="n">0</span>'


def _status_of(counts_by_status):
    return next((s for s in WORST_FIRST if counts_by_status.get(s)), "PASS")


def _engine_rows(engines, results, plines):
    rows = []
    names = [results[0].engine, results[0].reference] if results else []
    for k, about in enumerate(engines):
        role = ("candidate", "reference")[k] if k < 2 else "engine"
        name = about.get("name", names[k] if k < len(names) else "?")
        line = next((p for p in plines if p.startswith(f"{name} ")), None)
        if line is None:
            extra = [f"{key}={', '.join(v) if isinstance(v, list) else v}" for key, v in about.items()
                     if key not in ("name", "version")]
            line = f"{name} {about.get('version', '')}".strip() + (f": {', '.join(extra)}" if extra else "")
        rows.append(f'<tr><th>{role}</th><td class="engine" data-role="{role}">{esc(line)}</td></tr>')
    if not engines:
        for role, name in zip(("candidate", "reference"), names):
            rows.append(f'<tr><th>{role}</th><td class="engine" data-role="{role}">{esc(name)}</td></tr>')
    return rows


def render(results, seconds, engines=(), expectations=None, strict=False, command="", level=None, status=None,
           when=None, dot="auto"):
    """The page (a str). status: the run's exit status (computed from the results when None); level: the verdict
    level ("exact" unless the run says otherwise); dot: the path of Graphviz's dot ("auto": found on PATH; None:
    tables of nodes)."""
    if dot == "auto":
        dot = shutil.which("dot")
    if status is None:
        status = 0 if report.run_ok(results, strict) else 1
    when = when or datetime.datetime.now(datetime.timezone.utc)
    ids = Ids()
    engine = results[0].engine if results else "?"
    reference = results[0].reference if results else "?"
    head, tail = report.summary_parts(results, seconds, engine, reference, strict)
    summary = head + tail
    plines = report.platform_lines(engines, results)
    nothing = all(r.ok_when(strict) for r in results) and not sum(r.nodes for r in results)
    word, cls = ("NOTHING COMPARED", "empty") if nothing else (("FAIL", "fail") if status else ("PASS", "pass"))
    entry_id = {r.name: ids("entry", r.name) for r in results if r.status != "PASS"}
    out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(f'{word}: {engine} vs {reference}')} · parity</title>",
           f"<style>{CSS}</style></head><body>",
           f"<header><h1>Parity report: {esc(engine)} vs {esc(reference)}</h1>",
           f'<div id="verdict" class="verdict {cls}" data-exit="{status}" data-word="{esc(word)}">'
           f"{esc(word)}: {esc(tail)} (exit status {status})</div>",
           '<table class="about">', *_engine_rows(engines, results, plines),
           f'<tr><th>level</th><td id="level">{esc(level or "exact")}</td></tr>',
           f'<tr><th>command</th><td><code id="command">{esc(command)}</code></td></tr>',
           f'<tr><th>date</th><td id="date">{esc(when.strftime("%Y-%m-%d %H:%M:%S %Z").strip())}</td></tr>',
           f'<tr><th>host</th><td>Python {esc(platform.python_version())}, {esc(platform.platform())}</td></tr>',
           f'<tr><th>summary</th><td id="summary">{esc(summary)}</td></tr>',
           "</table>"]
    notes = [p for p in plines if not any(p.startswith(f"{a.get('name')} ") for a in engines)]
    if notes:
        out.append('<ul class="platform">' + "".join(f"<li>{esc(p)}</li>" for p in notes) + "</ul>")
    out.append('<p><button id="open-all" type="button">open every section</button> '
               '<button id="close-all" type="button">close every section</button> · '
               '<a href="#ops">by op and level</a> · <a href="#entries">entries</a> · '
               '<a href="#failing">not passing</a> · <a href="#expected">skips and expected differences</a></p>')
    out.append("</header>")
    out += _totals(results)
    out += _op_level(results, ids, entry_id)
    out += _entries(results, entry_id)
    out += _failing(results, ids, entry_id, dot)
    out += _expected(results, expectations, entry_id, ids)
    out.append(f"<script>{SCRIPT}</script></body></html>\n")
    return "\n".join(out)


def _totals(results):
    n = report.counts(results)
    cells = "".join(f'<td class="num" data-count="{label}">{n[label]}</td>' for label, _ in report.COUNTED)
    head = "".join(f"<th>{label}</th>" for label, _ in report.COUNTED)
    cases = sum(len(r.cases) for r in results)
    return ['<h2 id="totals">Cases</h2>', f'<table id="counts"><tr><th>entries</th><th>cases</th>{head}</tr>'
            f'<tr><td class="num">{len(results)}</td><td class="num">{cases}</td>{cells}</tr></table>']


def _op_level(results, ids, entry_id):
    cells = defaultdict(list)  # (op, level) -> [(result, case)]
    for r in results:
        for c in r.cases:
            for op in c.ops:
                cells[(op, r.level)].append((r, c))
    ops = list(report.by_op(results))
    levels = list(report.by_level(results))
    out = ['<h2 id="ops">By op and level</h2>',
           "<p>Cases per op (rows) and level (columns), as the terminal's tables count them: a case counts for every "
           "op it tests. Each cell links to its cases.</p>",
           '<table id="op-level"><tr><th>op</th>' + "".join(f"<th>{esc(lv)}</th>" for lv in levels)
           + "<th>all levels</th></tr>"]
    col_totals = defaultdict(lambda: defaultdict(int))
    blocks = []
    for op in ops:
        row = [f"<tr><th>{esc(op)}</th>"]
        op_total = defaultdict(int)
        for lv in levels:
            members = cells.get((op, lv))
            if not members:
                row.append('<td class="empty"></td>')
                continue
            counts = defaultdict(int)
            for _, c in members:
                counts[c.status] += 1
                op_total[c.status] += 1
            cid = ids("cell", op, lv)
            row.append(f'<td class="cell st-{_status_of(counts)}" data-op="{esc(op)}" data-level="{esc(lv)}">'
                       f'<a href="#{cid}">{_counts_html(counts)}</a></td>')
            blocks.append(_cell_block(cid, op, lv, members, entry_id))
        row.append(f'<td class="op-total st-{_status_of(op_total)}" data-op="{esc(op)}">{_counts_html(op_total)}</td>')
        out.append("".join(row) + "</tr>")
    for r in results:
        for c in r.cases:
            col_totals[r.level][c.status] += 1
    out.append("<tr><th>all ops</th>" + "".join(
        f'<td class="level-total st-{_status_of(col_totals[lv])}" data-level="{esc(lv)}">{_counts_html(col_totals[lv])}'
        f"</td>" for lv in levels) + "<td></td></tr>")
    out.append("</table>")
    out.append('<details id="cells"><summary>The cases of each cell</summary>' + "".join(blocks) + "</details>")
    return out


def _cell_block(cid, op, level, members, entry_id):
    """The cases of one op-by-level cell: per entry its counts, then its cases by status (the first CELL_NAMES
    of each status named, the rest counted)."""
    by_entry = {}
    for r, c in members:
        by_entry.setdefault(r.name, (r, []))[1].append(c)
    items = []
    for name, (r, cases) in by_entry.items():
        counts = defaultdict(int)
        for c in cases:
            counts[c.status] += 1
        title = f'<a href="#{entry_id[name]}">{esc(name)}</a>' if name in entry_id else esc(name)
        parts = []
        for s in WORST_FIRST:
            these = [_case_part(c.name, name) for c in cases if c.status == s]
            these = [t for t in these if t != name]  # an entry of one case is named by its title
            if these:
                more = f", … and {len(these) - CELL_NAMES} more" if len(these) > CELL_NAMES else ""
                parts.append(f'<span class="n {s}">{s}</span> {esc(", ".join(these[:CELL_NAMES]))}{more}')
        items.append(f"<li>{title}: {_counts_html(counts)}" + (f"<br>{'; '.join(parts)}" if parts else "") + "</li>")
    return (f'<div class="cellcases" id="{cid}"><h4>{esc(op)} · {esc(level)}</h4><ul>' + "".join(items)
            + "</ul></div>")


def _case_part(case_name, entry_name):
    """"[mul(0.0, 1.0) g=1.0]" of "edge/mul [mul(0.0, 1.0) g=1.0]"."""
    return case_name[len(entry_name):].strip() or case_name if case_name.startswith(entry_name + " [") else case_name


def _worst(r):
    if r.worst == 0.0:
        return "exact" if r.exact else "0"
    return "inf" if r.worst == float("inf") else f"{r.worst:.2g}"


def _entries(results, entry_id):
    out = ['<h2 id="entries">Entries</h2>',
           '<table id="entry-table"><tr><th>entry</th><th>level</th><th>cases</th><th>nodes</th><th>max abs err</th>'
           "<th>err/allowed</th><th>result</th><th>cases by status</th></tr>"]
    for r in results:
        name = f'<a href="#{entry_id[r.name]}">{esc(r.name)}</a>' if r.name in entry_id else esc(r.name)
        counts = {s: r.count(s) for s in WORST_FIRST}
        out.append(f'<tr class="st-{r.status}" data-entry="{esc(r.name)}"><td>{name}</td><td>{esc(r.level)}</td>'
                   f'<td class="num">{len(r.cases)}</td><td class="num">{r.nodes}</td>'
                   f'<td class="num">{r.max_abs:.2e}</td><td class="num">{_worst(r)}</td>'
                   f'<td class="status">{r.status}</td><td>{_counts_html(counts)}</td></tr>')
    out.append("</table>")
    return out


def _failing(results, ids, entry_id, dot):
    bad = [r for r in results if r.name in entry_id]
    out = ['<h2 id="failing">Entries not passing</h2>']
    if not bad:
        return out + ["<p>Every entry passes.</p>"]
    legend = "".join(f'<span><span class="swatch" style="background:{COLOURS[k]}"></span>{esc(k)}</span>'
                     for k in KINDS)
    out.append(f'<p class="legend">Disagreeing values are coloured by how far off they are: {legend} '
               f"(ulps: at most {FEW_ULPS} units in the last place of the reference; other: farther). The culprit "
               f"node has a double yellow border. Nodes that agree are plain.</p>")
    if not dot:
        out.append(f'<p class="note" id="no-dot">{esc(NO_DOT)}</p>')
    for r in bad:
        out += _entry_section(r, ids, entry_id[r.name], dot)
    return out


def _entry_section(r, ids, eid, dot):
    counts = {s: r.count(s) for s in WORST_FIRST}
    out = [f'<section class="entry {r.status}" id="{eid}" data-entry="{esc(r.name)}">',
           f'<h3>{esc(r.name)} <span class="status">{r.status}</span></h3>',
           f'<p class="entry-counts">{_plural(len(r.cases), "case")}: {_counts_html(counts)}; {r.nodes} nodes '
           f"compared</p>"]
    if r.status in ("SKIP", "XFAIL"):
        out.append('<p>Its reasons are listed under <a href="#expected">skips and expected differences</a>.</p>')
    if r.suspects:
        out.append("<h4>Likely culprits, most likely first</h4><ol class=\"suspects\">"
                   + "".join(f"<li>{esc(s)}</li>" for s in r.suspects) + "</ol>")
    grouped = groups(r)
    by_case = defaultdict(list)
    for m in r.mismatches:
        by_case[m.graph].append(m)
    kept = {t[0]: t for t in r.failing_tapes}
    drawn = {}  # case name -> drawing id
    draws = []
    if grouped:
        out.append('<h4>Disagreeing cases by kind</h4><table class="kinds"><tr><th>kind</th><th>cases</th>'
                   "<th>first case</th><th>its first difference</th><th>graph</th></tr>")
        lists = []
        for key, cases in grouped.items():
            kid = ids("kind", r.name, *key)
            first = cases[0]
            tape = kept.get(first.name)
            if tape is None and key[0] not in ("error", "xpass"):  # another kept case of this kind
                tape = next((t for t in r.failing_tapes if case_kind(t[-1]) == key), None)
            link = "—"
            if tape is not None:
                if tape[0] not in drawn:
                    drawn[tape[0]] = ids("draw", r.name, tape[0])
                    draws.append((drawn[tape[0]], tape, key))
                link = f'<a href="#{drawn[tape[0]]}">{"drawn" if tape[0] == first.name else "a later case, drawn"}</a>'
            elif key[0] not in ("error", "xpass"):
                link = "not kept (the first 3 failing graphs of an entry are kept, then one per new kind)"
            diff = getattr(first, "difference", None) or first_difference(by_case.get(first.name)) or first.reason
            swatch = (f'<span class="swatch" style="background:{COLOURS[key[1]]}"></span>' if key[1] in COLOURS
                      else "")
            out.append(f'<tr id="{kid}" data-kind="{esc(kind_label(key))}"><td>{swatch}{esc(_short(kind_label(key)))}'
                       f'</td><td class="num"><a href="#{kid}-cases">{len(cases)}</a></td>'
                       f'<td class="first">{esc(first.name)}</td><td class="mono">{esc(diff)}</td><td>{link}</td></tr>')
            lists.append(f'<details class="cases" id="{kid}-cases"><summary>{_plural(len(cases), "case")}: '
                         f'{esc(_short(kind_label(key)))}</summary><ul class="names">'
                         + "".join(f"<li>{esc(c.name)}</li>" for c in cases) + "</ul></details>")
        out.append("</table>")
        out += lists
    if r.n_mismatches > len(r.mismatches):
        out.append(f"<p class=\"note\">{r.n_mismatches} mismatches in all; the first {len(r.mismatches)} are kept "
                   f"(and grouped above).</p>")
    names = (r.engine, r.reference)
    for did, (graph, tape, eng, ref, mismatches), key in draws:
        body, what = drawing(did, graph, tape, eng, ref, mismatches, names, dot, r.suspects)
        out.append(f'<details class="drawing" id="{did}" data-case="{esc(graph)}"><summary>Graph of {esc(graph)} '
                   f"({esc(kind_label(key))}; {esc(what)})</summary>{body}</details>")
    out.append("</section>")
    return out


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short(text, n=160):
    return text if len(text) <= n else text[: n - 1] + "…"


def _expected(results, expectations, entry_id, ids):
    out = ['<h2 id="expected">Skips, expected failures and declared differences</h2>']
    skips = {}
    for r in results:
        for c in r.cases:
            if c.status == "SKIP":
                skips.setdefault(c.reason, {}).setdefault(r.name, 0)
                skips[c.reason][r.name] += 1
    out.append('<h3 id="skips">Skipped cases</h3>')
    if skips:
        out.append('<table id="skip-table"><tr><th>reason</th><th>cases</th><th>entries</th></tr>')
        for reason, where in sorted(skips.items(), key=lambda kv: -sum(kv[1].values())):
            ents = ", ".join((f'<a href="#{entry_id[n]}">{esc(n)}</a>' if n in entry_id else esc(n)) + f" ({k})"
                             for n, k in where.items())
            out.append(f'<tr><td>{esc(reason)}</td><td class="num">{sum(where.values())}</td><td>{ents}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    found = {}
    for r in results:
        for e, m in r.declared:
            found.setdefault(e, [])
            if len(found[e]) < 3:
                found[e].append((r.name, m))
    for strict, title, hid in ((True, "Expected failures (--known-failures)", "known"),
                               (False, "Declared differences of the engine", "declared")):
        rows = [(e, ms) for e, ms in found.items() if e.strict == strict]
        out.append(f'<h3 id="{hid}">{title}</h3>')
        if not rows:
            out.append("<p>None.</p>")
            continue
        out.append(f'<table class="expected" id="{hid}-table"><tr><th>match</th><th>reason</th><th>cases</th>'
                   "<th>first differences</th></tr>")
        for e, ms in rows:
            total = sum(r.matched.get(e, 0) for r in results)
            link = f"<br><code>{esc(e.link)}</code>" if e.link else ""
            diffs = "".join(f"<li>{esc(str(m))}</li>" for _, m in ms)
            out.append(f'<tr><td><code>{esc(e.match)}</code></td><td>{esc(e.reason)}{link}</td>'
                       f'<td class="num">{total}</td><td><ul class="mono">{diffs}</ul></td></tr>')
        out.append("</table>")
    old = report.stale(results, expectations)
    if old:
        out.append('<h3 id="stale">Stale declarations</h3><ul>' + "".join(
            f"<li><code>{esc(e.match)}</code>: no longer differs ({esc(e.source)}); remove the entry</li>"
            for e in old) + "</ul>")
    return out


def write_html(path, results, seconds, **kwargs):
    """Write the page (render's arguments); a page that cannot be rendered is replaced by a short one saying why,
    so --html never fails the run."""
    try:
        text = render(results, seconds, **kwargs)
    except Exception as exc:  # the other reports are written already: say what went wrong, keep the exit status
        print(f"parity: --html: the page could not be rendered ({type(exc).__name__}: {exc}); wrote a short one",
              file=sys.stderr)
        engine = results[0].engine if results else "?"
        reference = results[0].reference if results else "?"
        try:
            summary = report.summary(results, seconds, engine, reference)
        except Exception:
            summary = ""
        text = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>parity</title></head><body>'
                f"<h1>Parity report: {esc(engine)} vs {esc(reference)}</h1>"
                f"<p>{esc(summary)}</p>"
                f"<p>The full page could not be rendered: {esc(type(exc).__name__)}: {esc(exc)}</p></body></html>\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
