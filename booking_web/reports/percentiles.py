"""Percentiles from counts of whole values (a histogram the database grouped), by the
nearest-rank method: the p-th percentile is the smallest value with at least p% of the values at
or below it. Exact, the same on both engines, and the database returns a few hundred counts
instead of every row."""

from __future__ import annotations

from collections.abc import Mapping


def nearest_rank(counts: Mapping[int, int], percent: int) -> int | None:
    """The `percent`-th percentile of the values counted (None when there are none)."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = max(1, (percent * total + 99) // 100)  # ceil(percent/100 * total), in integers
    running = 0
    for value in sorted(counts):
        running += counts[value]
        if running >= rank:
            return value
    raise AssertionError("unreachable: the counts add up to total")


def merge(*histograms: Mapping[int, int]) -> dict[int, int]:
    """Counts added up value by value."""
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged
