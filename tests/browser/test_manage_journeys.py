"""Finding, changing and cancelling a booking in a real browser, with every error state on the
way, each checked by axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.messages import words
from booking_web.services.booking import book_appointment
from booking_web.services.closures import close_day
from booking_web.services.staff_audit import Actor
from shared.errors import problem
from shared.models import Appointment, AppointmentStatus
from shared.models import Site as SiteRow
from shared.references import format_reference, normalise_reference
from tests.browser.pages import (
    book_directly,
    error_summary,
    expect_error,
    far_site,
    fill_slot,
    find_booking,
    heading,
    pick,
    proceed,
)
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of

DOB = ("17", "5", "1970")


def _lookup(page, reference: str, dob: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Booking reference").fill(reference)
    for label, value in zip(("Day", "Month", "Year"), dob, strict=True):
        page.get_by_label(label, exact=True).fill(value)
    proceed(page, "Find booking")


def test_find_booking_errors(site, live_server):
    reference = book_directly(live_server, site_name="Northgate Health Centre", day_index=4)
    page = site.open()
    page.goto("/manage")
    heading(page, "Find your booking")
    site.audit(page, "find your booking")
    for ref, dob, message, field_id in [
        ("", ("", "", ""), "Enter your booking reference", "reference"),
        ("ABC", DOB, "Your booking reference is 9 letters and numbers, like ABC-DEF-GHJ",
         "reference"),
        (reference, ("17", "", "1970"), "Your date of birth must include a month", "dob-month"),
        (reference, ("1", "1", "2030"), "Your date of birth must be in the past", "dob-day"),
        (reference, ("18", "5", "1970"), words(problem("booking_not_found")), "reference"),
    ]:
        _lookup(page, ref, dob)
        expect_error(page, message, field_id)
        if not ref:
            expect_error(page, "Enter your date of birth", "dob-day")
        site.audit(page, f"find your booking error {message}")
    live_server.set(lookup_limit_per_minute=0)
    _lookup(page, reference, DOB)
    assert any("You have tried too many times" in t for t in error_summary(page))
    site.audit(page, "find your booking - too many tries")


def test_view_change_and_cancel(site, live_server):
    reference = book_directly(live_server, site_name="Northgate Health Centre", day_index=4)
    page = site.open()
    find_booking(page, reference.lower(), DOB)  # as a patient might type it
    heading(page, "Your blood test appointment")
    expect(page.locator("main")).to_contain_text(reference)
    site.audit(page, "your appointment")

    page.get_by_role("button", name="Change time or place").click()
    heading(page, "Where would you like to have your blood test?")
    expect(page.get_by_role("radio", name="Northgate Health Centre")).to_be_checked()
    site.audit(page, "change place")
    pick(page, "Eastmoor Clinic")
    proceed(page)
    heading(page, "What day would you like to come?")
    proceed(page)
    expect_error(page, "Select a date", "date")
    site.audit(page, "change date error")
    pick(page)
    proceed(page)
    heading(page, "What time would you like to come?")
    proceed(page)
    expect_error(page, "Select a time", "slot_id")
    site.audit(page, "change time error")
    taken = int(pick(page))
    proceed(page)
    heading(page, "Check your new appointment")
    site.audit(page, "check your new appointment")

    fill_slot(live_server, taken)  # someone else takes it while the patient reads
    proceed(page, "Confirm new appointment")
    heading(page, "What time would you like to come?")
    expect_error(page, "Sorry, that time has just been taken. Select another time.", "slot_id")
    site.audit(page, "change time - taken meanwhile")
    new_slot = int(pick(page))
    proceed(page)
    heading(page, "Check your new appointment")
    proceed(page, "Confirm new appointment")
    heading(page, "Your blood test appointment")
    expect(page.get_by_role("alert")).to_contain_text("Your appointment has been changed")
    expect(page.locator("main")).to_contain_text(f"Your booking reference is still {reference}")
    site.audit(page, "your appointment - changed")

    page.get_by_role("link", name="Cancel this appointment").click()
    heading(page, "Are you sure you want to cancel your appointment?")
    site.audit(page, "cancel")
    proceed(page, "Yes, cancel appointment")
    heading(page, "Your appointment has been cancelled")
    site.audit(page, "cancelled")
    page.goto("/manage/booking")
    expect(page.locator("main")).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Change time or place")).to_have_count(0)
    site.audit(page, "your appointment - cancelled")

    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(
            Appointment.reference == normalise_reference(reference))).one()
        eastmoor = session.exec(select(SiteRow).where(SiteRow.name == "Eastmoor Clinic")).one()
    assert (appt.status, appt.slot_id, appt.site_id) == (
        AppointmentStatus.CANCELLED, new_slot, eastmoor.id)

    # Left open for 16 minutes: the booking is closed, and the lookup page says why.
    live_server.app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=16)
    page.goto("/manage/booking")
    heading(page, "Find your booking")
    assert any("we closed your booking after 15 minutes" in t for t in error_summary(page))
    site.audit(page, "find your booking - closed after 15 minutes")


def test_a_patient_whose_clinic_closed_is_told_why_and_can_book_again(site, live_server):
    """Issue 11, item 2: on a phone, the Manage page says the clinic closed, why, and offers a
    new time (the booking is at a Cornish staff-test site no other test books)."""
    place = far_site(live_server, "Falmouth Closure Test Clinic")
    day = dt.date(2026, 12, 2)
    settings = live_server.app.extensions["phlebo"].settings
    with live_server.session() as session:
        clinic = make_clinic(session, site=place, day=day, types=("adult",))
        appt = book_appointment(session=session, slot_id=slots_of(session, clinic)[1].id,  # type: ignore[arg-type]
                                type_code="adult", now=NOW, settings=settings,
                                patient=make_patient(41, date_of_birth=dt.date(1970, 5, 17))).appointment
        close_day(session=session, site_id=place.id, day=day, now=NOW,  # type: ignore[arg-type]
                  reason="The building has no heating", actor=Actor(None, "ada", "Ada"))
    page = site.open(width=390, height=844)
    find_booking(page, format_reference(appt.reference), DOB)
    heading(page, "Your blood test appointment")
    banner = page.get_by_role("region", name="Important")
    expect(banner).to_contain_text("Your appointment was cancelled because the clinic closed")
    expect(banner).to_contain_text("Falmouth Closure Test Clinic is closed on Wednesday 2 December "
                                   "2026: The building has no heating.")
    expect(page.get_by_role("button", name="Change time or place")).to_have_count(0)
    site.audit(page, "manage, clinic closed, phone")
    page.get_by_role("button", name="Book a new time").click()
    heading(page, "What type of blood test do you need?")
