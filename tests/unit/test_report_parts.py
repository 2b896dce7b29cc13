"""The reports' pure parts: nearest-rank percentiles against the textbook definition, the chart
colours' contrast (WCAG), the charts' accessible names, the report form's scope rules, and CSV
values."""

from __future__ import annotations

import datetime as dt
import math
import random
import xml.etree.ElementTree as ET

import pytest

from booking_web.messages import field_words
from booking_web.reports import charts
from booking_web.reports.percentiles import nearest_rank
from booking_web.reports.scope import AHEAD_DAYS, parse_scope
from booking_web.reports.tables import count, minutes, percent, table
from booking_web.staff.forms import read_date
from shared.errors import ValidationFailed

SVG = "{http://www.w3.org/2000/svg}"


def test_percentiles_from_counts_equal_the_textbook_nearest_rank():
    rng = random.Random(3)
    for _ in range(300):
        values = [rng.randint(0, 40) for _ in range(rng.randint(1, 60))]
        counts: dict[int, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        ordered = sorted(values)
        for p in (1, 50, 90, 99, 100):
            assert nearest_rank(counts, p) == ordered[math.ceil(p / 100 * len(ordered)) - 1]
    assert nearest_rank({}, 50) is None
    assert nearest_rank({4: 1, 9: 1}, 50) == 4  # the lower of an even pair, by nearest rank


def test_chart_colours_pass_contrast():
    for _low, fill, ink in charts.BINS:
        assert charts.contrast(fill, ink) >= 4.5, fill  # the number in each heat-map square
    for line in (charts.BLUE, charts.GREY, charts.RED, charts.SECONDARY):
        assert charts.contrast(line, charts.WHITE) >= 3  # lines, bar edges and axis words on white
    assert charts.contrast(charts.SECONDARY, "#f0f4f5") >= 4.5  # axis words on the page's grey
    assert charts.contrast("#000000", "#ffffff") == pytest.approx(21)


def test_charts_are_images_named_by_their_title_and_summary():
    drawn = [
        charts.heat_map("h", "Title <h>", "Summary & more", charts.Grid(["Mon"], ["9am", "10am"], [[(85.0, "85%"), None]])),
        charts.stacked_bars("b", "Bars", "Bars summary", ["1 Nov", "2 Nov"], [("Attended", [3, 4]), ("DNA", [1, 0])]),
        charts.lines("l", "Lines", "Lines summary", ["9am", "10am"], [("Median", [5, None]), ("90th", [9, 12])], " min"),
    ]
    for svg in drawn:
        root = ET.fromstring(str(svg))  # well-formed, names escaped
        slug = root.get("aria-labelledby").split()[0].removesuffix("-title")  # type: ignore[union-attr]
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title").get("id") == f"{slug}-title"  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    heat = ET.fromstring(str(drawn[0]))
    assert heat.find(f"{SVG}title").text == "Title <h>"  # type: ignore[union-attr]
    words = [t.text for t in heat.iter(f"{SVG}text")]
    assert "85%" in words and "–" in words  # the number is written, an empty square says so


def _dates(**boxes: str):  # type: ignore[no-untyped-def]
    return {k: read_date(boxes, k, "The date") if any(key.startswith(k) for key in boxes) else None
            for k in ("from", "to")}


def test_the_report_scope_rules():
    today = dt.date(2026, 11, 23)
    default = parse_scope(site_values=[], first=None, last=None, known_sites={1}, today=today)
    assert (default.first, default.last, default.site_ids) == (dt.date(2026, 10, 26), dt.date(2026, 11, 22), ())
    d = _dates(**{"from-day": "1", "from-month": "nov", "from-year": "2026", "to-day": "3", "to-month": "11",
                  "to-year": "2026"})
    chosen = parse_scope(site_values=["2", "1", "2"], first=d["from"], last=d["to"], known_sites={1, 2}, today=today)
    assert (chosen.site_ids, chosen.first, chosen.last, chosen.days) == ((1, 2), dt.date(2026, 11, 1),
                                                                         dt.date(2026, 11, 3), 3)
    cases = [
        ({"site_values": ["3"]}, {"sites": "Choose sites from the list"}),
        ({"site_values": ["1e3"]}, {"sites": "Choose sites from the list"}),
        ({"first": d["from"]}, {"to-day": "Enter the last date"}),
        ({"first": d["to"], "last": d["from"]},
         {"to-day": "The last date must be the same as or after the first date"}),
        ({"first": read_date({"x-day": "1", "x-month": "1", "x-year": "2024"}, "x", "x"), "last": d["to"]},
         {"to-day": "Choose a period of up to 2 years"}),
        ({"first": d["from"], "last": read_date({"x-day": "1", "x-month": "3", "x-year": "2027"}, "x", "x")},
         {"to-day": f"Choose a last date up to {AHEAD_DAYS // 7} weeks from today"}),
    ]
    for given, errors in cases:
        args = {"site_values": [], "first": None, "last": None, **given}
        with pytest.raises(ValidationFailed) as raised:
            parse_scope(known_sites={1, 2}, today=today, **args)  # type: ignore[arg-type]
        assert field_words(raised.value) == errors, given
    assert AHEAD_DAYS >= 42  # as far ahead as the default booking horizon


def test_csv_writes_plain_values_and_empty_for_none():
    made = table("t", "T", ["Row", "Count", "Share", "Wait"],
                 [[count(5), count(5), percent(1, 3), minutes(None)],
                  [count(0), count(1234), percent(0, 0), minutes(12)]])
    assert made.csv().splitlines() == ["Row,Count,Share,Wait", "5,5,33.3,", "0,1234,,12"]
    assert [c.text for c in made.rows[1]] == ["0", "1,234", "–", "12 min"]
