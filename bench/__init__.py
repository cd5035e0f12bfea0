"""Benchmarks: ``python -m bench`` (bench/run.py) prints every figure beside its hand-written baseline."""
