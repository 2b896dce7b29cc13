"""A test request's status through its life. Every change is a conditional UPDATE from the
statuses it may come from (so two bookings racing through one invitation: one wins) plus a
history row, in the caller's transaction; nothing here commits.

The booking, check-in, collection and housekeeping services call the hooks at the bottom, so
the request follows its booking whichever way the booking was made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from booking_web.hl7.outbound import on_request_event, queue_collection
from shared.booking_facts import BookingFacts, PatientFacts, SiteFacts
from shared.errors import RuleViolation, ValidationFailed, problem
from shared.models import (
    OPEN_REQUEST_STATUSES,
    Appointment,
    LabRequest,
    LabRequestTest,
    LabTest,
    Patient,
    RequestEvent,
    RequestStatus,
    Site,
)
from shared.references import format_reference
from shared.request_rules import in_window
from shared.timeutil import format_date, format_time, to_local

_INSERT_EVENT = insert(RequestEvent)
_BY_NUMBER = select(LabRequest).where(LabRequest.request_number == bindparam("number"))
# The oldest open request for a patient whose window holds a day (booking without the link).
_OPEN_FOR_PATIENT = (
    select(LabRequest)
    .where(
        LabRequest.patient_id == bindparam("patient_id"),
        col(LabRequest.status).in_([s.value for s in OPEN_REQUEST_STATUSES]),
        (col(LabRequest.earliest).is_(None))
        | ((col(LabRequest.earliest) <= bindparam("day")) & (col(LabRequest.latest) >= bindparam("day"))),
    )
    .order_by(col(LabRequest.created_at), col(LabRequest.id))
)


def normalise_number(raw: object) -> str:
    """A request number as stored: capitals, without the spaces and dashes people type; '' when
    it cannot be one."""
    text = "".join(raw.split()).replace("-", "").upper() if isinstance(raw, str) else ""
    return text if text.isprintable() and len(text) <= 20 else ""


def request_by_number(session: Session, number: object, *, for_update: bool = False) -> LabRequest | None:
    """The request with this number, or None."""
    wanted = normalise_number(number)
    if not wanted:
        return None
    query = _BY_NUMBER.with_for_update() if for_update else _BY_NUMBER
    return session.exec(query, params={"number": wanted}).first()  # type: ignore[call-overload]


def record_event(
    session: Session,
    *,
    request_id: int,
    status: str,
    now: dt.datetime,
    actor: str = "",
    detail: str = "",
    appointment_id: int | None = None,
) -> None:
    """Add one history row, and queue the HL7 messages the step sends (the caller commits). The
    row is inserted at once (a Core INSERT, no unit of work): every caller has the ids it names."""
    session.connection().execute(_INSERT_EVENT, {"request_id": request_id, "status": str(status), "at": now,
                                                 "actor": actor[:100], "detail": detail[:300],
                                                 "appointment_id": appointment_id})
    on_request_event(session, request_id=request_id, status=status, now=now, detail=detail,
                     appointment_id=appointment_id)


def move_request(
    session: Session,
    *,
    request_id: int,
    to: str,
    from_statuses: Iterable[str],
    now: dt.datetime,
    actor: str = "",
    detail: str = "",
    appointment_id: int | None = None,
    values: dict[str, Any] | None = None,
    record: bool = True,
) -> bool:
    """Change the status if it is still one of `from_statuses`; True when this call changed it
    (then a history row is added unless `record` is False)."""
    changes = {"status": str(to), "updated_at": now, **(values or {})}
    session.flush()  # what the caller changed goes first, as an ORM UPDATE's autoflush would
    done = session.connection().execute(
        update(LabRequest)
        .where(col(LabRequest.id) == request_id, col(LabRequest.status).in_([str(s) for s in from_statuses]))
        .values(**changes)
    )
    if done.rowcount != 1:
        return False
    # A Core UPDATE (no ORM bulk-update machinery: a fifth of an HL7 order's CPU); the request's
    # row in this session, if loaded, is brought up to date as synchronize_session would.
    loaded = session.identity_map.get(session.identity_key(LabRequest, request_id))
    if loaded is not None:
        for name, value in changes.items():
            set_committed_value(loaded, name, value)
    if record:
        record_event(session, request_id=request_id, status=to, now=now, actor=actor, detail=detail,
                     appointment_id=appointment_id)
    return True


def booking_words(session: Session, appointment: Appointment | BookingFacts,
                  site: Site | SiteFacts | None = None) -> str:
    """'Monday 30 November 2026 at 9:10am, Northgate Health Centre (ABC-DEF-GHJ)' (the site read
    by id unless given)."""
    site = site or session.get(Site, appointment.site_id)
    local = to_local(appointment.starts_at)
    place = site.name if site else "another site"
    return (f"{format_date(local.date())} at {format_time(appointment.starts_at)}, {place} "
            f"({format_reference(appointment.reference)})")


def _refusal(req: LabRequest) -> RuleViolation:
    refusals = {  # the problem, and the kind a machine acts on
        RequestStatus.BOOKED: (problem("request_booked"), "request_booked"),
        RequestStatus.CHECKED_IN: (problem("request_booked_today"), "request_booked"),
        RequestStatus.COLLECTED: (problem("request_done"), "request_done"),
        RequestStatus.CANCELLED: (problem("request_cancelled"), "request_cancelled"),
        RequestStatus.NOT_TAKEN_UP: (problem("request_lapsed"), "request_lapsed"),
    }
    what, code = refusals.get(RequestStatus(req.status), (problem("request_closed"), "request_closed"))
    return RuleViolation(what, fields={"request_number": what}, code=code)


def window_refusal(req: LabRequest) -> RuleViolation:
    """The refusal for a day outside the request's window."""
    assert req.earliest is not None and req.latest is not None
    return RuleViolation("request_window", fields={"date": problem("request_window", earliest=req.earliest,
                                                                   latest=req.latest)},
                         earliest=req.earliest, latest=req.latest)


def _belongs_to(req: LabRequest, patient: Patient | PatientFacts) -> bool:
    if req.patient_id is not None:
        return req.patient_id == patient.id
    return req.nhs_number == (patient.nhs_number or "")


def claim_for_booking(
    session: Session, *, request_number: str, patient: Patient | PatientFacts, day: dt.date, now: dt.datetime
) -> LabRequest | None:
    """Take a request for a new booking (caller's transaction): it must be this patient's, open,
    and its window must hold the day. None when no request has that number (a number from a
    paper form we do not hold). Raises ValidationFailed or RuleViolation when it cannot be used."""
    req = request_by_number(session, request_number)
    if req is None:
        return None
    if not _belongs_to(req, patient):
        raise ValidationFailed(
            "request_other_details",
            fields={"request_number": problem("request_other_patient")},
        )
    if not in_window(day, req.earliest, req.latest):
        raise window_refusal(req)
    assert req.id is not None
    if not move_request(session, request_id=req.id, to=RequestStatus.BOOKED, from_statuses=OPEN_REQUEST_STATUSES,
                        now=now, record=False):
        session.refresh(req)
        raise _refusal(req)
    return req


def claim_open_request(session: Session, *, patient: Patient | PatientFacts, day: dt.date,
                       now: dt.datetime) -> LabRequest | None:
    """A booking made without a request number, by a patient whose NHS number and date of birth
    match the record: the oldest open request of theirs whose window holds the day, taken for
    the booking (caller's transaction). None when there is none."""
    if patient.id is None:
        return None
    for req in session.exec(_OPEN_FOR_PATIENT, params={"patient_id": patient.id, "day": day}).all():  # type: ignore[call-overload]
        assert req.id is not None
        if move_request(session, request_id=req.id, to=RequestStatus.BOOKED, from_statuses=OPEN_REQUEST_STATUSES,
                        now=now, record=False):
            return req
    return None


def record_booked(session: Session, *, req: LabRequest, appointment: Appointment | BookingFacts, now: dt.datetime,
                  actor: str = "patient", how: str = "", site: Site | SiteFacts | None = None) -> None:
    """The history row for a booking just made for a request (its id is known only now)."""
    assert req.id is not None and appointment.id is not None
    detail = booking_words(session, appointment, site) + (f"; {how}" if how else "")
    record_event(session, request_id=req.id, status=RequestStatus.BOOKED, now=now, actor=actor, detail=detail,
                 appointment_id=appointment.id)


def request_of(session: Session, *, appointment: Appointment, patient: Patient) -> LabRequest | None:
    """The request a booking carries, if it is held and is this patient's (a request for another
    patient is never shown or used: its tests would be paired with the wrong person)."""
    req = _held(session, appointment)
    return req if req is not None and _belongs_to(req, patient) else None


def request_test_names(session: Session, req: LabRequest) -> tuple[str, ...]:
    """The names of a request's tests, in the order asked for."""
    rows = session.exec(
        select(LabTest.name).join(LabRequestTest, col(LabRequestTest.test_code) == LabTest.code)
        .where(LabRequestTest.request_id == req.id).order_by(col(LabRequestTest.position))
    )
    return tuple(rows)


def _held(session: Session, appointment: Appointment) -> LabRequest | None:
    if not appointment.request_number:
        return None
    return request_by_number(session, appointment.request_number)


def booked_window(session: Session, appointment: Appointment) -> tuple[dt.date, dt.date] | None:
    """The window of the request a booking holds (its first and last London dates), or None: a
    change of time or place, or a waiting-list offer, may only pick days inside it."""
    req = _held(session, appointment)
    if req is None or req.status != RequestStatus.BOOKED or req.earliest is None or req.latest is None:
        return None
    return req.earliest, req.latest


def check_reschedule(session: Session, *, appointment: Appointment, day: dt.date) -> None:
    """A booking for a request may move only to a day inside the request's window."""
    req = _held(session, appointment)
    if req is not None and req.status == RequestStatus.BOOKED and not in_window(day, req.earliest, req.latest):
        raise window_refusal(req)


def on_rescheduled(session: Session, *, appointment: Appointment, now: dt.datetime, actor: str = "patient") -> None:
    """The request's history shows the booking's new time and place."""
    req = _held(session, appointment)
    if req is not None and req.id is not None and req.status == RequestStatus.BOOKED:
        record_event(session, request_id=req.id, status=RequestStatus.BOOKED, now=now, actor=actor,
                     detail="changed to " + booking_words(session, appointment), appointment_id=appointment.id)


def on_booking_ended(session: Session, *, appointment: Appointment, now: dt.datetime, why: str,
                     actor: str = "") -> None:
    """A booking for a request was cancelled or missed: the request waits for a new booking."""
    req = _held(session, appointment)
    if req is not None and req.id is not None:
        move_request(session, request_id=req.id, to=RequestStatus.WAITING, from_statuses=(RequestStatus.BOOKED,),
                     now=now, actor=actor, detail=why, appointment_id=appointment.id)


def on_checked_in(session: Session, *, appointment: Appointment, now: dt.datetime) -> None:
    """The patient checked in for the request's booking."""
    req = _held(session, appointment)
    if req is not None and req.id is not None:
        move_request(session, request_id=req.id, to=RequestStatus.CHECKED_IN, from_statuses=(RequestStatus.BOOKED,),
                     now=now, actor="kiosk", detail=f"queue number {appointment.queue_number}",
                     appointment_id=appointment.id)


def on_collected(session: Session, *, appointment: Appointment, now: dt.datetime, actor: str, detail: str,
                 tell_lab: bool = False) -> None:
    """The blood was taken for the request's booking; with `tell_lab` (PHLEBO_LIMS_MLLP is set) the
    laboratory's OML^O21 is queued ahead of the status message, whatever the request's source."""
    req = _held(session, appointment)
    if req is None or req.id is None:
        return
    if move_request(session, request_id=req.id, to=RequestStatus.COLLECTED,
                    from_statuses=(RequestStatus.CHECKED_IN, RequestStatus.BOOKED), now=now, record=False):
        if tell_lab:
            queue_collection(session, request_id=req.id, appointment=appointment, now=now)
        record_event(session, request_id=req.id, status=RequestStatus.COLLECTED, now=now, actor=actor, detail=detail,
                     appointment_id=appointment.id)
