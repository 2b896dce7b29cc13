"""Booking through a test request's invitation link: the link opens the request (while it is open
and its window has not ended), the patient proves who they are with their date of birth alone
(three wrong tries and the link reads as unknown for good), and what they book follows from the
request: its window, the appointment type (a child's test under 16, fasting when a test needs
it), the patient's details as the request recorded them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from booking_web.services.request_links import read_invite_token
from booking_web.services.request_status import request_test_names
from shared.errors import BookingError, ValidationFailed, problem
from shared.models import OPEN_REQUEST_STATUSES, LabRequest, Patient
from shared.request_rules import appointment_type_for, window_ends_at
from shared.validation import PatientDetails

MAX_FAILURES = 3


@dataclass(frozen=True)
class Invitation:
    """What the invitation pages may show before the patient has proved who they are: nothing
    about the patient, only the request's window."""

    request_id: int
    earliest: dt.date
    latest: dt.date


@dataclass(frozen=True)
class Invited:
    """An invitation whose patient has given the right date of birth: what the booking needs."""

    request_id: int
    request_number: str
    earliest: dt.date
    latest: dt.date
    fasting: bool
    tests: tuple[str, ...]
    patient: PatientDetails

    def type_for(self, day: dt.date) -> str:
        """The appointment type for a booking on `day` (the patient's age that day counts)."""
        return appointment_type_for(date_of_birth=self.patient.date_of_birth, day=day, fasting=self.fasting)

    @property
    def child(self) -> bool:
        """True when the patient is under 16 on the window's last day (children's clinics)."""
        return self.type_for(self.latest) == "child"


def _dead() -> BookingError:
    return BookingError(problem("invitation_link_bad"), code="invalid_invitation")


def _usable(session: Session, request_id: int, now: dt.datetime) -> LabRequest:
    req = session.get(LabRequest, request_id)
    if (req is None or req.patient_id is None or req.earliest is None or req.latest is None
            or req.status not in OPEN_REQUEST_STATUSES or req.link_failures >= MAX_FAILURES
            or now >= window_ends_at(req.latest)):
        raise _dead()
    return req


def open_invitation(*, session: Session, token: object, secret: str, now: dt.datetime) -> Invitation:
    """The request a link opens, or BookingError(code='invalid_invitation'): forged, expired,
    booked already, cancelled, lapsed and locked links all read the same."""
    req = _usable(session, read_invite_token(secret=secret, token=token, now=now), now)
    assert req.id is not None and req.earliest is not None and req.latest is not None
    return Invitation(req.id, req.earliest, req.latest)


def prove_invitation(*, session: Session, request_id: int, date_of_birth: dt.date, now: dt.datetime) -> Invited:
    """Check the date of birth against the patient's record; commits. A wrong one counts against
    the link (ValidationFailed while tries are left; the dead-link answer after the third)."""
    req = _usable(session, request_id, now)
    patient = session.get(Patient, req.patient_id)
    assert patient is not None and req.earliest is not None and req.latest is not None
    if patient.date_of_birth != date_of_birth:
        session.exec(  # type: ignore[call-overload]
            update(LabRequest).where(col(LabRequest.id) == request_id)
            .values(link_failures=LabRequest.link_failures + 1)
        )
        session.commit()
        session.refresh(req)
        if req.link_failures >= MAX_FAILURES:
            raise _dead()
        raise ValidationFailed("invitation_dob_mismatch", fields={"dob-day": problem("invitation_dob_mismatch")})
    session.rollback()
    details = PatientDetails(patient.nhs_number, patient.given_name, patient.family_name, patient.date_of_birth,
                             patient.postcode, req.mobile or patient.mobile, req.email or patient.email)
    return Invited(req.id, req.request_number, req.earliest, req.latest, req.fasting,  # type: ignore[arg-type]
                   request_test_names(session, req), details)


def invited(*, session: Session, request_id: int, now: dt.datetime) -> Invited:
    """The invitation again, for a patient who has already proved who they are in this browser
    (BookingError when the request can no longer be booked through it)."""
    req = _usable(session, request_id, now)
    patient = session.get(Patient, req.patient_id)
    assert patient is not None
    return prove_invitation(session=session, request_id=request_id, date_of_birth=patient.date_of_birth, now=now)
