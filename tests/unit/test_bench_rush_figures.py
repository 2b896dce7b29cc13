"""The rush's figures: a booking told in GET /api/v1/sites requests' worth of CPU (issue 19's
own measure), from the CPU each run cost, not from the rates the load generator's pace moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import rush_rows
from bench.rush import _figures


def _result(*, sites_requests: int, sites_web_s: float, sites_db_s: float, booked: int, requests: int,
            web_s: float, db_s: float) -> dict[str, Any]:
    return {
        "ceiling_http": {"requests": sites_requests, "requests_per_s": sites_requests / 10.0},
        "ceiling_cpu_s": {"web_workers": sites_web_s, "database_server": sites_db_s},
        "ceiling_inserts": {"rows_per_s": 1000.0},
        "rush": {"booked": booked, "requests": requests, "booking_window_s": 10.0, "elapsed_s": 10.0,
                 "latency": {}, "statuses": {}, "errors": {}, "generator_cpu_cores": 0.1},
        "cpu_s": {"web_workers": web_s, "database_server": db_s},
        "capacity": {"overbooked_slots": 0, "counter_over_capacity": 0, "counter_mismatches": 0,
                     "appointments": booked},
        "memory_after_rush": {"max_hwm_mib": 100.0},
    }


def test_a_booking_is_told_in_sites_requests_of_web_and_database_cpu():
    # GET /sites: 2,000 requests for 1.6 s web + 0.4 s database = 1 ms each; bookings: 500 for
    # 2.0 s web + 0.5 s database = 5 ms each, so a booking costs five GET /sites requests.
    figures = _figures(_result(sites_requests=2000, sites_web_s=1.6, sites_db_s=0.4, booked=500,
                               requests=1350, web_s=2.0, db_s=0.5))
    assert figures["cpu_ms_per_sites_request"] == 1.0
    assert figures["booking_in_sites_requests"] == 5.0
    assert figures["requests_per_booking"] == 2.7


def test_an_old_result_without_the_ceilings_cpu_has_no_such_figure():
    result = _result(sites_requests=2000, sites_web_s=1.6, sites_db_s=0.4, booked=500, requests=1350,
                     web_s=2.0, db_s=0.5)
    del result["ceiling_cpu_s"]
    figures = _figures(result)
    assert figures["booking_in_sites_requests"] is None and figures["web_cpu_ms_per_booking"] == 4.0


def test_the_report_shows_a_dash_for_figures_an_older_run_did_not_have():
    """`--only search` merges the last rush into the report: one from before these figures (as
    session 4's results.json, kept here) must still print (it raised KeyError)."""
    older = json.loads((Path(__file__).parent.parent / "data" / "bench" / "rush-session4.json").read_text())
    rows = {label: (sqlite, pg) for label, sqlite, pg, _target in rush_rows(older)}
    assert rows["a booking's CPU in GET /sites requests"] == ("-", "-")
    assert rows["bookings/s / HTTP ceiling"] == ("0.159", "0.183")
