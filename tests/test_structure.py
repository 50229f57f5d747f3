"""The parity package is layered: commands on top, the machinery they share below them. (The import graph
has no circle, counting imports inside functions: tests/test_engines.py.)"""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = {"cli", "porting", "ports", "conventions", "serve"}
SHARED = ["run_command", "usage", "workers", "answers", "installed", "harness", "report", "report_html", "report_graph",
          "kinds", "golden", "expectations",
          "diagnose", "compare", "catalogue", "tape", "engines/__init__", "engines/port_engine", "engines/golden_engine"]


def parity_imports(module):
    """Names of the parity modules a module imports anywhere (module level or inside a function)."""
    path = os.path.join(ROOT, "parity", module + ".py")
    depth = module.count("/") + 1
    out = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                mod = node.module or ""
                if mod.startswith("parity."):
                    out.add(mod.split(".")[1])
            elif node.level == depth:  # relative to parity/
                out.add((node.module or "").split(".")[0] or next(iter(a.name for a in node.names)))
            elif node.level < depth and module.startswith("engines/"):
                out.add("engines")
    return out


def test_shared_machinery_imports_no_command():
    for module in SHARED:
        assert not parity_imports(module) & COMMANDS, (module, parity_imports(module) & COMMANDS)


def test_cli_only_dispatches_to_the_commands_and_the_shared_run():
    assert parity_imports("cli") <= {"porting", "run_command", "usage"}
