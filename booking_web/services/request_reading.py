"""Reading test requests for the people who made them: one request with every step, its booking,
its tubes and the messages to the patient; or a page of them, filtered by status and date. A
look at one request is in the audit log."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from booking_web.services.lab_requests import Scope, scoped_request
from booking_web.services.staff_audit import Actor, record
from shared.models import (
    Appointment,
    LabRequest,
    LabRequestTest,
    LabTest,
    Organisation,
    OutboxMessage,
    Patient,
    RequestEvent,
    Site,
    Specimen,
    TubeOutcome,
)
from shared.timeutil import local_day_bounds

PAGE_SIZE = 50


@dataclass(frozen=True)
class Step:
    """One step of the history: the status reached, when, by whom, and how."""

    status: str
    at: dt.datetime
    actor: str
    detail: str


@dataclass(frozen=True)
class Tube:
    """One labelled tube and what happened to it ('' result: not recorded yet)."""

    specimen_id: str
    container: str
    tests: tuple[str, ...]
    result: str
    reason: str
    at: dt.datetime | None
    by: str


@dataclass(frozen=True)
class Booking:
    """The booking that carries (or carried) the request."""

    reference: str
    status: str
    starts_at: dt.datetime
    site_id: int
    site_name: str


@dataclass(frozen=True)
class Message:
    """A message to the patient about the request, and how far it got."""

    template: str
    channel: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    language: str = ""  # the language it was written in ('' English)


@dataclass(frozen=True)
class RequestView:
    """Everything a requester may see of one request."""

    request_number: str
    status: str
    urgency: str
    source: str
    created_at: dt.datetime
    requester: str
    organisation_code: str
    organisation_name: str
    placer_number: str
    ordering_provider: str
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    postcode: str  # the patient record's: a request's postcode goes there, the request row keeps none
    mobile: str
    email: str
    tests: tuple[tuple[str, str], ...]  # (code, name)
    clinical_details: str
    fasting: bool
    earliest: dt.date | None
    latest: dt.date | None
    history: tuple[Step, ...]
    booking: Booking | None
    tubes: tuple[Tube, ...]
    messages: tuple[Message, ...] = ()
    language: str = ""  # the request's ('' English: shared.locales)


def get_request(
    *, session: Session, request_number: object, scope: Scope, actor: Actor | None, now: dt.datetime
) -> RequestView:
    """One request in the caller's scope (NotFound otherwise); the look is audited. Commits."""
    req = scoped_request(session=session, request_number=request_number, scope=scope)
    [view] = _views(session, [req], with_messages=True)
    if actor is not None:
        record(session, actor=actor, action="request_view", now=now, lab_request_id=req.id,
               detail=req.request_number)
        session.commit()
    return view


@dataclass(frozen=True)
class RequestPage:
    """A page of requests, newest first, and whether there are more."""

    rows: tuple[RequestView, ...]
    page: int
    more: bool
    total: int


def list_requests(
    *,
    session: Session,
    scope: Scope,
    status: str | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    page: int = 1,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> RequestPage:
    """Requests in the scope, newest first, optionally of one status and made between two London
    dates (inclusive); the look is audited when an actor is given (then commits)."""
    conditions = []
    if scope.organisation_id is not None:
        conditions.append(col(LabRequest.organisation_id) == scope.organisation_id)
    if scope.api_key_id is not None:
        conditions.append(col(LabRequest.api_key_id) == scope.api_key_id)
    if status:
        conditions.append(col(LabRequest.status) == status)
    if created_from is not None:
        conditions.append(col(LabRequest.created_at) >= local_day_bounds(created_from)[0])
    if created_to is not None:
        conditions.append(col(LabRequest.created_at) < local_day_bounds(created_to)[1])
    page = max(page, 1)
    total = session.exec(select(func.count()).select_from(LabRequest).where(*conditions)).one()
    reqs = session.exec(
        select(LabRequest).where(*conditions)
        .order_by(col(LabRequest.created_at).desc(), col(LabRequest.id).desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    rows = _views(session, list(reqs[:PAGE_SIZE]))
    if actor is not None and now is not None:
        record(session, actor=actor, action="request_view", now=now,
               detail=f"list: {status or 'any status'}, page {page}, {len(rows)} shown")
        session.commit()
    return RequestPage(tuple(rows), page, len(reqs) > PAGE_SIZE, int(total))


def _views(session: Session, reqs: Sequence[LabRequest], *, with_messages: bool = False) -> list[RequestView]:
    """Views of these requests, each part read for all of them at once."""
    if not reqs:
        return []
    ids = [r.id for r in reqs]
    numbers = [r.request_number for r in reqs]
    tests: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for link, name in session.exec(
        select(LabRequestTest, LabTest.name).join(LabTest, col(LabTest.code) == LabRequestTest.test_code)
        .where(col(LabRequestTest.request_id).in_(ids)).order_by(col(LabRequestTest.position))
    ):
        tests[link.request_id].append((link.test_code, name))
    history: dict[int, list[Step]] = defaultdict(list)
    for event in session.exec(
        select(RequestEvent).where(col(RequestEvent.request_id).in_(ids)).order_by(col(RequestEvent.id))
    ):
        history[event.request_id].append(Step(event.status, event.at, event.actor, event.detail))
    patients = {p.id: p for p in session.exec(
        select(Patient).where(col(Patient.id).in_([r.patient_id for r in reqs if r.patient_id])))}
    orgs = {o.id: o for o in session.exec(
        select(Organisation).where(col(Organisation.id).in_([r.organisation_id for r in reqs if r.organisation_id])))}
    bookings: dict[str, tuple[Appointment, str]] = {}
    for appt, site_name in session.exec(
        select(Appointment, Site.name).join(Site, col(Site.id) == Appointment.site_id)
        .where(col(Appointment.request_number).in_(numbers)).order_by(col(Appointment.id))
    ):
        bookings[appt.request_number or ""] = (appt, site_name)  # the latest wins
    tubes = _tubes(session, [a.id for a, _ in bookings.values() if a.id is not None])
    messages = _messages(session, ids) if with_messages else {}
    views = []
    for r in reqs:
        assert r.id is not None
        patient = patients.get(r.patient_id)
        org = orgs.get(r.organisation_id)
        found = bookings.get(r.request_number)
        booking = None
        if found is not None:
            appt, site_name = found
            booking = Booking(appt.reference, appt.status, appt.starts_at, appt.site_id, site_name)
        views.append(RequestView(
            r.request_number, r.status, r.urgency, r.source, r.created_at, r.requester,
            org.ods_code if org else "", org.name if org else "", r.placer_number or "", r.ordering_provider,
            r.nhs_number, patient.given_name if patient else "", patient.family_name if patient else "",
            patient.date_of_birth if patient else None, patient.postcode if patient else "", r.mobile, r.email,
            tuple(tests[r.id]), r.clinical_details, r.fasting, r.earliest, r.latest, tuple(history[r.id]), booking,
            tuple(tubes.get(found[0].id or 0, ())) if found else (), tuple(messages.get(r.id, ())),
            r.language,
        ))
    return views


def _tubes(session: Session, appointment_ids: list[int]) -> dict[int, list[Tube]]:
    found: dict[int, list[Tube]] = defaultdict(list)
    if not appointment_ids:
        return found
    for specimen, outcome in session.exec(
        select(Specimen, TubeOutcome)
        .join(TubeOutcome, col(TubeOutcome.specimen_pk) == Specimen.id, isouter=True)
        .where(col(Specimen.appointment_id).in_(appointment_ids), Specimen.tests != "")
        .order_by(col(Specimen.position))
    ):
        found[specimen.appointment_id].append(Tube(
            specimen.specimen_id or "", specimen.container, tuple(specimen.tests.split()),
            outcome.result if outcome else "", outcome.reason if outcome else "",
            outcome.at if outcome else None, outcome.by_name if outcome else ""))
    return found


def _messages(session: Session, request_ids: list[int | None]) -> dict[int, list[Message]]:
    found: dict[int, list[Message]] = defaultdict(list)
    for m in session.exec(
        select(OutboxMessage).where(col(OutboxMessage.lab_request_id).in_(request_ids)).order_by(col(OutboxMessage.id))
    ):
        assert m.lab_request_id is not None
        found[m.lab_request_id].append(Message(m.template, m.channel, m.status, m.created_at, m.sent_at,
                                                   m.language))
    return found
