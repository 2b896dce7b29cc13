"""The reports in a real browser: a manager chooses sites and dates with the keyboard alone, and
every figure on the page, every table's CSV, and the page after the nightly count equal the same
figures counted independently from the raw rows; axe finds nothing on the report and its error
state; the charts are looked at (screenshots in test-artifacts/browser/)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from playwright.sync_api import Page, expect

from booking_web.reports.settle import settle_reports
from booking_web.reports.tables import hour_words
from tests.browser.pages import error_summary, heading, staff_sign_in
from tests.browser.test_keyboard import Keyboard
from tests.conftest import NOW
from tests.factories import make_staff
from tests.report_world import build_world, expected_report

FIRST, LAST = dt.date(2026, 10, 19), dt.date(2026, 11, 20)  # holds the October clock change
CORNWALL = dict(address="1 Report Road, Truro", postcode="TR1 3LJ", latitude=50.2632, longitude=-5.0510)


@pytest.fixture(scope="module")
def world(live_server):  # type: ignore[no-untyped-def]
    """Three sites far from the patients' tests, with five weeks of history, and a manager."""
    with live_server.session() as session:
        made = build_world(session, seed=11, first=FIRST, days=(LAST - FIRST).days + 1, prefix="Browser report",
                           **CORNWALL)
        make_staff(session, role="manager", username="report-manager")
    return made


def _tables(page: Page) -> dict[str, list[list[str]]]:
    """Every table on the page by its CSV link's name: header row, then each row, as shown."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('table.phlebo-report-table')]
        .map(t => [t.querySelector('caption').id.replace('caption-', ''),
                   [...t.querySelectorAll('tr')].map(r => [...r.children].map(c => c.textContent.trim()))]))""")


def _number(text: str) -> object:
    """A shown value as the CSV writes it: '1,234' 1234, '6.5%' 6.5, '12 min' 12, '–' ''."""
    plain = re.sub(r"( min| days?|%|,)$", "", text.replace(",", ""))
    return "" if plain == "–" else plain


def _by_row(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


def _check_figures(page: Page, live_server, world) -> None:  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        want = expected_report(session, {s.id for s in world.sites}, FIRST, LAST)
    tables = _tables(page)
    o = want["outcomes"]
    key = _by_row(tables["key-figures"])
    assert [key[k][0] for k in ("Attended", "Did not attend (DNA)", "Cancelled", "Walk-ins",
                                "Still booked (to come, or not yet marked)")] == [
        f"{o[k]:,}" for k in ("attended", "dna", "cancelled", "walk_ins", "awaiting")]
    assert key["Bookings made"] == [f"{sum(want['made'].values()):,}"]
    days = _by_row(tables["attendance"])
    assert len(days) == (LAST - FIRST).days + 1
    for day, attended, dna in want["daily"]:
        assert days[f"{day:%a} {day.day} {day:%b}"][:2] == [f"{attended:,}", f"{dna:,}"], day
    sites = _by_row(tables["utilisation-by-site"])
    for site in world.sites:
        offered, booked, attended = want["by_site"][site.id]
        assert [sites[site.name][i] for i in (0, 1, 3)] == [f"{offered:,}", f"{booked:,}", f"{attended:,}"]
    waits = _by_row(tables["waits-by-hour"])
    for hour, (_n, median, p90) in want["waits_by_hour"]["to_call"].items():
        assert waits[f"{hour_words(hour)} to {hour_words(hour + 1)}"][1:3] == [f"{median} min", f"{p90} min"]
    labels = _by_row(tables["labels"])
    assert labels["Printed and confirmed by the printer"] == [f"{want['labels']['printed']:,}"]
    assert labels["Transfusion samples to hand-label at the chair"] == [f"{want['labels']['hand_labelled']:,}"]
    reminders = _by_row(tables["messages"])["Reminder"]
    assert reminders[:2] == [f"{want['messages']['reminder'].get('sent', 0):,}",
                             f"{want['messages']['reminder'].get('failed', 0):,}"]


def _check_csv(page: Page) -> None:
    links = page.locator("a[download]")
    assert links.count() == 11
    for slug, table in _tables(page).items():
        href = page.locator(f"a[href*='/staff/reports/{slug}.csv']").get_attribute("href")
        response = page.request.get(href or "")
        assert response.ok and response.headers["content-type"].startswith("text/csv"), slug
        rows = list(csv.reader(io.StringIO(response.text())))
        assert rows[0] == table[0] and len(rows) == len(table) > 1, slug
        for shown, written in zip(table[1:], rows[1:], strict=True):
            assert [str(_number(c)) for c in shown[1:]] == written[1:], (slug, shown, written)
            # Row headings as shown, but a day is written as a date a spreadsheet reads.
            assert written[0] == shown[0] or dt.date.fromisoformat(written[0]).strftime("%a %-d %b") == shown[0]


def test_a_manager_reports_with_the_keyboard_and_every_figure_is_right(site, live_server, world):
    page = site.open()
    staff_sign_in(page, "report-manager")
    heading(page, "Reports")  # a manager starts at the reports
    expect(page.get_by_role("navigation", name="Staff pages")).not_to_contain_text("Today")
    site.audit(page, "reports default")

    keys = Keyboard(page)
    keys.arrive()

    def then(target: str) -> None:  # Tab on from here to the next control wanted
        keys.tab_to(target)
        keys.order, keys.visited = keys.order[keys.order.index(target) + 1:], []

    for s in world.sites:  # tick the three sites with Space
        target = "#" + (page.locator(f"input[name=sites][value='{s.id}']").get_attribute("id") or "")
        then(target)
        page.keyboard.press("Space")
        expect(page.locator(target)).to_be_checked()
    for box, value in (("#from-day", "19"), ("#from-month", "10"), ("#from-year", "2026"),
                       ("#to-day", "20"), ("#to-month", "11"), ("#to-year", "2026")):
        then(box)
        page.keyboard.type(value)
    keys.press("button:Show report", "Reports")
    expect(page.locator(".phlebo-report-title")).to_contain_text(
        "Browser report site 1, Browser report site 2, Browser report site 3: Monday 19 October 2026 to "
        "Friday 20 November 2026")
    keys.arrive()  # both pages' h1 says Reports: take the report page's controls once it is here
    site.audit(page, "report three sites")

    # The long day-by-day table opens from its summary with Enter; its CSV link is next.
    keys.tab_to("summary:Show the table: attended and did not attend, by day (33 rows)")
    page.keyboard.press("Enter")
    expect(page.locator("#caption-attendance")).to_be_visible()
    site.audit(page, "report with the daily table open")
    for chart in ("chart-attendance", "chart-utilisation", "chart-waits"):
        svg = page.locator(f"svg[aria-labelledby^='{chart}']")
        expect(svg).to_have_attribute("role", "img")
        svg.screenshot(path=str(site.artifacts / f"{chart}.png"))
        assert len(page.locator(f"#{chart}-desc").text_content() or "") > 40  # its text summary
    _check_figures(page, live_server, world)
    _check_csv(page)

    # After the nightly count the same page says the same.
    before = _tables(page)
    with live_server.session() as session:
        done = settle_reports(session=session, now=NOW)
    assert done.settled_until == dt.date(2026, 11, 21)
    page.reload()
    expect(page.locator("main")).to_contain_text("Days up to 21 November 2026 are from the nightly count")
    assert _tables(page) == before


def test_report_choices_with_mistakes_are_explained(site, live_server, world):
    page = site.open()
    staff_sign_in(page, "report-manager")
    page.goto("/staff/reports?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=2026&sites=999999")
    assert error_summary(page) == ["Choose sites from the list", "The first date must be a real date"]
    site.audit(page, "report errors")
    page.goto("/staff/reports?from-day=2&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=2026")
    assert error_summary(page) == ["The last date must be the same as or after the first date"]
    response = page.request.get("/staff/reports/labels.csv?from-day=2&from-month=2&from-year=2026")
    assert response.status == 400 and "Enter the last date" in response.text()
    assert page.request.get("/staff/reports/nothing.csv").status == 404


def test_a_phlebotomist_cannot_see_the_reports(site, live_server):
    with live_server.session() as session:
        make_staff(session, role="phlebotomist", username="report-phleb", site_id=1)
    page = site.open()
    staff_sign_in(page, "report-phleb")
    expect(page.get_by_role("navigation", name="Staff pages")).not_to_contain_text("Reports")
    for path in ("/staff/reports", "/staff/reports/labels.csv"):
        response = page.goto(path) if path.endswith("reports") else page.request.get(path)
        assert response is not None and response.status == 403, path
