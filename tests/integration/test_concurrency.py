"""Capacity is enforced by the database: many simultaneous requests, real threads, real DBs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, select

from booking_web.services import booking
from shared.errors import BookingError, SlotFull
from shared.models import Appointment, AppointmentStatus, Slot
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.threads import race

DAY = dt.date(2026, 11, 25)
DOB = dt.date(1970, 5, 17)


def run_together(engine, jobs: list[Callable[[Session], object]], main: Session) -> list[object]:  # type: ignore[no-untyped-def]
    """Run each job in its own thread and session, released at the same moment. The test's own
    session ends its transaction first: on SQLite an open transaction holds the write lock."""
    main.rollback()

    def worker(i: int) -> object:
        with Session(engine, expire_on_commit=False) as s:
            return jobs[i](s)

    results = race(len(jobs), worker)
    main.expire_all()  # what the test reads next must come from the database, not its identity map
    return results


def outcome(result: object) -> str:
    if isinstance(result, Appointment):
        return "booked"
    if isinstance(result, SlotFull):
        return "full"
    return f"unexpected: {result!r}"


def test_fifty_simultaneous_bookings_for_three_chairs(engine, session, settings):
    slot = slots_of(session, make_clinic(session, day=DAY, chairs=3))[0]
    slot_id = slot.id  # plain values only: ORM objects of the test's session must not cross threads
    jobs = [
        (lambda s, i=i: booking.book_appointment(session=s, slot_id=slot_id, type_code="adult",
                                                  patient=make_patient(i), now=NOW, settings=settings).appointment)
        for i in range(52)
    ]
    counts = Counter(outcome(r) for r in run_together(engine, jobs, session))
    assert counts == {"booked": 3, "full": 49}
    session.refresh(slot)
    assert slot.booked == 3
    stored = session.exec(select(func.count()).select_from(Appointment).where(Appointment.slot_id == slot.id)).one()
    assert stored == 3


def test_simultaneous_reschedules_into_one_free_chair(engine, session, settings):
    clinic = make_clinic(session, day=DAY, chairs=1)
    slots = slots_of(session, clinic)
    target = slots[-1]
    target_id = target.id
    refs = [booking.book_appointment(session=session, slot_id=slots[i].id, type_code="adult",
                                     patient=make_patient(i), now=NOW, settings=settings).appointment.reference
            for i in range(12)]
    jobs = [
        (lambda s, ref=ref: booking.reschedule_appointment(session=s, reference=ref, date_of_birth=DOB,
                                                           new_slot_id=target_id, now=NOW, settings=settings))
        for ref in refs
    ]
    counts = Counter(outcome(r) for r in run_together(engine, jobs, session))
    assert counts == {"booked": 1, "full": 11}
    totals = {s.id: s.booked for s in session.exec(select(Slot).where(Slot.session_id == clinic.id))}
    assert totals[target_id] == 1, (totals, target_id)
    assert sum(totals.values()) == 12  # every chair accounted for: one moved, none lost
    for slot_id, booked in totals.items():
        actual = session.exec(select(func.count()).select_from(Appointment).where(
            Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED)).one()
        assert booked == actual


def test_same_booking_rescheduled_twice_at_once_moves_once(engine, session, settings):
    clinic = make_clinic(session, day=DAY, chairs=2)
    slots = slots_of(session, clinic)
    ref = booking.book_appointment(session=session, slot_id=slots[0].id, type_code="adult", patient=make_patient(),
                                   now=NOW, settings=settings).appointment.reference
    jobs = [
        (lambda s, target=target: booking.reschedule_appointment(session=s, reference=ref, date_of_birth=DOB,
                                                                 new_slot_id=target, now=NOW, settings=settings))
        for target in [x.id for x in slots[1:9]]
    ]
    results = run_together(engine, jobs, session)
    assert sum(isinstance(r, Appointment) for r in results) >= 1
    assert all(isinstance(r, Appointment | BookingError) for r in results), results
    booked = {s.id: s.booked for s in session.exec(select(Slot).where(Slot.session_id == clinic.id))}
    appt = session.exec(select(Appointment).where(Appointment.reference == ref)).one()
    session.refresh(appt)
    assert sum(booked.values()) == 1 and booked[appt.slot_id] == 1


def test_cancel_versus_book_never_overbooks_or_loses_a_chair(engine, session, settings):
    slot = slots_of(session, make_clinic(session, day=DAY, chairs=2))[0]
    slot_id = slot.id
    first = [booking.book_appointment(session=session, slot_id=slot.id, type_code="adult", patient=make_patient(i),
                                      now=NOW, settings=settings).appointment for i in range(2)]
    cancels = [(lambda s, ref=ref: booking.cancel_appointment(session=s, reference=ref, date_of_birth=DOB,
                                                                      now=NOW)) for ref in [a.reference for a in first]]
    books = [(lambda s, i=i: booking.book_appointment(session=s, slot_id=slot_id, type_code="adult",
                                                      patient=make_patient(100 + i), now=NOW, settings=settings).appointment)
             for i in range(20)]
    results = run_together(engine, cancels + books, session)
    assert all(isinstance(r, Appointment) for r in results[:2])
    outcomes = Counter(outcome(r) for r in results[2:])
    assert set(outcomes) <= {"booked", "full"} and outcomes["booked"] <= 2
    session.refresh(slot)
    live = session.exec(select(func.count()).select_from(Appointment).where(
        Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.BOOKED)).one()
    assert slot.booked == live <= 2


def test_same_new_patient_booking_twice_at_once_creates_one_patient(engine, session, settings):
    clinic = make_clinic(session, day=DAY, chairs=5)
    slots = slots_of(session, clinic)
    jobs = [(lambda s, slot=slot: booking.book_appointment(session=s, slot_id=slot, type_code="adult",
                                                            patient=make_patient(7), now=NOW, settings=settings).appointment)
            for slot in [x.id for x in slots[:6]]]
    results = run_together(engine, jobs, session)
    made = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(made) == 3 and len(refused) == 3, results  # the per-patient cap holds under concurrency
    assert {r.code for r in refused} == {"too_many_bookings"}
    assert len({a.patient_id for a in made}) == 1


def test_crossing_reschedules_do_not_deadlock(engine, session, settings):
    clinic = make_clinic(session, day=DAY, chairs=2)
    slots = slots_of(session, clinic)
    pairs = []
    for i in range(6):  # six pairs of bookings, each pair swapping slots at once
        a, b = slots[2 * i].id, slots[2 * i + 1].id
        ra = booking.book_appointment(session=session, slot_id=a, type_code="adult", patient=make_patient(10 + 2 * i),
                                      now=NOW, settings=settings).appointment.reference
        rb = booking.book_appointment(session=session, slot_id=b, type_code="adult", patient=make_patient(11 + 2 * i),
                                      now=NOW, settings=settings).appointment.reference
        pairs += [(ra, b), (rb, a)]
    jobs = [(lambda s, ref=ref, target=target: booking.reschedule_appointment(
        session=s, reference=ref, date_of_birth=DOB, new_slot_id=target, now=NOW, settings=settings))
        for ref, target in pairs]
    results = run_together(engine, jobs, session)
    assert all(isinstance(r, Appointment) for r in results), results
    booked = [s.booked for s in session.exec(select(Slot).where(Slot.session_id == clinic.id).order_by(Slot.id))]
    assert booked[:12] == [1] * 12
