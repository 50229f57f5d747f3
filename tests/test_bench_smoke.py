"""Smoke test of the benchmark suite (bench/): its table, slope, baseline and replay code on tiny inputs.

No timing assertions; the real run is `make bench` / `make bench-check`.
"""

import math
import os

import pytest

from bench import check, engines, memory, report


def test_loglog_slope():
    assert report.loglog_slope([1, 10, 100], [2e-3, 2e-2, 2e-1]) == pytest.approx(1.0)
    assert report.loglog_slope([10, 20, 40], [1.0, 4.0, 16.0]) == pytest.approx(2.0)
    # FAIL/n/a cells are left out; one point is no slope
    assert report.loglog_slope([10, 20, 40], [1.0, "FAIL (RecursionError)", 4.0]) == pytest.approx(1.0)
    assert report.loglog_slope([10], [1.0]) is None


def _records():
    recs = []
    for eng, k in (("micrograd_ref", 1.0), ("torch", 6.0), ("micrograd", 5.5)):
        for mode, m in (("fwd", 0.6), ("fwd+bwd", 1.0)):
            recs.append({"group": "catalogue", "workload": "mlp/2_16_16_1_x100", "engine": eng, "mode": mode,
                         "nodes": 65818, "series": "mlp", "size": 100, "time": 0.1 * k * m})
        for size in (25, 50, 200):
            recs.append({"group": "series", "workload": f"mlp/{size}", "engine": eng, "mode": "fwd+bwd",
                         "nodes": 658 * size, "series": "mlp", "size": size, "time": 0.1 * k * size / 100})
    recs.append({"group": "floats", "workload": "mlp/2_16_16_1_x100", "engine": "floats-hand", "mode": "fwd",
                 "nodes": 65818, "time": 0.004})
    data = {"benchmarks": [{"extra_info": {k: v for k, v in r.items() if k != "time"},
                            "stats": {"median": r["time"], "min": r["time"], "rounds": 3}} for r in recs]}
    status = [({"group": "series", "workload": "chain/1000", "engine": "micrograd", "mode": "fwd+bwd",
                "nodes": 2001, "series": "chain", "size": 1000}, "FAIL (RecursionError)"),
              ({"group": "catalogue", "workload": "seed/tanh_neuron", "engine": "micrograd", "mode": "fwd",
                "nodes": 9}, "n/a")]
    return report.records_from_json(data, status)


def test_report_tables():
    recs = _records()
    mem = [{"workload": "chain/100000", "engine": "micrograd_ref", "nodes": 1000, "bytes": 150_000}]
    text = report.full_report(recs, mem, {"python": "3.x"})
    assert "| `mlp/2_16_16_1_x100` | 65818 |" in text
    assert "6.00x" in text  # torch / ref
    assert "FAIL (RecursionError)" in text and "n/a" in text
    assert "**1.00**" in text  # the mlp series slope
    assert "150" in text  # bytes per node
    verdicts = {t: v for t, _, v in report.targets(recs, mem)}
    assert verdicts["MLP-100 fwd+bwd: micrograd_ref >= 5x faster than torch scalar"] == "met"
    assert verdicts["MLP-100 fwd+bwd: micrograd_ref >= 5x faster than micrograd 0.1.0"] == "met"
    assert report.slopes(recs)["mlp"]["micrograd_ref"] == pytest.approx(1.0)


def test_plot(tmp_path):
    assert report.plot_scaling(_records(), tmp_path / "s.png").stat().st_size > 1000


def test_baseline_compare():
    base = {"margin": 0.25, "ratios": {"a": 0.5, "b": 0.1}}
    ok, msgs = check.compare({"a": {"ratio": 0.6}, "b": {"ratio": 0.1}}, base)
    assert ok and len(msgs) == 2
    ok, msgs = check.compare({"a": {"ratio": 0.7}, "b": {"ratio": 0.1}}, base)
    assert not ok and any(m.startswith("FAIL a") for m in msgs)
    ok, _ = check.compare({"a": {"ratio": 0.7}, "b": {"ratio": 0.1}}, base, margin=0.5)
    assert ok
    ok, msgs = check.compare({"a": {"ratio": 0.5}}, base)
    assert not ok and any("not measured" in m for m in msgs)
    ok, msgs = check.compare({"a": {"ratio": 0.2}, "b": {"ratio": 0.1}}, base)
    assert ok and any("refresh" in m for m in msgs)


def test_committed_baseline_is_readable():
    data = check.load_baseline()
    assert set(data["ratios"]) == set(check.CHECKS)
    assert all(r > 0 for r in data["ratios"].values())


def test_replay_and_plain_floats():
    (tape,) = engines.catalogue_tapes("mlp/classic_3_4_4_1")
    expected = tape.evaluate()[tape.output]
    assert engines.engine("micrograd_ref").run(engines.graphs([tape])[0]).data[tape.output] == expected
    engines.workload([tape], "micrograd_ref", "fwd+bwd")()
    assert engines.floats_hand(engines.MLPSpec(tape))() == pytest.approx(expected, rel=1e-12)
    w = engines.training(tape, "micrograd_ref", steps=1, lr=0.05)()
    assert len(w) == 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1
    assert not engines.supports("micrograd", tape)  # tanh
    with pytest.raises(engines.Unsupported):
        engines.workload([tape], "micrograd", "fwd")
    chain = engines.series_tape("chain", 10)
    assert len(chain) == 21 and math.isclose(chain.evaluate()[chain.output], 1.0000001 ** 10, rel_tol=1e-12)
    assert memory.graph_bytes(chain, "micrograd_ref") > 0


def test_torch_vectorized_matches(torch):
    (tape,) = engines.catalogue_tapes("mlp/classic_3_4_4_1")
    _, loss = engines.torch_vectorized(engines.MLPSpec(tape), "fwd+bwd")
    assert loss().item() == pytest.approx(tape.evaluate()[tape.output], rel=1e-9)
    t = engines.series_tape("mlp", 5)
    _, loss = engines.torch_vectorized(engines.MLPSpec(t), "fwd+bwd")
    assert loss().item() == pytest.approx(t.evaluate()[t.output], rel=1e-9)


def test_lock_table_shows_both_sides_and_the_difference():
    recs = [{"group": "lock", "workload": "lock/leaf", "engine": e, "mode": "fwd+bwd", "nodes": 1, "time": t}
            for e, t in (("with-lock", 0.6e-6), ("no-lock", 0.5e-6))]
    text = report.full_report(recs)
    assert "| `lock/leaf` | 0.6 µs | 0.5 µs | +0.1 µs | +20.0% |" in text


def test_scaling_plot_labels_both_axes_with_units_and_its_legends_hide_no_line():
    fig = report.scaling_figure(_records())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        assert "log scale" in ax.get_xlabel() and ax.get_xlabel().split(",")[0] in report.SIZE_UNIT.values()
        assert ax.get_ylabel().startswith("seconds per forward + backward")
        legend = ax.get_legend()
        if legend is not None:
            assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
            assert all("slope" in t.get_text() for t in legend.get_texts())



def test_readme_explains_every_series_and_every_engine_slope_of_the_scaling_plot():
    text = open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")).read()
    part = text[text.index("**Reading the scaling plot**"):]
    part = part[: part.index("\n## ")] if "\n## " in part else part
    for series in engines.SERIES:
        assert f"on {series}" in part, series
    for e in report.ENGINE_ORDER:
        assert f"**{engines.ENGINE_LABEL.get(e, e)}**" in part, e
    assert "docs/bench_scaling.png" in part and "bench/report.py" in part


def test_the_bench_times_engines_through_the_engine_interface_with_no_replay_of_its_own():
    import inspect

    source = inspect.getsource(engines)
    assert "OPS[" not in source and ".call(" not in source  # no op table replay in bench/
    assert "timing_run" in source and "parity.engines" in source
    with pytest.raises(engines.Unsupported, match="no forward-only timing mode"):  # the adapter only has run()
        (tape,) = engines.catalogue_tapes("seed/L_graph")
        engines.workload([tape], "micrograd", "fwd")


def test_every_catalogue_entry_runs_once_through_the_benchs_path():
    """What `make bench` times, once per entry in micrograd_ref: select graphs (builtin max/min/sorted), the
    scale graphs and the training replay included (the bench's own replay once raised KeyError: 'select')."""
    from parity.catalogue import CATALOGUE, TRAINING

    for name, entry in CATALOGUE.items():
        tapes = engines.catalogue_tapes(name)
        if entry.kind == "training":
            w = engines.training(tapes[0], "micrograd_ref", steps=1, lr=TRAINING[name]["lr"])()
            assert w and all(math.isfinite(x) for x in w.values()), name
            continue
        for mode in ("fwd", "fwd+bwd"):
            assert engines.workload(tapes, "micrograd_ref", mode)() is None, name
