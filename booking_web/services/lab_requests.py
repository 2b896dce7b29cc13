"""Test requests: the one way a request is created (the staff pages, the JSON API, later HL7 v2
and FHIR all call submit_request), cancelling one, and attaching one to a booking.

A request that names the patient (names and date of birth) is checked against the record for
that NHS number and never merged into it: a different date of birth or name is refused. The
only thing a request adds to an existing record is a postcode the record lacks (order comms
send the address; a record made from an earlier request has none), so the patient can be
found by name and postcode at a walk-in."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from booking_web.notify.request_messages import channel_words, queue_cancelled, queue_invitation
from booking_web.services.idempotency import Once, remember_answer
from booking_web.services.organisations import organisation_by_code
from booking_web.services.request_status import (
    claim_for_booking,
    move_request,
    normalise_number,
    on_checked_in,
    record_booked,
    record_event,
    request_by_number,
)
from booking_web.services.staff_audit import Actor, record
from shared.config import Settings
from shared.db import insert_on_conflict
from shared.errors import NotFound, Problem, RuleViolation, ValidationFailed, problem
from shared.locales import language_of_tag
from shared.models import (
    Appointment,
    AppointmentStatus,
    LabRequest,
    LabRequestTest,
    LabTest,
    Organisation,
    OrganisationTestCode,
    Patient,
    RequestSource,
    RequestStatus,
    StaffUser,
    Urgency,
)
from shared.names import same_name
from shared.nhs_number import normalise, number_problem
from shared.request_rules import invitation_due, window_ends_at, window_problem
from shared.timeutil import london_today, to_local
from shared.validation import clean_email, clean_mobile, clean_name, clean_postcode, parse_iso_date

MAX_TESTS = 30
CLINICAL_DETAILS_MAX = 500
# Built once: the statements every request runs (SQLAlchemy caches their compiled form).
_MAPPED_CODES = (select(col(OrganisationTestCode.external_code), col(OrganisationTestCode.test_code))
                 .where(col(OrganisationTestCode.organisation_id) == bindparam("organisation_id"),
                        col(OrganisationTestCode.external_code).in_(bindparam("codes", expanding=True))))
_CATALOGUE = (select(col(LabTest.code), col(LabTest.active), col(LabTest.fasting))
              .where(col(LabTest.code).in_(bindparam("codes", expanding=True))))
_BY_PLACER = select(col(LabRequest.id)).where(col(LabRequest.organisation_id) == bindparam("organisation_id"),
                                              col(LabRequest.placer_number) == bindparam("placer"))
_INSERT_REQUEST = insert(LabRequest).returning(col(LabRequest.id))
_NUMBER_REQUEST = (update(LabRequest).where(col(LabRequest.id) == bindparam("request_id"))
                   .values(request_number=bindparam("number")))
_INSERT_TESTS = insert(LabRequestTest)
# sqlalchemy's select: sqlmodel's typed overloads stop at four columns.
_PATIENT_BY_NUMBER = (sa_select(col(Patient.id), col(Patient.given_name), col(Patient.family_name),
                             col(Patient.date_of_birth), col(Patient.postcode))
                      .where(col(Patient.nhs_number) == bindparam("nhs_number")).with_for_update())
_FILL_POSTCODE = (update(Patient).where(col(Patient.id) == bindparam("patient_id"), col(Patient.postcode) == "")
                  .values(postcode=bindparam("postcode")))
_INSERT_PATIENT = insert_on_conflict(
    Patient.__table__,  # type: ignore[attr-defined]
    ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "mobile", "email", "created_at"),
    conflict="nhs_number",
    returning=[c.name for c in Patient.__table__.columns],  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class Scope:
    """Whose requests a caller may see: one organisation's (a requester), one API key's (a
    partner), or all (admins and the services themselves)."""

    organisation_id: int | None = None
    api_key_id: int | None = None

    def allows(self, req: LabRequest) -> bool:
        """True when the request is inside this scope."""
        if self.organisation_id is not None and req.organisation_id != self.organisation_id:
            return False
        return self.api_key_id is None or req.api_key_id == self.api_key_id


def scoped_request(*, session: Session, request_number: object, scope: Scope, for_update: bool = False) -> LabRequest:
    """The request with this number inside the scope; NotFound otherwise (another practice's
    request is not found, not forbidden: its existence is not told)."""
    req = request_by_number(session, request_number, for_update=for_update)
    if req is None or not scope.allows(req):
        raise NotFound("request_not_in_scope")
    return req


@dataclass(frozen=True)
class Submitted:
    """The request, and whether this call created it (False: a repeat of a placer order)."""

    request: LabRequest
    created: bool


def _text(value: object, limit: int) -> str | None:
    """Printable text up to `limit` characters (trimmed), '' for nothing, None when unusable."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if len(text) <= limit and text.isprintable() else None


def _date(value: object, which: str) -> tuple[dt.date | None, Problem | None]:
    if isinstance(value, dt.date):
        return value, None
    if not isinstance(value, str) or not value.strip():
        return None, problem("window_date_missing", which=which)
    try:
        return dt.date.fromisoformat(value.strip()), None
    except ValueError:
        return None, problem("window_date_invalid", which=which)


def _organisation(session: Session, raw: object, user: StaffUser | None,
                  errors: dict[str, Problem]) -> Organisation | None:
    if user is not None and user.organisation_id is not None:
        org = session.get(Organisation, user.organisation_id)
        if org is None or not org.active:
            errors["organisation"] = problem("requester_organisation_paused")
        return org
    if raw is None or raw == "":
        return None
    org = organisation_by_code(session=session, ods_code=raw)
    if org is None or not org.active:
        errors["organisation"] = problem("request_ods_unknown")
    return org


def _test_codes(session: Session, tests: object, org: Organisation | None,
                errors: dict[str, Problem]) -> tuple[list[str], bool]:
    """Catalogue codes for the requested tests (an organisation's own codes are mapped first),
    and whether any of them needs fasting: two statements, however many tests."""
    if not isinstance(tests, list) or not tests or len(tests) > MAX_TESTS:
        errors["tests"] = problem("tests_list", most=MAX_TESTS)
        return [], False
    if not all(isinstance(c, str) and c.strip() and c.isprintable() and len(c) <= 40 for c in tests):
        errors["tests"] = problem("tests_not_text")
        return [], False
    asked = list(dict.fromkeys(c.strip().upper() for c in tests))
    mapped: dict[str, str] = {}
    if org is not None:
        rows = session.connection().execute(_MAPPED_CODES, {"organisation_id": org.id, "codes": asked})
        mapped = {row.external_code: row.test_code for row in rows}
    wanted = [mapped.get(raw, raw) for raw in asked]
    found = {row.code: row for row in session.connection().execute(_CATALOGUE, {"codes": [c[:12] for c in wanted]})}
    codes: list[str] = []
    unknown: list[str] = []
    fasting = False
    for raw, code in zip(asked, wanted, strict=True):
        test = found.get(code[:12])
        if test is None or not test.active:
            unknown.append(raw)
        elif code not in codes:
            codes.append(code)
            fasting = fasting or bool(test.fasting)
    if unknown:
        errors["tests"] = problem("tests_unknown", codes=tuple(c[:12] for c in unknown[:10]))
    return codes, fasting


@dataclass(frozen=True)
class _Patient:
    given_name: str
    family_name: str
    date_of_birth: dt.date


def _patient_fields(raw: dict[str, object], today: dt.date, errors: dict[str, Problem]) -> _Patient | None:
    if all(raw.get(k) is None or raw.get(k) == "" for k in ("given_name", "family_name", "date_of_birth")):
        return None
    given_raw, family_raw = raw.get("given_name"), raw.get("family_name")
    given, err = clean_name(given_raw if isinstance(given_raw, str) else "", "given", whose="patient")
    if err:
        errors["given_name"] = err
    family, err = clean_name(family_raw if isinstance(family_raw, str) else "", "family", whose="patient")
    if err:
        errors["family_name"] = err
    dob_raw = raw.get("date_of_birth")
    if isinstance(dob_raw, dt.date):
        dob: dt.date | None = dob_raw
        if dob_raw > today:
            errors["date_of_birth"] = problem("dob_iso_future")
    else:
        dob, err = parse_iso_date(dob_raw, today=today)
        if err:
            errors["date_of_birth"] = err
    if "given_name" in errors or "family_name" in errors or dob is None:
        return None
    return _Patient(given, family, dob)


def _identity_refusal(field: str, what: Problem) -> RuleViolation:
    return RuleViolation(what, fields={field: what}, code="identity_mismatch")


def _check_identity(existing: Patient | Row[Any], who: _Patient) -> None:
    """The rule every path follows: a request never changes or merges a patient's record."""
    if existing.date_of_birth != who.date_of_birth:
        raise _identity_refusal(
            "date_of_birth", problem("request_dob_mismatch"))
    if not same_name(who.given_name, who.family_name, recorded_given=existing.given_name,
                     recorded_family=existing.family_name):
        raise _identity_refusal(
            "family_name", problem("request_name_mismatch"))


def request_postcode(raw: object) -> tuple[str, Problem | None]:
    """The patient's home postcode in 'LS1 4AB' form ('' when none was given), or its problem.
    Only a full one is taken: the walk-in search matches the whole postcode, so a district
    alone would find nobody."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "", None
    postcode, wrong = clean_postcode(raw if isinstance(raw, str) else "\x00")
    if wrong or " " not in postcode:
        return "", problem("request_postcode_invalid")
    return postcode, None


def _patient_for_request(session: Session, nhs_number: str, who: _Patient, contact: tuple[str, str],
                         postcode: str, now: dt.datetime) -> int:
    """The id of the patient's record, checked against the request (made from it when there is
    none); the record is read as a row, locked (PostgreSQL) until the request commits."""
    connection = session.connection()
    existing = connection.execute(_PATIENT_BY_NUMBER, {"nhs_number": nhs_number}).first()
    if existing is None:
        values = dict(nhs_number=nhs_number, given_name=who.given_name, family_name=who.family_name,
                      date_of_birth=who.date_of_birth, postcode=postcode, mobile=contact[0], email=contact[1],
                      created_at=now)
        # Someone may add the same patient at the same moment: then theirs is read and checked.
        existing = connection.execute(_INSERT_PATIENT, values).first()
        if existing is None:
            existing = connection.execute(_PATIENT_BY_NUMBER, {"nhs_number": nhs_number}).one()
    _check_identity(existing, who)
    # A missing postcode is filled in: it adds a detail and changes no one's identity. A different
    # postcode already recorded is left as it is: the patient or staff gave it, a request cannot
    # say which is current, and changing it would be the change of record the rule above forbids.
    if postcode and not existing.postcode:
        connection.execute(_FILL_POSTCODE, {"patient_id": existing.id, "postcode": postcode})
    return int(existing.id)


def _repeat(session: Session, org: Organisation, placer: str, nhs_number: str) -> LabRequest | None:
    """The request an earlier message with this placer number created, if any; a different
    patient under the same placer number is refused."""
    found = session.connection().execute(_BY_PLACER, {"organisation_id": org.id, "placer": placer}).first()
    if found is None:  # the usual case: a new order, answered without building a row
        return None
    req = session.get(LabRequest, found.id)
    if req is not None and req.nhs_number != nhs_number:
        raise RuleViolation(
            "placer_conflict",
            fields={"placer_order_number": problem("placer_other_patient")},
            code="placer_conflict",
        )
    return req


def submit_request(
    *,
    session: Session,
    nhs_number: object,
    tests: object,
    requester: object,
    now: dt.datetime,
    api_key_id: int | None = None,
    organisation: object = None,
    given_name: object = None,
    family_name: object = None,
    date_of_birth: object = None,
    mobile: object = None,
    email: object = None,
    postcode: object = None,
    earliest: object = None,
    latest: object = None,
    urgency: object = None,
    clinical_details: object = None,
    fasting: object = None,
    language: object = None,
    placer_number: object = None,
    ordering_provider: object = None,
    user: StaffUser | None = None,
    source: str = RequestSource.API,
    actor: Actor | None = None,
    settings: Settings | None = None,
    once: Once | None = None,
) -> Submitted:
    """Record a request for tests; commits. ValidationFailed names every bad field; nothing is
    written on any refusal. A repeat of a placer order number from the same organisation
    returns the request it made. With a mobile or email and a window, the patient is invited
    (now, or once the window comes inside the booking horizon). With an idempotency key the
    answer is stored with the request (AnsweredBefore: nothing is made). A postcode (with the
    patient's names and date of birth) goes on a new patient record, or on one that has none.
    `language` is the patient's as a BCP 47 tag ('cy', 'cy-GB'): their messages and the
    invitation's pages are in it when we offer it, else in English."""
    errors: dict[str, Problem] = {}
    today = london_today(now)
    number = normalise(nhs_number) if isinstance(nhs_number, str) else ""
    wrong = number_problem(number, whose="the") if isinstance(nhs_number, str) else problem(
        "nhs_number_missing", whose="the")
    if wrong:
        errors["nhs_number"] = wrong
    org = _organisation(session, organisation, user, errors)
    placer = _text(placer_number, 50)
    if placer is None:
        errors["placer_order_number"] = problem("placer_number_invalid", longest=50)
    elif placer and org is None and "organisation" not in errors:
        errors["organisation"] = problem("placer_needs_organisation")
    if not errors and placer and org is not None:
        repeat = _repeat(session, org, placer, number)
        if repeat is not None:
            session.rollback()
            return Submitted(repeat, False)
    codes, any_fasting = _test_codes(session, tests, org, errors)
    who_text = user.display_name if user is not None else _text(requester, 100)
    if not who_text:
        errors["requester"] = problem("requester_invalid", longest=100)
    patient = _patient_fields(
        {"given_name": given_name, "family_name": family_name, "date_of_birth": date_of_birth}, today, errors)
    mobile_text, err = clean_mobile(mobile if isinstance(mobile, str) else ("\x00" if mobile else ""))
    if err:
        errors["mobile"] = problem("patient_mobile_invalid")
    email_text, err = clean_email(email if isinstance(email, str) else ("\x00" if email else ""))
    if err:
        errors["email"] = problem("patient_email_invalid")
    postcode_text, err = request_postcode(postcode)
    if err:
        errors["postcode"] = err
    window = _window(earliest, latest, today, errors)
    if (mobile_text or email_text) and not errors:
        if patient is None:
            errors["given_name"] = problem("invite_needs_patient")
        if window is None:
            errors["earliest"] = problem("invite_needs_window")
    urgency_text = Urgency.ROUTINE.value if urgency is None or urgency == "" else urgency
    if not isinstance(urgency_text, str) or urgency_text not in {u.value for u in Urgency}:
        errors["urgency"] = problem("urgency_choose")
        urgency_text = ""
    details = _text(clinical_details.replace("\r\n", "\n").replace("\n", " ") if isinstance(clinical_details, str)
                    else clinical_details, CLINICAL_DETAILS_MAX)
    if details is None:
        errors["clinical_details"] = problem("clinical_details_invalid", longest=CLINICAL_DETAILS_MAX)
    provider = _text(ordering_provider, 100)
    if provider is None:
        errors["ordering_provider"] = problem("ordering_provider_invalid", longest=100)
    if fasting is not None and not isinstance(fasting, bool):
        errors["fasting"] = problem("fasting_not_boolean")
    language_code = _language(language, errors)
    if errors:
        session.rollback()
        raise ValidationFailed("request_invalid", fields=errors)
    assert who_text is not None and details is not None and provider is not None and placer is not None
    needs_fasting = bool(fasting) or any_fasting
    try:
        patient_id = (_patient_for_request(session, number, patient, (mobile_text, email_text), postcode_text, now)
                      if patient is not None else None)
        row = _insert_request(session, dict(
            nhs_number=number, requester=who_text, api_key_id=api_key_id, created_at=now,
            organisation_id=org.id if org else None, placer_number=placer or None, ordering_provider=provider,
            created_by_user_id=user.id if user else None, source=str(source),
            patient_id=patient_id, mobile=mobile_text, email=email_text, language=language_code,
            earliest=window[0] if window else None, latest=window[1] if window else None, urgency=urgency_text,
            clinical_details=details, fasting=needs_fasting, status=RequestStatus.WAITING.value, invited_at=None,
            reminded_at=None, link_failures=0, updated_at=now,
        ))
        assert row.id is not None
        session.connection().execute(_INSERT_TESTS, [{"request_id": row.id, "test_code": code, "position": n}
                                                     for n, code in enumerate(codes)])
        record_event(session, request_id=row.id, status=RequestStatus.WAITING, now=now, actor=who_text,
                     detail=f"requested ({'urgent' if urgency_text == Urgency.URGENT else 'routine'})")
        if settings is not None:
            invite_if_due(session, row, settings=settings, now=now)
        if actor is not None:
            record(session, actor=actor, action="request_create", now=now, lab_request_id=row.id,
                   detail=f"{row.request_number} {' '.join(codes)}")
        remember_answer(session, once, Submitted(row, True), now)  # last: AnsweredBefore undoes it all
        session.commit()
    except IntegrityError:
        # The same placer order arriving twice at once: the other one made it.
        session.rollback()
        if placer and org is not None and (repeat := _repeat(session, org, placer, number)) is not None:
            session.rollback()
            return Submitted(repeat, False)
        raise
    except BaseException:
        session.rollback()
        raise
    return Submitted(row, True)


LANGUAGE_TAG_MAX = 35  # RFC 5646 4.4.1: 35 characters hold any tag a registry can make


def _language(value: object, errors: dict[str, Problem]) -> str:
    """The language a request keeps from a BCP 47 tag ('' for none, English or one we do not
    offer); a value that is not a well-formed tag is refused."""
    if value is None or value == "":
        return ""
    code = language_of_tag(value) if isinstance(value, str) and len(value) <= LANGUAGE_TAG_MAX else None
    if code is None:
        errors["language"] = problem("request_language_invalid")
        return ""
    return code


def _insert_request(session: Session, values: dict[str, Any]) -> LabRequest:
    """Insert the request row and give it its number (two statements, no unit of work); the
    row joins the session as if loaded, so callers read it without another SELECT."""
    # A unique stand-in until the id is known: a shared one would make concurrent inserts wait
    # on each other's unique-index entry (PostgreSQL) until the first commits.
    request_id = session.connection().execute(_INSERT_REQUEST, {**values, "request_number": f"~{uuid.uuid4().hex[:19]}"}
                                              ).scalar_one()
    number = f"RQ{request_id:08d}"  # unique because the id is
    session.connection().execute(_NUMBER_REQUEST, {"request_id": request_id, "number": number})
    row = LabRequest(id=request_id, request_number=number, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _window(earliest: object, latest: object, today: dt.date,
            errors: dict[str, Problem]) -> tuple[dt.date, dt.date] | None:
    if (earliest is None or earliest == "") and (latest is None or latest == ""):
        return None
    first, err = _date(earliest, "earliest")
    if err:
        errors["earliest"] = err
    last, err = _date(latest, "latest")
    if err:
        errors["latest"] = err
    if first is None or last is None:
        return None
    problems = window_problem(first, last, today=today)
    errors.update(problems)
    return None if problems else (first, last)


def normalise_request_number(raw: str | None) -> str:
    """A request number as stored: capitals, without the spaces and dashes people type."""
    return normalise_number(raw)


def create_request(**kwargs: Any) -> LabRequest:
    """submit_request, giving only the request (the same request again for a repeat)."""
    return submit_request(**kwargs).request


def invite_if_due(session: Session, req: LabRequest, *, settings: Settings, now: dt.datetime) -> bool:
    """Invite the patient once, when the request can be booked through its link and its window
    is inside the booking horizon (caller's transaction). True when this call invited."""
    if (req.id is None or req.patient_id is None or req.latest is None or req.earliest is None
            or req.invited_at is not None or not (req.mobile or req.email)):
        return False
    if now >= window_ends_at(req.latest) or not invitation_due(
            earliest=req.earliest, horizon_days=settings.booking_horizon_days, now=now):
        return False
    if not move_request(session, request_id=req.id, to=RequestStatus.INVITED, from_statuses=(RequestStatus.WAITING,),
                        now=now, detail=channel_words(req), values={"invited_at": now}):
        return False
    req.invited_at = now
    queue_invitation(session, req, settings=settings, now=now)
    return True


def cancel_request(*, session: Session, request_number: object, scope: Scope, reason: object, actor: Actor,
                   now: dt.datetime, once: Once | None = None) -> LabRequest:
    """Cancel a request with a reason; commits. A booking made for it stays but loses the request,
    and the patient is told. Cancelling twice is harmless; a request already collected, ended or
    at the clinic cannot be cancelled. With an idempotency key the answer is stored with the
    cancel."""
    why = _text(reason, 300)
    if not why:
        raise ValidationFailed("request_cancel_reason_missing",
                               fields={"reason": problem("request_cancel_reason_enter", longest=300)})
    req = scoped_request(session=session, request_number=request_number, scope=scope, for_update=True)
    assert req.id is not None
    try:
        if req.status == RequestStatus.CANCELLED:
            remember_answer(session, once, req, now)  # a resend meets the first answer (AnsweredBefore)
            session.commit()
            return req
        if req.status == RequestStatus.CHECKED_IN:
            raise RuleViolation("request_checked_in")
        if req.status in (RequestStatus.COLLECTED, RequestStatus.NOT_TAKEN_UP):
            raise RuleViolation("request_finished")
        booked = req.status == RequestStatus.BOOKED
        appointment = _current_booking(session, req) if booked else None
        if not move_request(session, request_id=req.id, to=RequestStatus.CANCELLED,
                            from_statuses=[req.status], now=now, actor=actor.display_name, detail=why,
                            appointment_id=appointment.id if appointment else None):
            raise RuleViolation("request_changed", code="conflict")
        if appointment is not None:
            appointment.request_number, appointment.updated_at = None, now
            session.add(appointment)
        if appointment is not None or req.invited_at is not None:
            queue_cancelled(session, req, appointment=appointment, now=now)
        record(session, actor=actor, action="request_cancel", now=now, lab_request_id=req.id,
               appointment_id=appointment.id if appointment else None, detail=why)
        remember_answer(session, once, req, now)  # last: AnsweredBefore undoes the cancel
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(req)
    return req


def _current_booking(session: Session, req: LabRequest) -> Appointment | None:
    """The booking that carries the request now (booked or at the clinic), if any."""
    return session.exec(
        select(Appointment)
        .where(Appointment.request_number == req.request_number,
               Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN]))  # type: ignore[attr-defined]
        .order_by(Appointment.id.desc())  # type: ignore[union-attr]
    ).first()


REQUEST_NUMBER_EXAMPLE = "RQ00012345"  # what submit_request makes: RQ and 8 digits


def find_request(*, session: Session, request_number: str) -> LabRequest | None:
    """The request with this number (spaces, dashes and case ignored), or None."""
    return request_by_number(session, request_number)


def request_for_patient(
    *, session: Session, request_number: str, nhs_number: str | None
) -> LabRequest:
    """The request with this number, when it is for this NHS number. An unknown number and
    another patient's request get the same ValidationFailed, so typing numbers tells nobody
    whose requests exist; without an NHS number no request can be matched."""
    req = find_request(session=session, request_number=request_number)
    if req is None or nhs_number is None or req.nhs_number != nhs_number:
        raise ValidationFailed("request_not_found", fields={"request_number": problem("request_not_found")},
                               code="request_not_found")
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
        .order_by(LabRequestTest.position)  # type: ignore[arg-type]
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
    brought the form): staff at the clinic. The request must be the patient's, open, and its
    window must hold the booking's day. Commits. The booking's version is not bumped: the
    patient's QR code stays valid."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("booking_not_found_staff")
    if appt.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        raise RuleViolation("request_too_late", code="not_booked")
    patient = session.get(Patient, appt.patient_id)
    assert patient is not None
    try:
        req = claim_for_booking(session, request_number=request_number, patient=patient,
                                day=to_local(appt.starts_at).date(), now=now)
        if req is None:
            raise ValidationFailed("request_number_unknown",
                                   fields={"request_number": problem("request_number_check")})
        appt.request_number, appt.updated_at = req.request_number, now
        record_booked(session, req=req, appointment=appt, now=now, actor=actor.display_name,
                      how="added by staff at the clinic")
        if appt.status == AppointmentStatus.CHECKED_IN:
            on_checked_in(session, appointment=appt, now=now)
        record(
            session,
            actor=actor,
            action="attach_request",
            appointment_id=appt.id,
            lab_request_id=req.id,
            detail=req.request_number,
            now=now,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return appt
