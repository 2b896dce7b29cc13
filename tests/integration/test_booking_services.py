"""Booking rules through the real services on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlmodel import select

from booking_web.messages import words
from booking_web.services import availability, booking
from shared.errors import NotFound, RuleViolation, SlotFull
from shared.models import Appointment, AppointmentStatus, Slot
from shared.timeutil import local_to_utc, to_local
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site, slots_of

DAY = dt.date(2026, 11, 25)  # Wednesday, two days after NOW


def test_book_claims_one_chair_and_keeps_patient(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=2)
    slot = slots_of(session, clinic)[0]
    appt = booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(),
                                    now=NOW, settings=settings).appointment
    session.refresh(slot)
    assert slot.booked == 1
    assert appt.status == AppointmentStatus.BOOKED and len(appt.reference) == 9
    found = booking.find_appointment(session=session, reference=appt.reference, date_of_birth=dt.date(1970, 5, 17))
    assert found.id == appt.id


def test_wrong_date_of_birth_is_indistinguishable_from_unknown_reference(session, settings):
    clinic = make_clinic(session, day=DAY)
    appt = booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                                    patient=make_patient(), now=NOW, settings=settings).appointment
    with pytest.raises(NotFound) as wrong_dob:
        booking.find_appointment(session=session, reference=appt.reference, date_of_birth=dt.date(1970, 5, 18))
    with pytest.raises(NotFound) as unknown:
        booking.find_appointment(session=session, reference="ABCABCABC", date_of_birth=dt.date(1970, 5, 17))
    assert wrong_dob.value.problem == unknown.value.problem and wrong_dob.value.code == unknown.value.code


def test_full_slot_refused_and_nothing_changes(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=1)
    slot = slots_of(session, clinic)[0]
    booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(1), now=NOW,
                             settings=settings)
    with pytest.raises(SlotFull):
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(2),
                                 now=NOW, settings=settings)
    assert len(session.exec(select(Appointment)).all()) == 1


@pytest.mark.parametrize("type_code,dob,start,code", [
    ("adult", dt.date(2015, 1, 1), dt.time(9, 0), "age"),
    ("fasting", dt.date(1970, 1, 1), dt.time(10, 30), "wrong_type"),
    ("gtt", dt.date(1970, 1, 1), dt.time(9, 0), "wrong_type"),  # not offered by this clinic
    ("child", dt.date(2020, 1, 1), dt.time(9, 0), "wrong_type"),  # not a paediatric site
])
def test_type_rules(session, settings, type_code, dob, start, code):
    clinic = make_clinic(session, day=DAY, start=start, end=dt.time(12, 0))
    with pytest.raises(RuleViolation) as info:
        booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code=type_code,
                                 patient=make_patient(date_of_birth=dob),
                                 now=NOW, settings=settings)
    assert info.value.code == code and words(info.value)


def test_notice_and_horizon(session, settings):
    soon = make_clinic(session, day=NOW.date(), start=dt.time(9, 0), end=dt.time(10, 0))
    far = make_clinic(session, day=NOW.date() + dt.timedelta(days=50))
    for clinic, code in ((soon, "too_soon"), (far, "too_far")):
        with pytest.raises(RuleViolation) as info:
            booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                                     patient=make_patient(), now=NOW, settings=settings)
        assert info.value.code == code


def test_at_most_three_active_bookings_per_nhs_number(session, settings):
    clinic = make_clinic(session, day=DAY)
    slots = slots_of(session, clinic)
    for slot in slots[:3]:
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(),
                                 now=NOW, settings=settings)
    with pytest.raises(RuleViolation) as info:
        booking.book_appointment(session=session, slot_id=slots[3].id, type_code="adult", patient=make_patient(),
                                 now=NOW, settings=settings)
    assert info.value.code == "too_many_bookings"
    assert slots[3].booked == 0


def test_same_nhs_number_with_other_date_of_birth_is_refused(session, settings):
    clinic = make_clinic(session, day=DAY)
    slots = slots_of(session, clinic)
    booking.book_appointment(session=session, slot_id=slots[0].id, type_code="adult", patient=make_patient(),
                             now=NOW, settings=settings)
    with pytest.raises(RuleViolation) as info:
        booking.book_appointment(session=session, slot_id=slots[1].id, type_code="adult",
                                 patient=make_patient(date_of_birth=dt.date(1980, 1, 1)), now=NOW, settings=settings)
    assert info.value.code == "identity_mismatch"


def test_reschedule_keeps_reference_moves_chairs_across_sites(session, settings):
    a = make_clinic(session, day=DAY, chairs=1)
    b = make_clinic(session, site=make_site(session), day=DAY + dt.timedelta(days=1), chairs=1)
    old, new = slots_of(session, a)[0], slots_of(session, b)[2]
    appt = booking.book_appointment(session=session, slot_id=old.id, type_code="adult", patient=make_patient(),
                                    now=NOW, settings=settings).appointment
    moved = booking.reschedule_appointment(session=session, reference=appt.reference,
                                           date_of_birth=dt.date(1970, 5, 17), new_slot_id=new.id, now=NOW,
                                           settings=settings)
    session.refresh(old), session.refresh(new)
    assert moved.reference == appt.reference and moved.slot_id == new.id and moved.site_id == new.site_id
    assert (old.booked, new.booked) == (0, 1)


def test_reschedule_to_full_slot_changes_nothing(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=1)
    s0, s1 = slots_of(session, clinic)[:2]
    mine = booking.book_appointment(session=session, slot_id=s0.id, type_code="adult", patient=make_patient(1),
                                    now=NOW, settings=settings).appointment
    booking.book_appointment(session=session, slot_id=s1.id, type_code="adult", patient=make_patient(2), now=NOW,
                             settings=settings)
    with pytest.raises(SlotFull):
        booking.reschedule_appointment(session=session, reference=mine.reference, date_of_birth=dt.date(1970, 5, 17),
                                       new_slot_id=s1.id, now=NOW, settings=settings)
    session.refresh(s0), session.refresh(s1), session.refresh(mine)
    assert (s0.booked, s1.booked, mine.slot_id) == (1, 1, s0.id)


def test_cancel_frees_the_chair_at_once_and_twice_is_harmless(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=1)
    slot = slots_of(session, clinic)[0]
    appt = booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(1),
                                    now=NOW, settings=settings).appointment
    for _ in range(2):
        done = booking.cancel_appointment(session=session, reference=appt.reference,
                                          date_of_birth=dt.date(1970, 5, 17), now=NOW)
        assert done.status == AppointmentStatus.CANCELLED
    session.refresh(slot)
    assert slot.booked == 0
    booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(2), now=NOW,
                             settings=settings)


@pytest.mark.parametrize("day", [dt.date(2027, 3, 28), dt.date(2026, 10, 25), dt.date(2027, 10, 31)])
def test_clock_change_sundays_show_and_book_wall_clock_times(session, settings, day):
    now = local_to_utc(day - dt.timedelta(days=3), dt.time(8, 0))
    clinic = make_clinic(session, day=day, start=dt.time(7, 30), end=dt.time(9, 0), slot_minutes=30)
    slots = availability.free_slots(session=session, site_id=clinic.site_id, day=day, type_code="adult", now=now,
                                    settings=settings)
    assert [to_local(s.starts_at).strftime("%H:%M") for s in slots] == ["07:30", "08:00", "08:30"]
    appt = booking.book_appointment(session=session, slot_id=slots[1].slot_id, type_code="adult",
                                    patient=make_patient(), now=now, settings=settings).appointment
    assert to_local(appt.starts_at).strftime("%H:%M") == "08:00"
    assert availability.free_dates(session=session, site_id=clinic.site_id, type_code="adult", now=now,
                                   settings=settings) == [day]


def test_free_dates_skip_full_and_closed_days(session, settings):
    site = make_site(session)
    full = make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(9, 10), chairs=1)
    make_clinic(session, site=site, day=DAY + dt.timedelta(days=1))
    booking.book_appointment(session=session, slot_id=slots_of(session, full)[0].id, type_code="adult",
                             patient=make_patient(), now=NOW, settings=settings)
    days = availability.free_dates(session=session, site_id=site.id, type_code="adult", now=NOW, settings=settings)
    assert days == [DAY + dt.timedelta(days=1)]
    assert session.exec(select(Slot).where(Slot.session_id == full.id)).one().booked == 1
