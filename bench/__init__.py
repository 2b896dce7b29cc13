"""Benchmarks that print figures (rush, search, memory); never pass/fail on time."""
