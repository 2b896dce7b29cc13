"""Find a patient in a real Chromium, with the keyboard alone, on a phone (375 px wide) and a
desktop (1280): sign in, open the page from the staff menu, a wrong NHS number (the error summary
takes the focus and its link leads back to the box, which kept what was typed), the patient by
NHS number typed with spaces, nobody found, the patient by booking reference, and today's
appointment opened from the result. Every state is screenshot and checked by axe-core (WCAG 2.2
AA); on the phone nothing scrolls sideways."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from booking_web.services import booking
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from shared.models import StaffAudit
from shared.nhs_number import format_nhs_number, make_test_number
from shared.references import format_reference
from tests.browser.pages import STAFF_PASSWORD, expect_error, far_site
from tests.browser.test_keyboard import Keyboard
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_staff, slots_of

TODAY = dt.date(2026, 11, 23)  # NOW's London day; NOW is 08:00
DOB = dt.date(1938, 7, 4)


@dataclass
class World:
    """A reception phlebotomist and a patient with bookings today, next week (one cancelled, one
    at another site), in October, and two GP requests."""

    username: str
    site_name: str
    nhs: str
    name: str  # as the staff pages write it: 'FAMILY, Given'
    today_reference: str
    cancelled_reference: str


def world(server, place: str, *, given: str, family: str, nhs_seed: int) -> World:  # type: ignore[no-untyped-def]
    """Everything on the live server, under names no other browser test uses."""
    site = far_site(server, f"{place} Find Test Clinic")
    elsewhere = far_site(server, f"{place} Find Test Outreach")
    settings = dataclasses.replace(server.app.extensions["phlebo"].settings, min_notice_minutes=0)
    nhs = make_test_number(nhs_seed)
    username = f"find-{place.lower()}-reception"
    patient = make_patient(0, nhs_number=nhs, given_name=given, family_name=family, date_of_birth=DOB)

    def book(session, site_id: int, day: dt.date, now: dt.datetime = NOW, request_number: str | None = None):  # type: ignore[no-untyped-def]
        clinic = make_clinic(session, site=site if site_id == site.id else elsewhere, day=day, start=dt.time(8),
                             end=dt.time(10), types=("adult",))
        return booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id,  # type: ignore[arg-type]
                                        type_code="adult", patient=patient, now=now, settings=settings,
                                        request_number=request_number).appointment

    with server.session() as session:
        make_staff(session, role="phlebotomist", username=username, site_id=site.id)
        seed_catalogue(session=session)
        first = create_request(session=session, nhs_number=nhs, tests=["FBC", "UE"], requester="Dr Keziah Pengelly",
                               api_key_id=None, now=NOW - dt.timedelta(days=9)).request_number
        create_request(session=session, nhs_number=nhs, tests=["HBA1C"], requester="Dr Keziah Pengelly",
                       api_key_id=None, now=NOW - dt.timedelta(days=2))
        october = dt.date(2026, 10, 12)
        book(session, site.id, october, now=dt.datetime(2026, 10, 9, 9, tzinfo=dt.UTC))
        today = book(session, site.id, TODAY, request_number=first)
        book(session, elsewhere.id, TODAY + dt.timedelta(days=7))  # type: ignore[arg-type]
        gone = book(session, site.id, TODAY + dt.timedelta(days=8))  # type: ignore[arg-type]
        booking.cancel_appointment(session=session, reference=gone.reference, date_of_birth=DOB, now=NOW)
    return World(username, site.name, nhs, f"{family.upper()}, {given}", today.reference, gone.reference)


def submit(page: Page) -> None:
    """Enter in the search box sends the form; wait for the answer."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def replace_search(page: Page, keys: Keyboard, text: str) -> None:
    """Tab to the box, select what it holds, type over it and send."""
    keys.arrive()
    keys.tab_to("#search")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    submit(page)


@pytest.mark.parametrize(("width", "place", "given", "family", "nhs_seed"), [
    (375, "Polperro", "Morwenna", "Trevithick-Loveday", 940_500),
    (1280, "Mousehole", "Jago", "Penrose-Kittow", 950_500),
])
def test_find_a_patient_with_the_keyboard_alone(site, live_server, width, place, given, family, nhs_seed):
    found = world(live_server, place, given=given, family=family, nhs_seed=nhs_seed)
    page = site.open(width=width)
    keys = Keyboard(page)
    page.goto("/staff/sign-in")
    keys.arrive()
    keys.type_into("#username", found.username)
    keys.type_into("#password", STAFF_PASSWORD)
    keys.press("button:Sign in", f"Today at {found.site_name}")
    keys.press("a:Find a patient", "Find a patient")
    expect(page.get_by_text("For example, 999 123 4567 or ABC-DEF-GHJ.")).to_be_visible()
    site.audit(page, f"find a patient {width}")

    # A digit wrong: the summary takes the focus, its link leads back to the box, which kept it.
    wrong = format_nhs_number(found.nhs[:9] + str((int(found.nhs[9]) + 1) % 10))
    keys.type_into("#search", wrong)
    submit(page)
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    expect_error(page, "This is not a valid NHS number", "search")
    expect(page.locator("#search")).to_have_value(wrong)
    site.audit(page, f"wrong NHS number {width}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=re.compile("^This is not a valid NHS number"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.press("Control+A")
    typed = f"{found.nhs[:3]} {found.nhs[3:6]} {found.nhs[6:]}"
    page.keyboard.type(typed)
    submit(page)

    result = page.locator("#result")
    expect(result.get_by_role("heading", level=2)).to_have_text(found.name)
    expect(result).to_contain_text("04-Jul-1938")
    expect(result).to_contain_text(format_nhs_number(found.nhs))
    upcoming = page.get_by_role("table", name="Upcoming appointments, soonest first")
    expect(upcoming.get_by_role("row")).to_have_count(4)  # the header and three appointments
    today_row = upcoming.get_by_role("row").filter(has_text=format_reference(found.today_reference))
    for shown in ("Today, Mon 23 Nov 2026, 08:00", found.site_name, "Full blood count, Urea and electrolytes",
                  "Booked", "Open today's appointment"):
        expect(today_row).to_contain_text(shown)
    expect(upcoming.get_by_role("row").filter(has_text=f"{place} Find Test Outreach")).to_contain_text("Booked")
    expect(upcoming.get_by_role("row").filter(has_text=format_reference(found.cancelled_reference))
           ).to_contain_text("Cancelled by the patient")
    expect(page.get_by_role("table", name="Past appointments, most recent first")).to_contain_text("Mon 12 Oct 2026")
    requests = page.get_by_role("table", name="Test requests, newest first")
    expect(requests.get_by_role("row")).to_have_count(3)
    expect(requests).to_contain_text("Waiting for booking")
    expect(page.locator("#search")).to_have_value(typed)
    site.audit(page, f"found by NHS number {width}")
    if width < 400:  # a phone: the tables stack, nothing scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    nobody = format_nhs_number(make_test_number(nhs_seed + 5_000))
    replace_search(page, keys, nobody)
    expect(page.locator("#result")).to_contain_text(f"Nobody with the NHS number {nobody} has booked")
    site.audit(page, f"nobody found {width}")

    replace_search(page, keys, format_reference(found.today_reference).lower().replace("-", " "))
    expect(result.get_by_role("heading", level=2)).to_have_text(found.name)
    site.audit(page, f"found by reference {width}")
    keys.arrive()
    link = page.get_by_role("link", name=re.compile("^Open today's appointment"))
    keys.press(link.evaluate("a => 'a:' + a.innerText.trim()"), found.name)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(format_nhs_number(found.nhs))
    site.shot(page, f"today's appointment from the search {width}")

    with live_server.session() as session:
        looks = session.exec(select(StaffAudit.action, StaffAudit.detail).where(
            StaffAudit.username == found.username).order_by(col(StaffAudit.id))).all()
    assert [tuple(r) for r in looks] == [
        ("view", "Find a patient by NHS number"), ("search", "Find a patient by NHS number: nobody found"),
        ("view", "Find a patient by booking reference"), ("view", "patient details")]
