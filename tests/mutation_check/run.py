"""`make mutants`: mutation testing of the engine with cosmic-ray, and the score against docs/MUTANTS.md.

    python tests/mutation_check/run.py [FILE ...]      (default: [tool.cosmic-ray] module-path of pyproject.toml)

cosmic-ray (a maintained mutation tester; mutmut 3 only mutates code inside functions, and the op table's
forward and backward formulas are lambdas in module-level rows) writes each mutant into the file on disk and
runs the check command, pyproject.toml's [tool.cosmic-ray] test-command: the parity harness against the golden
vectors (tests/mutation_check/parity_gate.py), then the engine's tests. A mutant is killed when the check fails
(or runs past the timeout), survives when it passes.

Everything happens in mutants/ (git-ignored), never in the working tree: mutants/work is a fresh copy of the
project (the files cosmic-ray mutates in place), mutants/session.sqlite cosmic-ray's session (kept while the
mutated files are unchanged, so an interrupted run resumes where it stopped; when only the check changed,
new tests for instance, the mutants it killed stay killed and the survivors are tested again),
mutants/report.md every survivor with its diff. A survivor must be listed in docs/MUTANTS.md as equivalent,
with its proof; the run exits 1 when a survivor is not, or when the unmutated check fails (the baseline).
"""

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "mutants"
WORK = OUT / "work"
SESSION = OUT / "session.sqlite"
SESSION_KEY = OUT / "session.key"
CONFIG = OUT / "cosmic-ray.toml"
REPORT = OUT / "report.md"
EQUIVALENTS = ROOT / "docs" / "MUTANTS.md"
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "mutants", "__pycache__", ".pytest_cache", ".hypothesis",
                                     ".benchmarks", "*.egg-info", "build", "out")
# what a session's results depend on besides the mutated files: when only these change, mutants already killed
# stay killed (a check with more tests kills at least as much) and the survivors are tested again
CHECK_FILES = ("parity", "tests", "golden/index.json")
DRIVER = Path("tests/mutation_check/run.py")  # this file: not part of the check
# an equivalent mutant in docs/MUTANTS.md:  - `path` operator: `mutated line` — proof
ENTRY = re.compile(r"^- `(?P<path>[^`]+)` (?P<op>\S+): `(?P<code>.+)` — (?P<proof>.+)$")


def settings():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cosmic-ray"]
    return cfg


def digest(names, extra):
    h = hashlib.sha256(repr(extra).encode())
    for name in names:
        p = ROOT / name
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.relative_to(ROOT) != DRIVER:
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def session_keys(paths, cfg):
    """(mutants key, check key): a new mutants key starts a new session; a new check key retests the survivors."""
    return (digest(sorted(paths), sorted(paths)),
            digest(CHECK_FILES, (cfg["test-command"], cfg["timeout"])))


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(paths, cfg):
    command = shlex.join(arg.replace("{python}", sys.executable) for arg in cfg["test-command"])
    CONFIG.write_text(
        "# written by tests/mutation_check/run.py from pyproject.toml's [tool.cosmic-ray]\n"
        "[cosmic-ray]\n"
        f"module-path = [{', '.join(toml_string(p) for p in paths)}]\n"
        f"timeout = {float(cfg['timeout'])}\n"
        "excluded-modules = []\n"
        f"test-command = {toml_string(command)}\n"
        "\n[cosmic-ray.distributor]\nname = \"local\"\n"
    )
    return command


def cosmic_ray(*args):
    return [sys.executable, "-m", "cosmic_ray.cli", *args]


def results():
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(SESSION), WorkDB.Mode.open) as db:
        return db.num_work_items, db.completed_work_items


def forget_survivors():
    import sqlite3

    with sqlite3.connect(SESSION) as db:
        db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")


def progress(stop, total):
    while not stop.wait(60):
        try:
            _, done = results()
        except Exception:  # the session is being written: next time
            continue
        c = Counter(r.test_outcome.value if r.test_outcome else r.worker_outcome.value for _, r in done)
        print(f"  {len(done)}/{total} mutants tested: " + ", ".join(f"{v} {k}" for k, v in sorted(c.items())),
              flush=True)


def mutated_line(diff):
    """The mutant's changed line, as it reads after the mutation; a bare keyword (`break`) after the line before it,
    so that one entry of docs/MUTANTS.md does not stand for every such mutant of the file."""
    lines = diff.splitlines()
    changed = [i for i, line in enumerate(lines) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    added = [lines[i][1:].strip() for i in changed if lines[i].startswith("+")]
    text = " ".join(added) if added else "removed: " + " ".join(
        s for s in (lines[i][1:].strip() for i in changed) if s)  # a deleted line (a decorator)
    if len(text) <= 8 and changed:
        before = [line[1:].strip() for line in lines[:changed[0]]
                  if line.startswith(" ") and line.strip() and not line.strip().startswith("#")]
        if before:
            text = f"{before[-1]} / {text}"
    return text


def equivalents():
    out = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text().splitlines():
            m = ENTRY.match(line)
            if m:
                out[(m["path"], m["op"], m["code"])] = m["proof"]
    return out


def main(argv):
    cfg = settings()
    paths = argv or cfg["module-path"]
    for p in paths:
        if not (ROOT / p).is_file():
            sys.exit(f"make mutants: no such file {p}")
    OUT.mkdir(exist_ok=True)
    if WORK.exists():
        shutil.rmtree(WORK)
    shutil.copytree(ROOT, WORK, ignore=COPY_IGNORE)
    # precompiled with hashes: a module is recompiled only when its source bytes change (the mutated file)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
                    "micrograd_ref", "parity", "tests"], cwd=WORK, check=True)
    command = write_config(paths, cfg)
    mutants_key, check_key = session_keys(paths, cfg)
    keys = SESSION_KEY.read_text().split() if SESSION_KEY.exists() and SESSION.exists() else []
    print(f"make mutants: {', '.join(paths)}\n  check: {command}", flush=True)
    if len(keys) != 2 or keys[0] != mutants_key:
        SESSION.unlink(missing_ok=True)
        subprocess.run(cosmic_ray("init", str(CONFIG), str(SESSION)), cwd=WORK, check=True)
    elif keys[1] != check_key:
        print("  the check changed since the last run: its survivors are tested again", flush=True)
        forget_survivors()
    SESSION_KEY.write_text(f"{mutants_key} {check_key}\n")
    total, done = results()
    print(f"  {total} mutants, {len(done)} already tested in this session (mutants/session.sqlite)", flush=True)
    if len(done) < total:
        base = subprocess.run(cosmic_ray("baseline", str(CONFIG)), cwd=WORK)
        if base.returncode:
            sys.exit("make mutants: the check fails without any mutation (the baseline); fix that first")
        stop = threading.Event()
        threading.Thread(target=progress, args=(stop, total), daemon=True).start()
        try:
            subprocess.run(cosmic_ray("exec", str(CONFIG), str(SESSION)), cwd=WORK, check=True)
        finally:
            stop.set()
    return report(paths)


def report(paths):
    total, done = results()
    known = equivalents()
    used = set()
    counts = Counter()
    survivors = []
    for item, res in sorted(done, key=lambda d: (str(d[0].mutations[0].module_path), d[0].mutations[0].start_pos)):
        m = item.mutations[0]
        outcome = res.test_outcome.value if res.test_outcome else res.worker_outcome.value
        counts[outcome] += 1
        if outcome == "survived":
            k = (str(m.module_path), m.operator_name, mutated_line(res.diff or ""))
            proof = known.get(k)
            if proof:
                used.add(k)
            survivors.append((m, k, proof, res.diff))
    unexplained = [s for s in survivors if s[2] is None]
    pending = total - len(done)
    killed = counts["killed"]
    lines = [
        "# make mutants: report",
        "",
        f"Files: {', '.join(paths)}",
        f"Mutants: {total}; killed {killed}, survived {len(survivors)} "
        f"({len(survivors) - len(unexplained)} listed as equivalent in docs/MUTANTS.md, {len(unexplained)} not), "
        f"incompetent {counts['incompetent']}, not tested {pending + counts['no-test']}.",
        f"Score: {killed} / {total} killed ({100.0 * killed / max(total, 1):.1f} %); "
        f"{killed + len(survivors) - len(unexplained)} / {total} killed or proven equivalent.",
        "",
        "## Survivors",
        "",
    ]
    for m, k, proof, diff in survivors:
        lines += [f"### {k[0]}:{m.start_pos[0]} {k[1]} ({'equivalent: ' + proof if proof else 'NOT EXPLAINED'})",
                  "", f"- `{k[0]}` {k[1]}: `{k[2]}` — ", "", "```diff", (diff or "").strip(), "```", ""]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines[2:5]))
    stale = sorted(set(known) - used)
    if stale and not unexplained and not pending:
        print(f"  {len(stale)} entries of docs/MUTANTS.md match no survivor of this run (stale, or other files)")
    if unexplained:
        print(f"make mutants: {len(unexplained)} survivors are neither killed nor listed in docs/MUTANTS.md "
              f"(see mutants/report.md):")
        for m, k, _, _ in unexplained:
            print(f"  {k[0]}:{m.start_pos[0]} {k[1]}: {k[2]}")
        return 1
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
