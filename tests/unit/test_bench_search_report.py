"""bench/report.py on the search's figures: the 2x verdict is on the place page's bounded search
(nearest_first_free), the unbounded every-site search is reported beside it without a target,
and a results.json from before it was measured still renders."""

from __future__ import annotations

from typing import Any

from bench import report


def _query(p95: float) -> dict[str, Any]:
    return {"p50_ms": p95 / 2, "p95_ms": p95, "cpu_p50_ms": p95 / 3, "cpu_p95_ms": p95 / 2}


def _results(*, unbounded: bool) -> dict[str, Any]:
    def scale(sites: int, nearest: float, every: float) -> dict[str, Any]:
        row = {"sites": sites, "days": 365, "slots": 1000 * sites,
               "nearest_first_free": _query(nearest), "site_free_dates": _query(2.0)}
        if unbounded:
            row["all_sites_first_free"] = _query(every)
        return row

    return {"search": [{"database": "sqlite", "scales": [scale(50, 2.0, 3.0), scale(200, 3.0, 15.0)]}]}


def test_the_growth_verdict_is_on_the_place_pages_search_and_the_unbounded_one_is_reported():
    lines = report.verdicts(_results(unbounded=True))
    assert ("sqlite: nearest_first_free (the place page's nearest 10) p95 at 200 sites / at 50 sites "
            "x1.5 vs <= 2 (met)") in lines
    assert ("sqlite: all_sites_first_free (every site, unbounded) p95 at 200 sites / at 50 sites x5.0 "
            "(reported, no target)") in lines
    rows = report.search_rows(_results(unbounded=True)["search"])
    labels = [row[0] for row in rows]
    assert any(label.startswith("first free slot, nearest 10 sites (the place page): 200 sites") for label in labels)
    assert any(label.startswith("first free slot, every site (unbounded") for label in labels)


def test_results_from_before_the_unbounded_search_was_kept_still_render():
    lines = report.verdicts(_results(unbounded=False))
    assert not any("all_sites_first_free" in line for line in lines)
    labels = [row[0] for row in report.search_rows(_results(unbounded=False)["search"])]
    assert not any("every site" in label for label in labels) and len(labels) == 4
