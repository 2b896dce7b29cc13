"""One patient never holds two active bookings that overlap in time, same slot or not, through
any door (service, partner API, public site, reschedule), and not by racing either: the check runs
under the patient's row lock (PostgreSQL) or the write lock (SQLite). On both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import select

from booking_web.messages import words
from booking_web.services import booking
from booking_web.services.booking import BookingOverlaps
from shared.errors import BookingError, RuleViolation
from shared.models import Appointment, AppointmentStatus, Slot
from shared.nhs_number import make_test_number
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import make_clinic, make_partner_key, make_patient, make_site
from tests.integration.test_concurrency import run_together
from tests.integration.test_public_booking import DAY_TEXT, NHS, walk_to_check
from tests.integration.public_pages import get, submit

DAY = dt.date(2026, 11, 25)  # Wednesday
ME = make_patient(3, nhs_number=make_test_number(6060), date_of_birth=dt.date(1970, 5, 17))


def slot_at(session, site_id: int, wall: dt.time) -> Slot:  # type: ignore[no-untyped-def]
    return session.exec(select(Slot).where(Slot.site_id == site_id,
                                           Slot.starts_at == local_to_utc(DAY, wall))).one()


@pytest.fixture
def two_sites(session):  # type: ignore[no-untyped-def]
    """Two sites with 09:00-12:00 adult clinics of 10-minute slots, 3 chairs each."""
    a, b = make_site(session), make_site(session)
    make_clinic(session, site=a, day=DAY)
    make_clinic(session, site=b, day=DAY)
    return a.id, b.id


def book(session, settings, slot: Slot, patient=ME, type_code: str = "adult"):  # type: ignore[no-untyped-def]
    return booking.book_appointment(session=session, slot_id=slot.id, type_code=type_code, patient=patient,
                                    now=NOW, settings=settings).appointment


def active(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(func.count()).select_from(Appointment).where(
        Appointment.status == AppointmentStatus.BOOKED)).one()


def test_the_same_slot_twice_is_refused_naming_the_date_and_time(session, settings, two_sites):
    site_a, _ = two_sites
    nine = slot_at(session, site_a, dt.time(9, 0))
    first = book(session, settings, nine)
    with pytest.raises(BookingOverlaps) as refused:
        book(session, settings, nine)
    message = words(refused.value)
    assert "9:00am on Wednesday 25 November 2026" in message
    assert first.reference not in message and "-" not in message.split("2026")[0]
    assert refused.value.code == "overlapping_booking"
    assert active(session) == 1
    session.refresh(nine)
    assert nine.booked == 1  # the refused booking's chair was given back


def test_the_same_time_at_another_site_is_refused(session, settings, two_sites):
    site_a, site_b = two_sites
    book(session, settings, slot_at(session, site_a, dt.time(10, 0)))
    with pytest.raises(BookingOverlaps):
        book(session, settings, slot_at(session, site_b, dt.time(10, 0)))
    assert active(session) == 1


def test_back_to_back_times_do_not_overlap(session, settings, two_sites):
    site_a, site_b = two_sites
    book(session, settings, slot_at(session, site_a, dt.time(9, 0)))  # 9:00-9:10
    book(session, settings, slot_at(session, site_b, dt.time(9, 10)))  # 9:10-9:20
    assert active(session) == 2


def test_a_long_test_overlaps_what_starts_while_the_patient_is_still_there(session, settings):
    """A glucose tolerance test lasts 2.5 hours: an adult test at 10:30 the same morning is
    inside it, one at 11:30 is after it."""
    gtt_site, other = make_site(session), make_site(session)
    make_clinic(session, site=gtt_site, day=DAY, start=dt.time(8, 30), end=dt.time(11, 0),
                slot_minutes=150, chairs=2, types=("gtt",))
    make_clinic(session, site=other, day=DAY, start=dt.time(10, 0), end=dt.time(12, 0))
    book(session, settings, slot_at(session, gtt_site.id, dt.time(8, 30)), type_code="gtt")  # until 11:00
    with pytest.raises(BookingOverlaps) as refused:
        book(session, settings, slot_at(session, other.id, dt.time(10, 30)))
    assert "8:30am on Wednesday 25 November 2026" in words(refused.value)
    book(session, settings, slot_at(session, other.id, dt.time(11, 0)))
    assert active(session) == 2


def test_a_cancelled_booking_does_not_block_its_time(session, settings, two_sites):
    site_a, _ = two_sites
    nine = slot_at(session, site_a, dt.time(9, 0))
    first = book(session, settings, nine)
    booking.cancel_appointment(session=session, reference=first.reference, date_of_birth=ME.date_of_birth, now=NOW)
    book(session, settings, nine)
    assert active(session) == 1


def test_another_patient_at_the_same_time_is_fine(session, settings, two_sites):
    site_a, _ = two_sites
    nine = slot_at(session, site_a, dt.time(9, 0))
    book(session, settings, nine)
    book(session, settings, nine, patient=make_patient(4))
    assert active(session) == 2


def test_a_reschedule_onto_another_booking_of_theirs_is_refused(session, settings, two_sites):
    site_a, site_b = two_sites
    book(session, settings, slot_at(session, site_a, dt.time(9, 0)))
    later = book(session, settings, slot_at(session, site_a, dt.time(11, 0)))
    for target in (slot_at(session, site_b, dt.time(9, 0)), slot_at(session, site_a, dt.time(9, 0))):
        with pytest.raises(BookingOverlaps):
            booking.reschedule_appointment(session=session, reference=later.reference,
                                           date_of_birth=ME.date_of_birth, new_slot_id=target.id,
                                           now=NOW, settings=settings)
    session.expire_all()
    assert session.get(Appointment, later.id).slot_id == slot_at(session, site_a, dt.time(11, 0)).id
    # Moving a booking by a few minutes, onto a time that overlaps only itself, is fine.
    moved = booking.reschedule_appointment(session=session, reference=later.reference, date_of_birth=ME.date_of_birth,
                                           new_slot_id=slot_at(session, site_b, dt.time(11, 0)).id,
                                           now=NOW, settings=settings)
    assert moved.site_id == site_b


def test_the_api_refuses_with_409_and_the_start_but_no_reference(client, session, two_sites):
    site_a, site_b = two_sites
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    body = {"appointment_type": "adult", "patient": {
        "nhs_number": ME.nhs_number, "given_name": "Jane", "family_name": "Testperson",
        "date_of_birth": "1970-05-17", "mobile": "07700 900 123"}}
    first = client.post("/api/v1/appointments", headers=auth, json={**body, "slot_id": slot_at(session, site_a, dt.time(9, 20)).id})
    again = client.post("/api/v1/appointments", headers=auth, json={**body, "slot_id": slot_at(session, site_b, dt.time(9, 20)).id})
    assert first.status_code == 201, first.json
    assert again.status_code == 409 and again.json["error"] == "overlapping_booking"
    assert again.json["existing_start"] == "2026-11-25T09:20:00+00:00"
    assert "9:20am on Wednesday 25 November 2026" in again.json["message"]
    assert first.json["reference"] not in str(again.json)
    assert active(session) == 1


def test_the_public_site_sends_the_patient_back_to_choose_another_time(client, session, settings, two_sites):
    """The time page names the booking they already have by its date and time only."""
    northgate = make_site(session, name="Northgate Health Centre", postcode="LS7 3AB",
                          latitude=53.8245, longitude=-1.5310)
    make_clinic(session, site=northgate, day=DAY, start=dt.time(9, 0), end=dt.time(12, 0), chairs=2)
    mine = make_patient(9, nhs_number=NHS, date_of_birth=dt.date(1970, 5, 17), given_name="Zoë",
                        family_name="O'Brien")  # as walk_to_check types them
    existing = book(session, settings, slot_at(session, two_sites[0], dt.time(9, 10)), patient=mine)
    walk_to_check(client, time="9:10am")
    response = submit(client, "/book/check")
    assert response.status_code == 302 and "/book/time" in response.headers["Location"]
    page = get(client, response.headers["Location"])
    [(href, message)] = page.summary_links
    assert href == "#slot_id"
    assert message.startswith("You already have a blood test booked at 9:10am on " + DAY_TEXT)
    assert existing.reference not in page.html
    assert active(session) == 1


def test_simultaneous_bookings_of_one_patient_at_one_time_make_one(engine, session, settings):
    """Six sites, the same 9:00 time, six requests for one patient at once: one booking."""
    site_ids = [make_clinic(session, day=DAY).site_id for _ in range(6)]
    slot_ids = [slot_at(session, s, dt.time(9, 0)).id for s in site_ids]
    jobs = [(lambda s, sid=sid: booking.book_appointment(session=s, slot_id=sid, type_code="adult", patient=ME,
                                                          now=NOW, settings=settings).appointment) for sid in slot_ids]
    results = run_together(engine, jobs, session)
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert all(isinstance(r, (Appointment, BookingOverlaps)) for r in results), results
    assert active(session) == 1
    assert sum(s.booked for s in session.exec(select(Slot).where(Slot.id.in_(slot_ids)))) == 1  # type: ignore[attr-defined]


def test_a_reschedule_racing_a_booking_onto_the_same_time_leaves_one(engine, session, settings, two_sites):
    """The patient moves their 11:00 booking to 9:00 at site A while a booking for 9:00 at site B
    is made for them at the same moment: exactly one of the two goes through, every time."""
    site_a, site_b = two_sites
    for round_ in range(4):
        wall = dt.time(9, 10 * round_)
        later = book(session, settings, slot_at(session, site_a, dt.time(11, 10 * round_)))
        to_a, to_b = slot_at(session, site_a, wall).id, slot_at(session, site_b, wall).id
        ref = later.reference
        jobs = [
            lambda s, ref=ref, to_a=to_a: booking.reschedule_appointment(
                session=s, reference=ref, date_of_birth=ME.date_of_birth, new_slot_id=to_a, now=NOW,
                settings=settings),
            lambda s, to_b=to_b: booking.book_appointment(session=s, slot_id=to_b, type_code="adult", patient=ME,
                                                          now=NOW, settings=settings).appointment,
        ]
        results = run_together(engine, jobs, session)
        assert sum(isinstance(r, Appointment) for r in results) == 1, results
        assert all(isinstance(r, (Appointment, RuleViolation)) for r in results), results
        at_wall = session.exec(select(func.count()).select_from(Appointment).where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at == local_to_utc(DAY, wall))).one()
        assert at_wall == 1
        # Tidy up for the next round: cancel whatever is at this time, keep the chairs honest.
        for appt in session.exec(select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)):
            try:
                booking.cancel_appointment(session=session, reference=appt.reference,
                                           date_of_birth=ME.date_of_birth, now=NOW)
            except BookingError:
                pass

