"""The waiting list as a patient meets it (issue 11 items 5 and 6, and 14's "no date of birth
again"): an offer for today says so, no offer too close to take, leaving the list from an offer
or from Manage, Manage showing the list, the moved booking's new QR code, letter and calendar
file, and only places that run the booking's type of test."""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar
from sqlmodel import select

from booking_web.notify.texts import render
from booking_web.services import booking
from booking_web.services.qr import read_qr_payload
from booking_web.waitlist.offers import offer_free_chairs
from booking_web.waitlist.service import join_waiting_list
from shared.models import Appointment, WaitlistEntry
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site, slots_of
from tests.integration.public_pages import get, parse, qr_text, submit
from tests.integration.test_waitlist import DOB, FRI, offers_to, token_of

TODAY = NOW.date()  # Monday 23 November 2026; NOW is 8:00am London


def _waiting(session, settings, *, site, slot_day=FRI, n=0):  # type: ignore[no-untyped-def]
    """A booking on Friday that waits for an earlier time at `site`."""
    friday = slots_of(session, make_clinic(session, site=site, day=slot_day, chairs=3))[0]
    appt = booking.book_appointment(session=session, slot_id=friday.id, type_code="adult",
                                    patient=make_patient(n), now=NOW, settings=settings).appointment
    join_waiting_list(session=session, reference=appt.reference, date_of_birth=DOB,
                      site_ids=[site.id], now=NOW)
    return appt


def test_an_offer_for_a_time_today_says_today_and_lasts_its_whole_lifetime(session, settings):
    site = make_site(session)
    appt = _waiting(session, settings, site=site)
    # Minimum notice 2 hours + offer lifetime 2 hours: nothing before 12:00 today is offered.
    too_soon = make_clinic(session, site=site, day=TODAY, start=dt.time(11, 50), end=dt.time(12, 0),
                           chairs=1)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0
    assert not offers_to(session, appt)
    assert slots_of(session, too_soon)[0].booked == 0
    make_clinic(session, site=site, day=TODAY, start=dt.time(12, 0), end=dt.time(12, 10), chairs=1)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [message] = offers_to(session, appt)
    assert message.expires_at == NOW + dt.timedelta(minutes=settings.waitlist_offer_minutes)
    text = render("waitlist_offer", message.personalisation)[1]
    assert "12:00pm today (Monday 23 November 2026) at" in text, text
    assert "before 10:00am today (Monday 23 November 2026)" in text, text


def test_the_offer_page_says_today(client, session, settings):
    site = make_site(session)
    appt = _waiting(session, settings, site=site)
    make_clinic(session, site=site, day=TODAY, start=dt.time(13, 0), end=dt.time(13, 10), chairs=1)
    offer_free_chairs(session=session, settings=settings, now=NOW)
    page = get(client, f"/waiting-list/offer/{token_of(offers_to(session, appt)[0])}")
    assert "1:00pm today (Monday 23 November 2026)" in page.text
    assert "This offer ends at 10:00am today (Monday 23 November 2026)" in page.text


def test_leave_the_waiting_list_from_the_link_in_an_offer(client, session, settings):
    site = make_site(session)
    appt = _waiting(session, settings, site=site)
    make_clinic(session, site=site, day=TODAY, start=dt.time(13, 0), end=dt.time(13, 10), chairs=1)
    offer_free_chairs(session=session, settings=settings, now=NOW)
    [message] = offers_to(session, appt)
    text = render("waitlist_offer", message.personalisation)[1]
    leave_url = message.personalisation["leave_url"]
    assert f"To leave the waiting list: {leave_url}" in text
    assert leave_url.startswith(settings.public_url + "/waiting-list/leave/")
    path = leave_url.removeprefix(settings.public_url)
    offer_page = get(client, f"/waiting-list/offer/{token_of(message)}")
    assert offer_page.link("leave the waiting list") == path
    page = get(client, path)
    assert page.h1 == "Leave the waiting list" and "Your booking stays as it is" in page.text
    left = submit(client, path, page=page)
    assert left.status_code == 200 and parse(left.data).h1 == "You have left the waiting list"
    session.expire_all()
    entry = session.exec(select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)).one()
    assert entry.status == "ended"
    # The open offer went with it, and no new one comes.
    assert "no longer available" in client.get(f"/waiting-list/offer/{token_of(message)}").text
    make_clinic(session, site=site, day=TODAY, start=dt.time(14, 0), end=dt.time(14, 10), chairs=1)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0
    assert client.get("/waiting-list/leave/forged-token").status_code == 404


def _open_on_manage(client, appt: Appointment) -> None:  # type: ignore[no-untyped-def]
    found = submit(client, "/manage", {"reference": appt.reference, "dob-day": "17",
                                       "dob-month": "5", "dob-year": "1970"})
    assert found.status_code == 302, parse(found.data).summary_texts


def test_manage_shows_the_waiting_list_and_leaves_it(client, session, settings):
    site = make_site(session, name="Seacroft Clinic")
    appt = _waiting(session, settings, site=site)
    _open_on_manage(client, appt)
    page = get(client, "/manage/booking")
    assert "You are on the waiting list" in page.text and "Seacroft Clinic" in page.text
    assert "Ask to be told if an earlier time comes free" not in page.text
    confirm = get(client, page.link("Leave the waiting list"))
    assert confirm.h1 == "Leave the waiting list"
    left = submit(client, page.link("Leave the waiting list"), page=confirm)
    assert parse(left.data).h1 == "You have left the waiting list"
    again = get(client, "/manage/booking")
    assert "You are on the waiting list" not in again.text
    assert "Ask to be told if an earlier time comes free" in again.text


def test_joining_from_manage_does_not_ask_the_date_of_birth_again(client, session, settings):
    site = make_site(session)
    friday = slots_of(session, make_clinic(session, site=site, day=FRI, chairs=3))[0]
    appt = booking.book_appointment(session=session, slot_id=friday.id, type_code="adult",
                                    patient=make_patient(3), now=NOW, settings=settings).appointment
    _open_on_manage(client, appt)
    link = get(client, "/manage/booking").link("Ask to be told if an earlier time comes free")
    straight = client.get(link)
    assert straight.status_code == 302 and straight.headers["Location"].endswith(
        "/waiting-list/sites")
    assert get(client, "/waiting-list/sites").h1 == "Where could you go for an earlier time?"
    # Another booking's reference is not opened by this browser's Manage session.
    other = client.get("/waiting-list/join?reference=ABC-DEF-GHJ")
    assert other.status_code == 200 and 'autocomplete="bday-day"' in other.text


def test_after_accepting_the_new_qr_letter_and_calendar_are_shown(client, session, settings):
    site = make_site(session, name="Seacroft Clinic")
    appt = _waiting(session, settings, site=site)
    make_clinic(session, site=site, day=TODAY, start=dt.time(13, 0), end=dt.time(13, 10), chairs=1)
    offer_free_chairs(session=session, settings=settings, now=NOW)
    token = token_of(offers_to(session, appt)[0])
    page = get(client, f"/waiting-list/offer/{token}")
    accepted = parse(submit(client, f"/waiting-list/offer/{token}", page=page).data)
    assert "Your appointment has moved" in accepted.text
    assert "Your old QR code no longer works" in accepted.text
    claim = read_qr_payload(secret=settings.secret_key, text=qr_text(accepted))
    session.expire_all()
    moved = session.get(Appointment, appt.id)
    assert (claim.reference, claim.day) == (appt.reference, TODAY)
    assert moved.version == claim.version
    ics = client.get(accepted.link("Add to your calendar"))
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert event.decoded("dtstart").date() == TODAY and "Seacroft Clinic" in str(event["location"])
    letter = client.get(accepted.link("appointment letter"))
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    # The link of an offer not accepted shows no documents.
    assert client.get(f"/waiting-list/offer/{token[:-2]}xx/calendar.ics").status_code == 404


def test_waiting_list_offers_only_places_that_run_the_test(client, session, settings):
    gtt_site = make_site(session, name="Glucose Centre", postcode="LS2 9JT")
    make_site(session, name="Adults Only Surgery", postcode="LS6 2AB")
    mornings = slots_of(session, make_clinic(session, site=gtt_site, day=FRI, start=dt.time(8, 0),
                                             end=dt.time(10, 30), slot_minutes=150, types=("gtt",)))
    appt = booking.book_appointment(session=session, slot_id=mornings[0].id, type_code="gtt",
                                    patient=make_patient(8), now=NOW, settings=settings).appointment
    page = submit(client, "/waiting-list/join", {"reference": appt.reference, "dob-day": "17",
                                                "dob-month": "5", "dob-year": "1970"})
    assert page.status_code == 302
    sites = get(client, "/waiting-list/sites")
    assert "Glucose Centre" in sites.text and "Adults Only Surgery" not in sites.text


def test_waiting_list_form_errors_answer_400(client, session, settings):
    page = submit(client, "/waiting-list/join", {"reference": "", "dob-day": "", "dob-month": "",
                                                "dob-year": ""})
    assert page.status_code == 400 and "Enter your booking reference" in parse(page.data).text


def test_messages_never_name_today_wrongly():
    from booking_web.waitlist.offers import on_day

    assert on_day(NOW.replace(hour=23, minute=59), now=NOW) == "today (Monday 23 November 2026)"
    assert on_day(NOW + dt.timedelta(days=1), now=NOW) == "tomorrow (Tuesday 24 November 2026)"
    assert on_day(NOW + dt.timedelta(days=2), now=NOW) == "on Wednesday 25 November 2026"
    assert re.fullmatch(r"on \w+ \d+ \w+ 2026", on_day(NOW + dt.timedelta(days=9), now=NOW))
