"""Benchmarks and load tests; not part of the app, run by `make bench` and tests/concurrency."""
