"""Find a patient (reception staff): by NHS number or booking reference, the patient's name, date
of birth and NHS number, their upcoming appointments and the last few past ones, and their GP
practice's test requests. Every look at a patient is in the audit log; a search that finds
nobody is recorded without anything about anyone.

At most six statements whatever the patient's history: the patient, the upcoming and the
past appointments, the requests, the tests of every request shown, and the audit row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from booking_web.services.staff_audit import Actor, record, record_view
from shared.errors import ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentType,
    LabRequest,
    LabRequestTest,
    LabTest,
    Organisation,
    Patient,
    Site,
    Urgency,
)
from shared.nhs_number import is_valid
from shared.references import looks_like_reference, normalise_reference
from shared.timeutil import local_day_bounds, london_today, to_local

UPCOMING_LIMIT = 20  # a patient has at most a few active bookings; the rest are cancelled ones
PAST_LIMIT = 5  # "the last few": what reception needs to answer "when did I last come?"
REQUEST_LIMIT = 10
LONGEST_SEARCH = 40  # an NHS number with spaces or dashes, or a reference, with room to spare


class SearchKind(StrEnum):
    """What the search box held."""

    NHS_NUMBER = "nhs_number"
    REFERENCE = "reference"


@dataclass(frozen=True)
class Search:
    """A search as read from the box: its kind and the value without spaces or dashes."""

    kind: SearchKind
    value: str


@dataclass(frozen=True)
class Visit:
    """One appointment of the patient, as reception reads it."""

    appointment_id: int
    reference: str
    status: str
    starts_at: dt.datetime
    site_id: int
    site_name: str
    type_name: str
    tests: tuple[str, ...]  # the tests of the request it carries (none: the type says it all)
    request_number: str
    cancelled_by: str
    walk_in: bool
    today: bool  # on today's London date: the today page has it (at its site)


@dataclass(frozen=True)
class GpRequest:
    """One test request for the patient from their GP practice (or a clinic)."""

    request_number: str
    status: str
    organisation: str
    requester: str
    created_at: dt.datetime
    earliest: dt.date | None
    latest: dt.date | None
    urgent: bool
    fasting: bool
    tests: tuple[str, ...]


@dataclass(frozen=True)
class FoundPatient:
    """The patient a search found, with their appointments and requests."""

    patient_id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date
    nhs_number: str  # '' when they booked without one (found by reference only)
    upcoming: tuple[Visit, ...]
    past: tuple[Visit, ...]
    more_upcoming: bool  # more than UPCOMING_LIMIT from today on: the latest are not shown
    more_past: bool  # older appointments than those shown
    requests: tuple[GpRequest, ...]
    more_requests: bool


@dataclass(frozen=True)
class Lookup:
    """What a search found: the patient, or None (nobody). An NHS number we hold no patient for
    may still have test requests waiting for the patient to book (`requests_only`)."""

    search: Search
    patient: FoundPatient | None
    requests_only: tuple[GpRequest, ...] = ()


def read_search(raw: object) -> Search:
    """The search box as an NHS number (10 digits, spaces and dashes allowed, checked with mod 11)
    or a booking reference; ValidationFailed (field `search`) when it is neither."""
    text = raw[:LONGEST_SEARCH] if isinstance(raw, str) else ""
    value = normalise_reference(text)
    if not value:
        raise ValidationFailed("find_patient_missing", fields={"search": problem("find_patient_missing")})
    # Nine characters of the references' alphabet are a reference, even all digits (2-9 only).
    if looks_like_reference(value):
        return Search(SearchKind.REFERENCE, value)
    if value.isascii() and value.isdigit():
        if len(value) != 10:
            found = problem("find_patient_nhs_length", digits=len(value))
            raise ValidationFailed(found, fields={"search": found})
        if not is_valid(value):
            raise ValidationFailed("find_patient_nhs_check",
                                   fields={"search": problem("find_patient_nhs_check")})
        return Search(SearchKind.NHS_NUMBER, value)
    raise ValidationFailed("find_patient_unreadable", fields={"search": problem("find_patient_unreadable")})


def find_patient(*, session: Session, query: object, actor: Actor, now: dt.datetime) -> Lookup:
    """The patient an NHS number or booking reference finds, with their appointments and GP
    requests; the look is audited (a search that finds nobody too, without the search). Raises
    ValidationFailed for a box that holds neither. Commits."""
    search = read_search(query)
    how = f"Find a patient by {_KIND_WORDS[search.kind]}"
    patient = _patient(session, search)
    if patient is not None:
        assert patient.id is not None
        found = _bookings(session, patient, now)
        record_view(session=session, actor=actor, patient_id=patient.id, now=now, what=how)
        return Lookup(search, found)
    if search.kind == SearchKind.NHS_NUMBER:
        # A request sent with the NHS number alone makes no patient record until the patient books.
        requests = _requests(session, col(LabRequest.nhs_number) == search.value)
        if requests.shown:
            record(session, actor=actor, action="view", now=now, lab_request_id=requests.ids[0],
                   detail=f"{how}: no patient record, {len(requests.shown)} test request(s)")
            session.commit()
            return Lookup(search, None, requests.shown)
    record(session, actor=actor, action="search", now=now, detail=f"{how}: nobody found")
    session.commit()
    return Lookup(search, None)


_KIND_WORDS = {SearchKind.NHS_NUMBER: "NHS number", SearchKind.REFERENCE: "booking reference"}


def _patient(session: Session, search: Search) -> Patient | None:
    if search.kind == SearchKind.NHS_NUMBER:
        return session.exec(select(Patient).where(Patient.nhs_number == search.value)).first()
    return session.exec(
        select(Patient).join(Appointment, col(Appointment.patient_id) == Patient.id)
        .where(Appointment.reference == search.value)
    ).first()


def _theirs(patient: Patient) -> ColumnElement[bool]:
    """A request is the patient's when it names their record, or (naming none) their NHS number:
    the rule bookings use (request_status._belongs_to)."""
    return or_(
        col(LabRequest.patient_id) == patient.id,
        and_(col(LabRequest.patient_id).is_(None), col(LabRequest.nhs_number) == (patient.nhs_number or "")),
    )


@dataclass(frozen=True)
class _Requests:
    """The newest requests a search picks (and their ids), whether there are more, and the tests
    of those and of any other request asked for, by request id."""

    shown: tuple[GpRequest, ...]
    ids: tuple[int, ...]
    more: bool
    tests: dict[int, tuple[str, ...]]


def _requests(session: Session, whose: ColumnElement[bool], also: frozenset[int] = frozenset()) -> _Requests:
    """The newest REQUEST_LIMIT requests `whose` picks, with the tests of those and of the
    requests `also` names: two statements (one when there are none)."""
    rows = session.exec(
        select(LabRequest, Organisation.name)
        .outerjoin(Organisation, col(Organisation.id) == LabRequest.organisation_id)
        .where(whose)
        .order_by(col(LabRequest.created_at).desc(), col(LabRequest.id).desc()).limit(REQUEST_LIMIT + 1)
    ).all()
    kept = [(req, org) for req, org in rows[:REQUEST_LIMIT] if req.id is not None]
    ids = tuple(req.id for req, _org in kept if req.id is not None)
    found: dict[int, list[str]] = defaultdict(list)
    wanted = sorted({*ids, *also})
    for request_id, name in session.exec(
        select(LabRequestTest.request_id, LabTest.name)
        .join(LabTest, col(LabTest.code) == LabRequestTest.test_code)
        .where(col(LabRequestTest.request_id).in_(wanted))
        .order_by(col(LabRequestTest.request_id), col(LabRequestTest.position))
    ) if wanted else ():
        found[request_id].append(name)
    tests = {request_id: tuple(names) for request_id, names in found.items()}
    shown = tuple(
        GpRequest(req.request_number, req.status, org or "", req.requester, req.created_at, req.earliest,
                  req.latest, req.urgency == Urgency.URGENT, req.fasting, tests.get(req.id or 0, ()))
        for req, org in kept
    )
    return _Requests(shown, ids, len(rows) > REQUEST_LIMIT, tests)


def _bookings(session: Session, patient: Patient, now: dt.datetime) -> FoundPatient:
    today_starts, today_ends = local_day_bounds(london_today(now))
    visits = (
        sa_select(*(col(c) for c in (
            Appointment.id, Appointment.reference, Appointment.status, Appointment.starts_at, Appointment.site_id,
            Site.name, AppointmentType.name, Appointment.request_number, LabRequest.id, Appointment.cancelled_by,
            Appointment.walk_in)))
        .join(Site, col(Site.id) == Appointment.site_id)
        .join(AppointmentType, col(AppointmentType.code) == Appointment.type_code)
        # Only a request that is the patient's: another patient's tests are never shown with them.
        .outerjoin(LabRequest, and_(col(LabRequest.request_number) == Appointment.request_number,
                                    _theirs(patient)))
        .where(col(Appointment.patient_id) == patient.id)
    )
    upcoming = session.execute(
        visits.where(col(Appointment.starts_at) >= today_starts)
        .order_by(col(Appointment.starts_at), col(Appointment.id)).limit(UPCOMING_LIMIT + 1)
    ).all()
    past = session.execute(
        visits.where(col(Appointment.starts_at) < today_starts)
        .order_by(col(Appointment.starts_at).desc(), col(Appointment.id).desc()).limit(PAST_LIMIT + 1)
    ).all()
    requests = _requests(session, _theirs(patient),
                         also=frozenset(row[8] for row in (*upcoming, *past) if row[8] is not None))

    def visit(row) -> Visit:  # type: ignore[no-untyped-def]
        (appt_id, reference, status, starts_at, site_id, site_name, type_name, request_number,
         request_id, cancelled_by, walk_in) = row
        return Visit(appt_id, reference, status, starts_at, site_id, site_name, type_name,
                     requests.tests.get(request_id, ()), request_number or "", cancelled_by, walk_in,
                     today_starts <= to_local(starts_at) < today_ends)  # to_local: SQLite's are naive UTC

    assert patient.id is not None
    return FoundPatient(
        patient_id=patient.id, given_name=patient.given_name, family_name=patient.family_name,
        date_of_birth=patient.date_of_birth, nhs_number=patient.nhs_number or "",
        upcoming=tuple(visit(r) for r in upcoming[:UPCOMING_LIMIT]),
        past=tuple(visit(r) for r in past[:PAST_LIMIT]),
        more_upcoming=len(upcoming) > UPCOMING_LIMIT, more_past=len(past) > PAST_LIMIT,
        requests=requests.shown, more_requests=requests.more,
    )
