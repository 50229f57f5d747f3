"""A port's encoding mistakes are named as such: a leaf that comes back other than the runner sent it is the
port's way of writing numbers (zero sign, inf/nan spelling, too few digits), and no op is blamed; a zero-sign
disagreement is written as one, never as a difference of 0.0; a skipped entry names the ops it lacks."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "examples", "port_template", "port.py")


def template_with(tmp_path, old, new):
    source = open(TEMPLATE).read()
    assert old in source
    path = tmp_path / "port.py"
    path.write_text(source.replace(old, new))
    return str(path)


def check_port(port, *graphs, quiet=True):
    return subprocess.run([sys.executable, "-m", "parity", "check-port", *(["-q"] if quiet else []), *graphs, "--", sys.executable, port],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def culprits(stdout):
    return [line for line in stdout.splitlines() if line.startswith("likely culprit:")]


@pytest.mark.parametrize("old, new, graphs, how", [
    ("    return x\n", "    return 0 if x == 0 else x\n", ["edge/mul"], "zero sign lost"),
    ('        return "inf" if x > 0 else "-inf"', "        return 1.7976931348623157e308 if x > 0 else -1e308",
     ["edge/add"], "a special value changed"),
    ("    return x\n", '    return float(f"{x:.8g}")\n', ["seed/layer3"], "rounded on output"),
], ids=["zero-sign", "inf-spelling", "rounding"])
def test_a_leaf_not_echoed_is_named_as_the_ports_encoding_and_blames_no_op(tmp_path, old, new, graphs, how):
    r = check_port(template_with(tmp_path, old, new), *graphs)
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    lines = culprits(r.stdout)
    assert lines and "did not echo its inputs" in lines[0] and how in lines[0], lines[:2]
    assert "no op:" in lines[0] and "forward of" not in lines[0] and "backward of" not in lines[0]


def test_a_zero_sign_mismatch_says_so_and_never_prints_a_difference_of_zero(tmp_path):
    r = check_port(template_with(tmp_path, "    return x\n", "    return 0 if x == 0 else x\n"), "edge/mul")
    assert "(0.0 vs -0.0: zero sign differs)" in r.stdout
    assert "difference=0.0" not in r.stdout and "difference=-0.0" not in r.stdout
    lines = culprits(r.stdout)
    assert lines and not [x for x in lines if "forward of" in x or "backward of" in x], lines  # no op blamed
    assert "(the same in " in lines[0]  # one line for the fault, with the number of graphs it explains


def test_every_skip_row_names_the_ops_the_port_lacks():
    r = check_port(TEMPLATE, "seed/toy_max", "seed/cost", "seed/L_graph", quiet=False)
    rows = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("seed/")}
    assert rows["seed/toy_max"].endswith("SKIP (lacks maximum)"), rows
    assert rows["seed/cost"].endswith("SKIP (lacks div, pow_scalar, sub)"), rows
    assert rows["seed/L_graph"].endswith("PASS"), rows


def test_a_port_that_writes_negative_zero_as_the_json_integer_minus_0_keeps_its_sign(tmp_path):
    port = template_with(tmp_path, "    sys.stdout.write(json.dumps(obj, separators=(\",\", \":\"), allow_nan=False) + \"\\n\")",
                         "    import re\n    sys.stdout.write(re.sub(r'-0\\.0(?=[,\\]])', '-0', "
                         "json.dumps(obj, separators=(',', ':'), allow_nan=False)) + '\\n')")
    request = ('{"type":"start","protocol":1}\n{"type":"graph","id":1,"name":"x","case":"","output":2,"nodes":'
               '[{"id":0,"op":"leaf","value":-0.0},{"id":1,"op":"leaf","value":2.0},{"id":2,"op":"mul","inputs":[0,1]}]}\n')
    wire = subprocess.run([sys.executable, port], input=request, capture_output=True, text=True).stdout
    assert '"data":[-0,2.0,-0]' in wire, wire  # the port really writes the integer -0
    r = check_port(port, "edge/mul", "edge/add")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js not installed")
def test_a_node_port_that_writes_minus_zero_as_0_is_told_so_and_no_op_is_blamed(tmp_path):
    source = open(os.path.join(ROOT, "examples", "js_port", "port.js")).read()
    line = "  if (Object.is(x, -0)) return '-0.0';\n"
    assert line in source
    (tmp_path / "port.js").write_text(source.replace(line, ""))  # JSON.stringify(-0) is "0"
    r = subprocess.run([sys.executable, "-m", "parity", "check-port", "-q", "edge/mul", "seed/*", "--", NODE,
                        str(tmp_path / "port.js")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 1
    lines = culprits(r.stdout)
    assert lines and all("forward of" not in x and "backward of" not in x for x in lines[:1]), lines[:3]
    assert "js_port did not echo its inputs" in lines[0] and "zero sign lost" in lines[0]
    assert "difference=0.0" not in r.stdout


def test_a_port_that_echoes_negative_zero_leaves_is_not_told_its_encoding_may_lose_zero_signs(tmp_path):
    """An op that loses a zero sign (here mul's forward, as `a * b + 0.0`) is that op's fault once the port has
    echoed a -0.0 leaf as -0.0 in the same run: no hint about writing -0.0 as 0."""
    port = template_with(tmp_path, '"mul": (lambda a, b: a * b,', '"mul": (lambda a, b: a * b + 0.0,')
    r = check_port(port, "edge/mul")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    lines = culprits(r.stdout)
    assert lines and "forward of 'mul'" in lines[0] and "only its zero sign differs" in lines[0], lines[:2]
    assert not [x for x in lines if "writes -0.0 as 0" in x or "SPEC section 7" in x], lines
