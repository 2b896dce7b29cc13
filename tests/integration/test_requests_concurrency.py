"""Requests under concurrency, real threads on SQLite and PostgreSQL: one booking per request
however many race for it, and one request per placer order however many copies arrive at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, select

from booking_web.services import booking
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from shared.errors import BookingError
from shared.models import Appointment, LabRequest, RequestEvent, Slot
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_patient, slots_of
from tests.integration.test_concurrency import run_together

DOB = dt.date(1948, 3, 4)


def _patient():  # type: ignore[no-untyped-def]
    return make_patient(3, given_name="Margaret", family_name="O'Brien", date_of_birth=DOB)


def _request(session: Session, **extra: object) -> str:
    seed_catalogue(session=session)
    return submit_request(session=session, nhs_number=_patient().nhs_number, tests=["FBC", "GLU"],
                          requester="Dr A", organisation="B86001", given_name="Margaret", family_name="O'Brien",
                          date_of_birth="1948-03-04", earliest="2026-11-25", latest="2026-11-30", now=NOW,
                          **extra).request.request_number


def test_eight_bookings_racing_for_one_request_make_one_booking(engine, session, settings):
    make_organisation(session)
    number = _request(session)
    slot_ids = [s.id for s in slots_of(session, make_clinic(session, day=dt.date(2026, 11, 25), chairs=2))[:8]]
    quick = dataclasses.replace(settings, min_notice_minutes=0)

    def book(slot_id: int):  # type: ignore[no-untyped-def]
        return lambda s: booking.book_appointment(session=s, slot_id=slot_id, type_code="fasting",
                                                  patient=_patient(), now=NOW, settings=quick,
                                                  request_number=number).appointment

    results = run_together(engine, [book(i) for i in slot_ids], session)
    kinds = Counter("booked" if isinstance(r, Appointment) else getattr(r, "code", repr(r)) for r in results)
    # One booking; the others are told the request is booked (or, on a patient over the cap,
    # that they have too many: never a second booking for the request).
    assert kinds["booked"] == 1 and set(kinds) <= {"booked", "request_booked", "too_many_bookings"}, kinds
    assert all(isinstance(r, (Appointment, BookingError)) for r in results)
    assert session.exec(select(func.count()).select_from(Appointment)).one() == 1
    assert sum(s.booked for s in session.exec(select(Slot))) == 1  # no chair left claimed by a loser
    req = session.exec(select(LabRequest)).one()
    assert req.status == "booked"
    assert [e.status for e in session.exec(select(RequestEvent).order_by(RequestEvent.id))] == ["waiting", "booked"]


def test_six_copies_of_one_placer_order_at_once_make_one_request(engine, session):
    make_organisation(session)
    seed_catalogue(session=session)

    def send(s: Session) -> tuple[str, bool]:
        done = submit_request(session=s, nhs_number=_patient().nhs_number, tests=["FBC"], requester="ICE",
                              organisation="B86001", placer_number="ICE-777", given_name="Margaret",
                              family_name="O'Brien", date_of_birth="1948-03-04", now=NOW)
        return done.request.request_number, done.created

    results = run_together(engine, [send] * 6, session)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0] for r in results}) == 1 and sum(r[1] for r in results) == 1  # type: ignore[index]
    assert session.exec(select(func.count()).select_from(LabRequest)).one() == 1
