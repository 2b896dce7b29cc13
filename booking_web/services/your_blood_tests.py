"""A patient's blood tests as NHS login (identity checked, P9) lets us show them: their bookings
and the tests their GP practice asked for that are still to book (inside the window), found by
NHS number, and only when our record of that NHS number is the same person (the same
date of birth and name, as a booking checks): a record someone else made with a mistyped NHS
number is never shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.appointment_summary import AppointmentSummary, summarise
from booking_web.services.nhs_login import Identity
from booking_web.services.request_status import request_test_names
from shared.errors import NotFound
from shared.models import (
    ACTIVE_STATUSES,
    OPEN_REQUEST_STATUSES,
    Appointment,
    LabRequest,
    Organisation,
    Patient,
)
from shared.names import same_name
from shared.references import normalise_reference
from shared.request_rules import window_ends_at

EARLIER_SHOWN = 10  # past and cancelled bookings listed, newest first
STILL_UPCOMING = dt.timedelta(hours=2)  # a booking this far past its start is still 'upcoming'


@dataclass(frozen=True)
class ToBook:
    """A test the patient's GP practice asked for that is still to book, and its window."""

    request_number: str
    tests: tuple[str, ...]
    earliest: dt.date
    latest: dt.date
    organisation: str  # the practice's name ('' for a request that came without one)
    fasting: bool


@dataclass(frozen=True)
class BloodTests:
    """What "Your blood tests" lists."""

    upcoming: list[AppointmentSummary]
    earlier: list[AppointmentSummary]
    record_differs: bool  # we hold another name or date of birth for this NHS number
    to_book: list[ToBook]  # tests the GP practice asked for, still to book


def _patient(session: Session, identity: Identity) -> tuple[Patient | None, bool]:
    """Our record for this identity, and whether a record for its NHS number is someone else's."""
    if identity.level != "P9" or not identity.nhs_number:
        return None, False
    patient = session.exec(select(Patient).where(Patient.nhs_number == identity.nhs_number)).first()
    if patient is None:
        return None, False
    if patient.date_of_birth != identity.date_of_birth or not same_name(
            identity.given_name, identity.family_name,
            recorded_given=patient.given_name, recorded_family=patient.family_name):
        return None, True
    return patient, False


def blood_tests_for(*, session: Session, identity: Identity, now: dt.datetime,
                    secret: str) -> BloodTests:
    """The bookings of the person NHS login checked (P9): coming up first, then earlier ones."""
    patient, differs = _patient(session, identity)
    if patient is None:
        return BloodTests([], [], differs, [])
    rows = session.exec(select(Appointment).where(Appointment.patient_id == patient.id)
                        .order_by(col(Appointment.starts_at))).all()
    upcoming = [a for a in rows
                if a.status in ACTIVE_STATUSES and a.starts_at > now - STILL_UPCOMING]
    earlier = [a for a in reversed(rows) if a not in upcoming][:EARLIER_SHOWN]
    return BloodTests(
        upcoming=[summarise(session=session, appointment=a, secret=secret) for a in upcoming],
        earlier=[summarise(session=session, appointment=a, secret=secret) for a in earlier],
        record_differs=False,
        to_book=_to_book(session, patient, now),
    )


def _open_requests(session: Session, patient: Patient, now: dt.datetime) -> list[LabRequest]:
    """The patient's requests that can still be booked: open, with a window that has not ended
    (a request that named only an NHS number has no patient and is never listed)."""
    rows = session.exec(select(LabRequest).where(
        LabRequest.patient_id == patient.id, col(LabRequest.status).in_(OPEN_REQUEST_STATUSES),
        col(LabRequest.earliest).is_not(None), col(LabRequest.latest).is_not(None),
    ).order_by(col(LabRequest.latest), col(LabRequest.id))).all()
    return [r for r in rows if r.latest is not None and now < window_ends_at(r.latest)]


def _to_book(session: Session, patient: Patient, now: dt.datetime) -> list[ToBook]:
    found = []
    for req in _open_requests(session, patient, now):
        org = session.get(Organisation, req.organisation_id) if req.organisation_id else None
        assert req.earliest is not None and req.latest is not None
        found.append(ToBook(req.request_number, request_test_names(session, req), req.earliest, req.latest,
                            org.name if org else "", req.fasting))
    return found


def own_open_request(*, session: Session, identity: Identity, request_number: str, now: dt.datetime) -> int:
    """The id of this person's request with this number while it can be booked; NotFound
    otherwise (the same answer for someone else's request, a closed one and none)."""
    patient, _ = _patient(session, identity)
    if patient is not None:
        for req in _open_requests(session, patient, now):
            if req.request_number == request_number.strip().upper() and req.id is not None:
                return req.id
    raise NotFound("own_request_not_found")


def own_appointment(*, session: Session, identity: Identity, reference: str) -> Appointment:
    """The booking with this reference if it is this person's; NotFound otherwise (the same
    answer for someone else's booking and for no booking)."""
    patient, _ = _patient(session, identity)
    ref = normalise_reference(reference)
    appointment = session.exec(select(Appointment).where(Appointment.reference == ref)).first()
    if patient is None or appointment is None or appointment.patient_id != patient.id:
        raise NotFound("own_booking_not_found")
    return appointment
