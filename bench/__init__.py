"""Benchmarks: each `bench_*.py` module measures figures and compares them with the issue's targets."""
