"""Benchmarks: every catalogue graph in micrograd_ref, torch (one 0-d float64 tensor per scalar) and
classic micrograd 0.1.0, side by side; scaling series; memory per node; a ratio-based regression gate.

``python -m bench`` runs everything (pytest-benchmark over bench/test_bench.py) and prints a
markdown table; ``python -m bench --check`` compares micrograd_ref/torch time ratios with
bench/baseline.json; ``python -m bench --save-baseline`` refreshes it. See bench/RESULTS.md.
"""
