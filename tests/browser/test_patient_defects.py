"""Defects a new user met on the patient pages (issue 11 items 5, 6, 7, 10, 14, 17), in a real
Chromium at 1280 and 390 px, each page checked by axe-core (WCAG 2.2 AA) and screenshotted."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services import availability, booking
from booking_web.waitlist.offers import offer_free_chairs
from booking_web.waitlist.service import join_waiting_list
from shared.models import OutboxMessage
from shared.references import format_reference
from tests.browser.pages import (
    book,
    expect_error,
    far_site,
    find_booking,
    heading,
    nothing,
    pick,
    proceed,
)
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["1280px", "390px"])
DOB = ("17", "5", "1970")


@WIDTHS
def test_a_glucose_tolerance_test_offers_only_places_that_run_one(site, width):
    page = site.open(width=width)
    page.goto("/book")
    pick(page, "Glucose tolerance test")
    proceed(page)
    page.get_by_label("What is your postcode?").fill("LS7 1AA")
    proceed(page)
    heading(page, "Where would you like to have your blood test?")
    site.audit(page, "glucose tolerance test places")
    # Of the four demo places only Riverside runs glucose tolerance tests.
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(1)
    expect(page.get_by_role("radio", name="Riverside Community Hospital")).to_be_visible()


@WIDTHS
def test_back_after_booking_says_you_have_booked(site, width):
    page = site.open(width=width)
    done = book(site, page, on_page=nothing)
    page.go_back()
    heading(page, "You have booked your blood test")
    expect(page.locator("main")).to_contain_text(done.reference)
    site.audit(page, "back after booking")
    page.get_by_role("button", name="Book another blood test").click()
    heading(page, "What type of blood test do you need?")


@WIDTHS
def test_the_confirmation_says_where_it_was_sent(site, width):
    page = site.open(width=width)
    book(site, page, on_page=nothing)
    expect(page.locator("main")).to_contain_text(
        "We have sent a text message to 07700 900982 with these details.")
    site.audit(page, "confirmation says where it was sent")
    page.get_by_role("link", name="change or cancel your appointment").click()
    heading(page, "Find your booking")
    reference = page.get_by_label("Booking reference").input_value()
    assert reference and len(reference) == 11, reference
    site.audit(page, "find your booking with the reference filled")


@WIDTHS
def test_error_pages_wear_the_sites_layout(site, live_server, width, monkeypatch):
    page = site.open(width=width)
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    heading(page, "Page not found")
    expect(page.locator("header")).to_contain_text("Book a blood test")
    site.audit(page, "public page not found")
    response = page.goto("/staff/no-such-page")
    assert response is not None and response.status == 404
    heading(page, "Page not found")
    expect(page.locator("header")).to_contain_text("Phlebo staff")
    site.audit(page, "staff page not found")

    def broken(**_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("SECRET-DETAIL")

    monkeypatch.setattr(availability, "appointment_types", broken)
    monkeypatch.setitem(live_server.app.config, "PROPAGATE_EXCEPTIONS", False)
    response = page.goto("/book/type")
    assert response is not None and response.status == 500
    heading(page, "Sorry, there is a problem with the service")
    expect(page.locator("body")).not_to_contain_text("SECRET-DETAIL")
    site.audit(page, "public fault")


@WIDTHS
def test_a_request_number_not_held_is_refused_with_what_one_looks_like(site, width):
    page = site.open(width=width)
    book(site, page, confirm=False, on_page=nothing)
    page.get_by_role("link", name="Change test request number").click()
    heading(page, "Do you have a test request number?")
    expect(page.locator("main")).to_contain_text("RQ and 8 numbers, like RQ00012345")
    page.get_by_label("Do you have a test request number? (optional)").fill("RQ 0000 0001")
    proceed(page)
    expect_error(page, "We could not find a test request with that number for you",
                 "request_number")
    site.audit(page, "request number not held")


_places = iter(range(1, 1000))


def _waiting_with_an_offer_today(server) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A place of its own with a booking on Friday, on the waiting list there, and an offer of
    a chair there this afternoon. Returns (reference, offer path)."""
    settings = server.app.extensions["phlebo"].settings
    place = far_site(server, f"Offer Clinic {next(_places)}")
    with server.session() as session:
        friday = make_clinic(session, site=place, day=NOW.date() + dt.timedelta(days=4))
        appt = booking.book_appointment(
            session=session, slot_id=slots_of(session, friday)[0].id, type_code="adult",
            patient=make_patient(800 + place.id), now=NOW, settings=settings).appointment  # type: ignore[operator]
        join_waiting_list(session=session, reference=appt.reference,
                          date_of_birth=dt.date(1970, 5, 17), site_ids=[place.id], now=NOW)  # type: ignore[list-item]
        make_clinic(session, site=place, day=NOW.date(), start=dt.time(13, 0),
                    end=dt.time(13, 10), chairs=1)
        offer_free_chairs(session=session, settings=settings, now=NOW)
        message = session.exec(select(OutboxMessage).where(
            OutboxMessage.template == "waitlist_offer",
            OutboxMessage.appointment_id == appt.id)).first()
        assert message is not None
    return format_reference(appt.reference), message.personalisation["offer_url"].split(
        "://", 1)[1].split("/", 1)[1]


@WIDTHS
def test_an_offer_today_then_accepting_shows_the_new_qr_code(site, live_server, width):
    reference, offer_path = _waiting_with_an_offer_today(live_server)
    page = site.open(width=width)
    page.goto("/" + offer_path)
    heading(page, "An earlier time is free")
    expect(page.locator("main")).to_contain_text("today (Monday 23 November 2026)")
    site.audit(page, "offer for today")
    proceed(page, "Accept the new time")
    heading(page, "Your appointment has moved")
    expect(page.locator("main")).to_contain_text("Your old QR code no longer works")
    expect(page.get_by_role("img", name=f"QR code for checking in to booking {reference}"))\
        .to_be_visible()
    expect(page.get_by_role("link", name="Print your appointment letter (PDF)")).to_be_visible()
    site.audit(page, "offer accepted")


@WIDTHS
def test_leave_the_waiting_list_from_an_offer_and_from_manage(site, live_server, width):
    reference, offer_path = _waiting_with_an_offer_today(live_server)
    page = site.open(width=width)
    find_booking(page, reference, DOB)
    heading(page, "Your blood test appointment")
    expect(page.locator("main")).to_contain_text("You are on the waiting list")
    site.audit(page, "manage shows the waiting list")
    page.goto("/" + offer_path)
    page.get_by_role("link", name="leave the waiting list").click()
    heading(page, "Leave the waiting list")
    site.audit(page, "leave the waiting list")
    proceed(page, "Leave the waiting list")
    heading(page, "You have left the waiting list")
    site.audit(page, "left the waiting list")
    page.goto("/manage/booking")
    heading(page, "Your blood test appointment")
    expect(page.locator("main")).not_to_contain_text("You are on the waiting list")
    page.get_by_role("link", name="Ask to be told if an earlier time comes free").click()
    heading(page, "Where could you go for an earlier time?")  # no date of birth asked again
    pick_all = page.get_by_role("checkbox")
    pick_all.first.check()
    proceed(page, "Join the waiting list")
    heading(page, "You are on the waiting list")
    page.goto("/manage/booking")
    page.get_by_role("link", name="Leave the waiting list").click()
    heading(page, "Leave the waiting list")
    site.audit(page, "leave the waiting list from manage")
