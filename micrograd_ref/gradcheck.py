"""The seed notes' "bump the input by h and watch the output" check, as a tool."""

from dataclasses import dataclass

from .engine import Value


@dataclass
class GradcheckRow:
    index: int
    label: str
    x: float
    analytic: float  # from backward()
    numeric: float  # central difference (f(x + eps) - f(x - eps)) / (2 eps)
    ok: bool

    @property
    def abs_err(self):
        return abs(self.analytic - self.numeric)


@dataclass
class GradcheckReport:
    rows: list
    eps: float
    rtol: float
    atol: float

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    def __bool__(self):
        return self.ok

    def __str__(self):
        lines = [f"gradcheck (central differences, eps={self.eps:g}, rtol={self.rtol:g}, atol={self.atol:g})"]
        lines.append(f"{'input':<12}{'x':>14}{'backward':>22}{'numeric':>22}{'abs err':>11}  ok")
        for r in self.rows:
            name = r.label or f"#{r.index}"
            lines.append(
                f"{name:<12}{r.x:>14.6g}{r.analytic:>22.15g}{r.numeric:>22.15g}{r.abs_err:>11.2e}  {'PASS' if r.ok else 'FAIL'}"
            )
        lines.append("PASS" if self.ok else f"FAIL: {sum(not r.ok for r in self.rows)} of {len(self.rows)} inputs disagree")
        return "\n".join(lines)


def gradcheck(f, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, labels=None):
    """Compare backward() gradients of f(*inputs) with central finite differences.

    f takes one Value per input and returns a Value. inputs are numbers (or
    Values, whose data is used). An input passes when
    |analytic - numeric| <= atol + rtol * |numeric|. Returns a GradcheckReport:
    truthy when every input passes, printable as a table.
    """
    xs = [x.data if isinstance(x, Value) else float(x) for x in inputs]
    labels = labels or [x.label if isinstance(x, Value) else "" for x in inputs]

    def evaluate(values):
        out = f(*values)
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}: {out!r}")
        return out

    leaves = [Value(x, label=lab) for x, lab in zip(xs, labels)]
    evaluate(leaves).backward()
    rows = []
    for i, x in enumerate(xs):
        plus = list(xs)
        minus = list(xs)
        plus[i] = x + eps
        minus[i] = x - eps
        f_plus = evaluate([Value(v) for v in plus]).data
        f_minus = evaluate([Value(v) for v in minus]).data
        numeric = (f_plus - f_minus) / (2 * eps)
        analytic = leaves[i].grad
        ok = abs(analytic - numeric) <= atol + rtol * abs(numeric)
        rows.append(GradcheckRow(i, labels[i], x, analytic, numeric, ok))
    return GradcheckReport(rows, eps, rtol, atol)
