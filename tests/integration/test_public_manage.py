"""Finding, viewing, changing and cancelling a booking through the patient pages, on SQLite and
PostgreSQL: the lookup reveals nothing, is rate limited, and changes keep the reference."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from icalendar import Calendar
from sqlmodel import select

from booking_web.messages import words
from booking_web.services import booking, closures
from booking_web.services.qr import read_qr_payload
from booking_web.services.staff_audit import Actor
from shared.errors import problem
from shared.models import Appointment, AppointmentStatus, Slot
from shared.references import format_reference
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site
from tests.integration.public_pages import get, parse, pdf_text, qr_text, submit

DAY = dt.date(2026, 11, 25)
DOB = dt.date(1970, 5, 17)


@pytest.fixture
def booked(session, settings):  # type: ignore[no-untyped-def]
    """One booking at 9:10am at Northgate; Eastmoor has free times the next day."""
    northgate = make_site(
        session,
        name="Northgate Health Centre",
        postcode="LS7 3AB",
        latitude=53.8245,
        longitude=-1.5310,
    )
    eastmoor = make_site(
        session,
        name="Eastmoor Clinic",
        postcode="LS15 8EE",
        latitude=53.8065,
        longitude=-1.4505,
        access_notes="Bus 19 stops outside.",
    )
    make_clinic(session, site=northgate, day=DAY, start=dt.time(9, 0), end=dt.time(10, 0), chairs=1)
    make_clinic(
        session,
        site=eastmoor,
        day=DAY + dt.timedelta(days=1),
        start=dt.time(11, 0),
        end=dt.time(12, 0),
        chairs=1,
    )
    slot = _slot(session, northgate.id, DAY, dt.time(9, 10))
    appt = booking.book_appointment(
        session=session,
        slot_id=slot.id,
        type_code="adult",
        patient=make_patient(date_of_birth=DOB),
        now=NOW,
        settings=settings,
    ).appointment
    return {"appt": appt, "northgate": northgate, "eastmoor": eastmoor, "slot": slot}


def _slot(session, site_id: int, day: dt.date, wall: dt.time) -> Slot:  # type: ignore[no-untyped-def]
    return session.exec(
        select(Slot).where(Slot.site_id == site_id, Slot.starts_at == local_to_utc(day, wall))
    ).one()


def lookup(client, reference: str, dob: dt.date = DOB):  # type: ignore[no-untyped-def]
    """Fill in 'Find your booking'."""
    return submit(
        client,
        "/manage",
        {
            "reference": reference,
            "dob-day": str(dob.day),
            "dob-month": str(dob.month),
            "dob-year": str(dob.year),
        },
    )


def open_booking(client, appt: Appointment):  # type: ignore[no-untyped-def]
    """Look the booking up (with dashes and lower case, as a patient might type it)."""
    response = lookup(client, format_reference(appt.reference).lower())
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/booking")
    return get(client, "/manage/booking")


def _comparable(html: bytes) -> str:
    """A lookup page without what the patient typed and the per-request CSRF token."""
    text = html.decode()
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
    return re.sub(
        r'(id="(?:reference|dob-day|dob-month|dob-year)"[^>]*value=")[^"]*"', r'\1"', text
    )


def test_wrong_date_of_birth_looks_exactly_like_an_unknown_reference(client, booked):
    appt = booked["appt"]
    wrong_dob = lookup(client, appt.reference, dt.date(1970, 5, 18))
    unknown = lookup(client, "ABC-DEF-GHJ" if appt.reference != "ABCDEFGHJ" else "ABC-DEF-GHK")
    assert wrong_dob.status_code == unknown.status_code == 400
    page = parse(wrong_dob.data)
    assert page.title.startswith("Error: ")
    assert page.summary_links == [("#reference", words(problem("booking_not_found")))]
    assert _comparable(wrong_dob.data) == _comparable(unknown.data)
    assert (
        client.get("/manage/booking").headers["Location"].endswith("/manage")
    )  # nothing was opened


@pytest.mark.parametrize(
    "reference,dob,field,message",
    [
        ("", ("17", "5", "1970"), "#reference", "Enter your booking reference"),
        (
            "ABC",
            ("17", "5", "1970"),
            "#reference",
            "Your booking reference is 9 letters and numbers, like ABC-DEF-GHJ",
        ),
        ("ABC-DEF-GHJ", ("", "", ""), "#dob-day", "Enter your date of birth"),
        ("ABC-DEF-GHJ", ("1", "1", "2030"), "#dob-day", "Your date of birth must be in the past"),
    ],
)
def test_lookup_errors(client, booked, reference, dob, field, message):
    response = submit(
        client,
        "/manage",
        {"reference": reference, "dob-day": dob[0], "dob-month": dob[1], "dob-year": dob[2]},
    )
    page = parse(response.data)
    assert response.status_code == 400 and page.title.startswith("Error: ")
    assert (field, message) in page.summary_links
    assert message in page.field_errors.values()


def test_lookups_are_rate_limited_per_address(app, client, settings, booked):
    app.extensions["phlebo"].settings = dataclasses.replace(settings, lookup_limit_per_minute=3)
    for n in range(3):
        assert lookup(client, f"ABC-DEF-GH{n + 2}").status_code == 400
    response = lookup(client, booked["appt"].reference)  # even the right answer is refused now
    assert response.status_code == 429
    page = parse(response.data)
    assert page.title.startswith("Error: ")
    assert any("You have tried too many times" in t for t in page.summary_texts)


def test_lookups_are_rate_limited_per_reference(app, settings, booked):
    app.extensions["phlebo"].settings = dataclasses.replace(settings, lookup_limit_per_minute=2)
    reference = booked["appt"].reference
    for n in range(2):  # guesses from different addresses at the same reference
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        assert lookup(client, reference, dt.date(1980, 1, n + 1)).status_code == 400
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    assert lookup(client, reference).status_code == 429


def test_view_booking_shows_what_when_where_with_qr_letter_and_calendar(client, settings, booked):
    appt = booked["appt"]
    page = open_booking(client, appt)
    assert page.h1 == "Your blood test appointment"
    for shown in (
        format_reference(appt.reference),
        "Adult blood test",
        "Wednesday 25 November 2026",
        "9:10am",
        "Northgate Health Centre",
    ):
        assert shown in page.text
    assert (
        read_qr_payload(secret=settings.secret_key, text=qr_text(page)).reference == appt.reference
    )
    [event] = Calendar.from_ical(client.get(page.link("Add to your calendar")).data).walk("VEVENT")
    assert event.decoded("dtstart") == local_to_utc(DAY, dt.time(9, 10))
    letter = client.get(page.link("appointment letter")).data
    assert letter.startswith(b"%PDF") and format_reference(appt.reference).encode() in pdf_text(
        letter
    )


def test_a_booking_cancelled_because_the_clinic_closed_says_so_and_offers_rebooking(
    client, session, settings, booked
):
    closures.close_day(session=session, site_id=booked["northgate"].id, day=DAY,
                       reason="The building has no heating", actor=Actor(None, "ada", "Ada"),
                       now=NOW)
    page = open_booking(client, booked["appt"])
    assert "Your appointment was cancelled because the clinic closed" in page.text
    assert ("Northgate Health Centre is closed on Wednesday 25 November 2026: "
            "The building has no heating.") in page.text
    assert page.link("Book a new time") == "/book"
    assert "Change time or place" not in page.text and "Cancel this appointment" not in page.text
    # A patient's own cancellation does not blame the clinic.
    other = booking.book_appointment(
        session=session, slot_id=_slot(session, booked["eastmoor"].id, DAY + dt.timedelta(days=1),
                                       dt.time(11, 0)).id,
        type_code="adult", patient=make_patient(7, date_of_birth=DOB), now=NOW, settings=settings).appointment
    booking.cancel_appointment(session=session, reference=other.reference, date_of_birth=DOB,
                               now=NOW)
    page = open_booking(client, other)
    assert "This appointment has been cancelled." in page.text
    assert "clinic closed" not in page.text


def test_change_to_another_site_keeps_the_reference(client, session, booked):
    appt = booked["appt"]
    page = open_booking(client, appt)
    start = client.get(page.link("Change time or place"))
    assert start.headers["Location"].endswith("/manage/change/place")
    place = get(client, "/manage/change/place")
    assert place.h1 == "Where would you like to have your blood test?"
    assert [
        checked for _v, label, checked in place.radios["site_id"] if label.startswith("Northgate")
    ] == [True]
    assert "Your appointment is here now" in place.text and "miles away" not in place.text
    response = submit(
        client, "/manage/change/place", {"site_id": place.radio_value("site_id", "Eastmoor Clinic")}
    )
    assert response.headers["Location"].endswith("/manage/change/date")
    dates = get(client, "/manage/change/date")
    response = submit(
        client, "/manage/change/date", {"date": dates.radio_value("date", "Thursday 26 November")}
    )
    times = get(client, response.headers["Location"])
    response = submit(
        client,
        "/manage/change/time",
        {"slot_id": times.radio_value("slot_id", "11:20am")},
        page=times,
    )
    assert response.headers["Location"].endswith("/manage/change/check")
    check = get(client, "/manage/change/check")
    assert "Eastmoor Clinic" in check.text and "11:20am" in check.text
    assert "This replaces your appointment at 9:10am on Wednesday 25 November 2026" in check.text
    response = submit(client, "/manage/change/check", page=check)
    assert response.headers["Location"].endswith("/manage/booking")
    done = get(client, "/manage/booking")
    assert "Your appointment has been changed" in done.text
    assert f"Your booking reference is still {format_reference(appt.reference)}" in done.text
    session.expire_all()
    moved = session.exec(select(Appointment)).one()
    assert moved.reference == appt.reference and moved.site_id == booked["eastmoor"].id
    assert session.get(Slot, booked["slot"].id).booked == 0
    new_slot = _slot(session, booked["eastmoor"].id, DAY + dt.timedelta(days=1), dt.time(11, 20))
    assert new_slot.booked == 1


def test_change_when_the_new_time_was_just_taken(client, session, settings, booked):
    open_booking(client, booked["appt"])
    client.get("/manage/change")
    place = get(client, "/manage/change/place")
    submit(
        client,
        "/manage/change/place",
        {"site_id": place.radio_value("site_id", "Eastmoor")},
        page=place,
    )
    dates = get(client, "/manage/change/date")
    submit(
        client,
        "/manage/change/date",
        {"date": dates.radio_value("date", "26 November")},
        page=dates,
    )
    times = get(client, "/manage/change/time")
    submit(
        client,
        "/manage/change/time",
        {"slot_id": times.radio_value("slot_id", "11:20am")},
        page=times,
    )
    check = get(client, "/manage/change/check")
    taken = _slot(session, booked["eastmoor"].id, DAY + dt.timedelta(days=1), dt.time(11, 20))
    booking.book_appointment(
        session=session,
        slot_id=taken.id,
        type_code="adult",
        patient=make_patient(9),
        now=NOW,
        settings=settings,
    )
    response = submit(client, "/manage/change/check", page=check)
    assert response.headers["Location"].endswith("/manage/change/time")
    page = get(client, "/manage/change/time")
    assert page.title.startswith("Error: ")
    assert (
        "#slot_id",
        "Sorry, that time has just been taken. Select another time.",
    ) in page.summary_links
    session.expire_all()
    assert (
        session.exec(select(Appointment).where(Appointment.reference == booked["appt"].reference))
        .one()
        .slot_id
        == booked["slot"].id
    )


def test_cancel_frees_the_chair(client, session, settings, booked):
    page = open_booking(client, booked["appt"])
    confirm = get(client, page.link("Cancel this appointment"))
    assert confirm.h1 == "Are you sure you want to cancel your appointment?"
    response = submit(client, "/manage/cancel", page=confirm)
    assert response.headers["Location"].endswith("/manage/cancelled")
    done = get(client, "/manage/cancelled")
    assert done.h1 == "Your appointment has been cancelled"
    session.expire_all()
    assert session.exec(select(Appointment)).one().status == AppointmentStatus.CANCELLED
    assert session.get(Slot, booked["slot"].id).booked == 0
    # The chair can be booked again at once (the clinic had only one).
    again = booking.book_appointment(
        session=session,
        slot_id=booked["slot"].id,
        type_code="adult",
        patient=make_patient(5),
        now=NOW,
        settings=settings,
    ).appointment
    assert again.status == AppointmentStatus.BOOKED
    view = get(client, "/manage/booking")
    assert "Cancelled" in view.text and "Change time or place" not in view.text


def test_open_booking_is_forgotten_after_fifteen_idle_minutes(app, client, booked):
    open_booking(client, booked["appt"])
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=16)
    response = client.get("/manage/booking")
    assert response.headers["Location"].endswith("/manage")
    page = get(client, "/manage")
    assert "we closed your booking after 15 minutes" in page.text


def test_manage_pages_need_a_looked_up_booking(client, booked):
    for url in (
        "/manage/booking",
        "/manage/change",
        "/manage/change/place",
        "/manage/change/check",
        "/manage/cancel",
        "/manage/cancelled",
        "/manage/booking/letter.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/manage"), url


def test_cancel_without_csrf_token_is_refused(app, client, session, booked):
    app.config["WTF_CSRF_ENABLED"] = True
    open_booking(client, booked["appt"])
    assert client.post("/manage/cancel").status_code == 400
    session.expire_all()
    assert session.exec(select(Appointment)).one().status == AppointmentStatus.BOOKED
