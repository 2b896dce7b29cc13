"""Test requests from partner systems, and attaching a request to a booking."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from booking_web.services.idempotency import AnsweredBefore, Once, remember_answer
from booking_web.services.staff_audit import Actor, record
from shared.errors import NotFound, RuleViolation, ValidationFailed
from shared.models import (
    Appointment,
    AppointmentStatus,
    LabRequest,
    LabRequestTest,
    LabTest,
    Patient,
)
from shared.nhs_number import normalise, validation_message

MAX_TESTS = 30


def create_request(
    *,
    session: Session,
    nhs_number: object,
    tests: object,
    requester: object,
    api_key_id: int | None,
    now: dt.datetime,
    once: Once | None = None,
) -> LabRequest:
    """Record a request for tests; commits. ValidationFailed names each bad field; with an
    idempotency key the answer is stored with the request (AnsweredBefore: nothing is made)."""
    errors: dict[str, str] = {}
    number = normalise(nhs_number) if isinstance(nhs_number, str) else ""
    problem = validation_message(number) if isinstance(nhs_number, str) else "Enter the NHS number"
    if problem:
        errors["nhs_number"] = problem
    codes: list[str] = []
    if not isinstance(tests, list) or not tests or len(tests) > MAX_TESTS:
        errors["tests"] = f"Give a list of 1 to {MAX_TESTS} test codes"
    elif not all(isinstance(c, str) and c.isprintable() for c in tests):
        errors["tests"] = "Test codes must be text"
    else:
        codes = list(dict.fromkeys(c.strip().upper() for c in tests))
        unknown = [
            c for c in codes if (test := session.get(LabTest, c[:12])) is None or not test.active
        ]
        if unknown:
            errors["tests"] = "Unknown test codes: " + ", ".join(c[:12] for c in unknown[:10])
    if (
        not isinstance(requester, str)
        or not requester.strip()
        or len(requester.strip()) > 100
        or not requester.isprintable()
    ):
        errors["requester"] = "Give who requested the tests (up to 100 characters)"
    if errors:
        raise ValidationFailed("There is a problem with the request", fields=errors)
    assert isinstance(requester, str)
    row = LabRequest(
        request_number="pending",
        nhs_number=number,
        requester=requester.strip(),
        api_key_id=api_key_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    row.request_number = f"RQ{row.id:08d}"  # unique because the id is
    for position, code in enumerate(codes):
        session.add(LabRequestTest(request_id=row.id, test_code=code, position=position))  # type: ignore[arg-type]
    try:
        remember_answer(session, once, row, now)
    except AnsweredBefore:
        session.rollback()
        raise
    session.commit()
    return row


REQUEST_NUMBER_EXAMPLE = "RQ00012345"  # what create_request makes: RQ and 8 digits
NOT_FOUND_FOR_PATIENT = "No test request with that number is held for this patient"


def normalise_request_number(raw: str | None) -> str:
    """A request number as stored: capitals, without the spaces and dashes people type."""
    return "".join((raw or "").split()).replace("-", "").upper()


def find_request(*, session: Session, request_number: str) -> LabRequest | None:
    """The request with this number (spaces, dashes and case ignored), or None."""
    number = normalise_request_number(request_number)
    if not number.isprintable() or not number:
        return None
    return session.exec(select(LabRequest).where(LabRequest.request_number == number)).first()


def request_for_patient(
    *, session: Session, request_number: str, nhs_number: str | None
) -> LabRequest:
    """The request with this number, when it is for this NHS number. An unknown number and
    another patient's request get the same ValidationFailed, so typing numbers tells nobody
    whose requests exist; without an NHS number no request can be matched."""
    req = find_request(session=session, request_number=request_number)
    if req is None or nhs_number is None or req.nhs_number != nhs_number:
        raise ValidationFailed(
            NOT_FOUND_FOR_PATIENT,
            fields={"request_number": NOT_FOUND_FOR_PATIENT},
            code="request_not_found",
        )
    return req


def request_exists(*, session: Session, request_number: str) -> bool:
    """True when a request with this number exists (the hook for booking with a request)."""
    return find_request(session=session, request_number=request_number) is not None


def tests_of(*, session: Session, request_number: str | None) -> list[str]:
    """The test codes on a request in the order asked for ([] for none or unknown)."""
    req = find_request(session=session, request_number=request_number) if request_number else None
    if req is None:
        return []
    rows = session.exec(
        select(LabRequestTest)
        .where(LabRequestTest.request_id == req.id)
        .order_by(LabRequestTest.position)
    )
    return [r.test_code for r in rows]


def attach_request(
    *,
    session: Session,
    appointment_id: int,
    request_number: str,
    actor: Actor,
    now: dt.datetime,
    site_id: int | None = None,
) -> Appointment:
    """Attach a request to a booking before check-in, or at the chair after it (the patient
    brought the form); the NHS numbers must agree. Commits. The booking's version is not
    bumped: the patient's QR code stays valid."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("That booking was not found.")
    req = find_request(session=session, request_number=request_number)
    if req is None:
        raise ValidationFailed(
            "No request has that number", fields={"request_number": "Check the request number"}
        )
    patient = session.get(Patient, appt.patient_id)
    if patient is None or patient.nhs_number != req.nhs_number:
        raise ValidationFailed(
            "That request is for a different NHS number",
            fields={"request_number": "That request is for a different patient"},
        )
    if appt.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        raise RuleViolation(
            "Requests can only be added before the blood is taken.", code="not_booked"
        )
    appt.request_number, appt.updated_at = req.request_number, now
    record(
        session,
        actor=actor,
        action="attach_request",
        appointment_id=appt.id,
        detail=req.request_number,
        now=now,
    )
    session.commit()
    return appt
