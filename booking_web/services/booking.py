"""Book, find, reschedule and cancel appointments. Capacity is enforced by the database:
a conditional UPDATE claims a chair in the same transaction as the booking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import bindparam, insert, literal, null, union_all, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.notify.outbox import queue_appointment_message, queue_booking_message
from booking_web.services import request_status
from booking_web.services.accounts import LIVE_KEY_ID, KeyProof
from booking_web.services.idempotency import Once, remember_answer
from booking_web.services.lab_requests import request_for_patient
from booking_web.services.staff_audit import Actor, record
from shared.booking_facts import BookingFacts, PatientFacts, SiteFacts
from shared.config import Settings
from shared.db import insert_on_conflict, transaction
from shared.errors import NotFound, RuleViolation, SlotFull, ValidationFailed, problem
from shared.models import (
    ACTIVE_STATUSES,
    OPEN_REQUEST_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    CancelledBy,
    ClinicSession,
    ClinicSessionType,
    LabRequest,
    Patient,
    Site,
    Slot,
)
from shared.names import same_name
from shared.references import looks_like_reference, new_reference, normalise_reference
from shared.rules import TypeRule, age_problem, booking_window, slot_allowed_for_type
from shared.timeutil import to_local
from shared.validation import PatientDetails


def type_rule(atype: AppointmentType) -> TypeRule:
    """The rule view of an appointment type."""
    return TypeRule(
        code=atype.code,
        name=atype.name,
        min_age_years=atype.min_age_years,
        max_age_years=atype.max_age_years,
        paediatric_site_only=atype.paediatric_site_only,
        latest_start=atype.latest_start,
    )


@dataclass(frozen=True)
class BookingType(TypeRule):
    """An appointment type as a booking reads it: its rules and its length."""

    duration_minutes: int


@dataclass(frozen=True, slots=True)
class SlotPlace:
    """A slot with what decides whether it can be booked: its site, whether its clinic is closed
    and whether the clinic offers the appointment type (plain values, as one row read them)."""

    slot_id: int
    site_id: int
    starts_at: dt.datetime
    capacity: int
    booked: int
    site: SiteFacts
    clinic_closed: bool
    offered: bool


def _site_facts(site: Site) -> SiteFacts:
    assert site.id is not None
    return SiteFacts(site.id, site.name, site.address, site.postcode, site.access_notes, site.paediatric,
                     site.active)


# The hot path's statements are built once, with bind parameters: building a statement costs
# more CPU than SQLAlchemy's cached compile of it. They run on the connection (Core): plain rows,
# no ORM entity built (bench/HISTORY.md item 20).
_T = AppointmentType.__table__.c  # type: ignore[attr-defined]
_S = Slot.__table__.c  # type: ignore[attr-defined]
_SITE = Site.__table__.c  # type: ignore[attr-defined]
_SLOT_FOR_TYPE = (
    core_select(
        # BookingType's fields, in order; then SlotPlace's slot columns; then SiteFacts's.
        _T.code, _T.name, _T.min_age_years, _T.max_age_years, _T.paediatric_site_only, _T.latest_start,
        _T.duration_minutes,
        _S.id, _S.site_id, _S.starts_at, _S.capacity, _S.booked,
        _SITE.id, _SITE.name, _SITE.address, _SITE.postcode, _SITE.access_notes, _SITE.paediatric, _SITE.active,
        ClinicSession.__table__.c.closed_at, ClinicSessionType.__table__.c.type_code,  # type: ignore[attr-defined]
    )
    .select_from(AppointmentType.__table__)  # type: ignore[attr-defined]
    .outerjoin(Slot, Slot.id == bindparam("slot_id"))  # type: ignore[arg-type]
    .outerjoin(ClinicSession, ClinicSession.id == Slot.session_id)  # type: ignore[arg-type]
    .outerjoin(Site, Site.id == Slot.site_id)  # type: ignore[arg-type]
    .outerjoin(ClinicSessionType, (ClinicSessionType.session_id == Slot.session_id)  # type: ignore[arg-type]
               & (ClinicSessionType.type_code == AppointmentType.code))
    .where(AppointmentType.code == bindparam("type_code"))  # type: ignore[arg-type]
)
# The same with the API key check (booking through the partner API: no statement of its own).
_SLOT_FOR_TYPE_KEYED = _SLOT_FOR_TYPE.add_columns(LIVE_KEY_ID)
_CLAIM_CHAIR = (
    update(Slot).where(Slot.id == bindparam("slot_id"), Slot.booked < Slot.capacity)  # type: ignore[arg-type]
    .values(booked=Slot.booked + 1)
)
# The patient's active bookings from a day before the new one (no appointment lasts a day), with
# their lengths: one read answers both the per-patient cap and whether the new time overlaps.
_ACTIVE_BOOKINGS = (
    select(Appointment.starts_at, AppointmentType.duration_minutes)
    .join(AppointmentType, AppointmentType.code == Appointment.type_code)  # type: ignore[arg-type]
    .where(
        Appointment.patient_id == bindparam("patient_id"),
        Appointment.id != bindparam("moving_id"),  # type: ignore[arg-type]
        # IN with one bound value each, not an expanding list (re-rendered on every execution).
        col(Appointment.status).in_([literal(s.value) for s in ACTIVE_STATUSES]),
        Appointment.starts_at > bindparam("since", type_=Appointment.__table__.c.starts_at.type),  # type: ignore[attr-defined]
    )
)
# With the patient's bookings, in the same statement: whether they have an open test request
# whose window holds the booking's day (then it is linked to the booking). Almost never, so the
# common booking costs no extra statement. One more row, with NULL for the booking's columns.
_OPEN_REQUEST_FOR_DAY = select(LabRequest.id).where(
    LabRequest.patient_id == bindparam("patient_id"),
    col(LabRequest.status).in_([literal(s.value) for s in OPEN_REQUEST_STATUSES]),
    col(LabRequest.earliest).is_(None)
    | ((col(LabRequest.earliest) <= bindparam("day", type_=LabRequest.__table__.c.earliest.type))  # type: ignore[attr-defined]
       & (col(LabRequest.latest) >= bindparam("day", type_=LabRequest.__table__.c.earliest.type))),  # type: ignore[attr-defined]
).limit(1).scalar_subquery()
_BOOKINGS_AND_OPEN_REQUEST = union_all(
    _ACTIVE_BOOKINGS.add_columns(null().label("open_request")),
    select(null(), null(), _OPEN_REQUEST_FOR_DAY),
)


def load_slot_for_type(session: Session, *, slot_id: object, type_code: object,
                       key: KeyProof | None = None) -> tuple[BookingType, SlotPlace | None]:
    """The appointment type and the slot with its site and clinic, read in one statement (the
    booking hot path), as plain values. ValidationFailed for an unknown type; None for the slot
    when there is no such slot. With `key`, the same statement proves the API key live
    (NotAllowed once it is revoked), before anything is written."""
    if not isinstance(type_code, str):
        raise ValidationFailed("appointment_type_unknown",
                               fields={"appointment_type": problem("appointment_type_unknown")})
    wanted = slot_id if isinstance(slot_id, int) and not isinstance(slot_id, bool) else None
    params = {"slot_id": wanted, "type_code": type_code}
    if key is None:
        row = session.connection().execute(_SLOT_FOR_TYPE, params).first()
    else:
        row = session.connection().execute(_SLOT_FOR_TYPE_KEYED, {**params, **key.params}).first()
        if row is not None:
            key.settle(row[-1])
    if row is None:
        raise ValidationFailed("appointment_type_unknown",
                               fields={"appointment_type": problem("appointment_type_unknown")})
    atype = BookingType(*row[:7])
    if row[7] is None or row[12] is None:
        return atype, None
    return atype, SlotPlace(row[7], row[8], row[9], row[10], row[11], SiteFacts(*row[12:19]),
                            clinic_closed=row[19] is not None, offered=row[20] is not None)


def check_slot_bookable(
    session: Session, *, slot: Slot, atype: AppointmentType, date_of_birth: dt.date, now: dt.datetime,
    settings: Settings,
) -> None:
    """Raise RuleViolation if this slot cannot be booked for this type and patient now."""
    clinic = session.get(ClinicSession, slot.session_id)
    site = session.get(Site, slot.site_id)
    assert clinic is not None and site is not None and slot.id is not None
    offered = session.get(ClinicSessionType, (clinic.id, atype.code))
    place = SlotPlace(slot.id, slot.site_id, slot.starts_at, slot.capacity, slot.booked, _site_facts(site),
                      clinic_closed=clinic.closed_at is not None, offered=offered is not None)
    check_place_bookable(place, atype=type_rule(atype), date_of_birth=date_of_birth, now=now, settings=settings)


def check_place_bookable(
    place: SlotPlace, *, atype: TypeRule, date_of_birth: dt.date, now: dt.datetime, settings: Settings,
) -> None:
    """The booking rules, on what load_slot_for_type read: RuleViolation when they refuse."""
    if place.clinic_closed or not place.site.active:
        raise RuleViolation("clinic_closed")
    if not place.offered or not slot_allowed_for_type(atype, place.starts_at, place.site.paediatric):
        raise RuleViolation("wrong_type", type_name=atype.name, latest_start=atype.latest_start)
    too_old_or_young = age_problem(atype, date_of_birth, to_local(place.starts_at).date())
    if too_old_or_young:
        raise RuleViolation(too_old_or_young, fields={"date_of_birth": too_old_or_young}, code="age")
    earliest, latest = booking_window(
        now, min_notice_minutes=settings.min_notice_minutes, horizon_days=settings.booking_horizon_days
    )
    if place.starts_at < earliest:
        raise RuleViolation("too_soon", notice_minutes=settings.min_notice_minutes)
    if place.starts_at > latest:
        raise RuleViolation("too_far", weeks=settings.booking_horizon_days // 7)


def _claim_chair(session: Session, slot_id: int) -> None:
    """Take one chair in a slot, atomically; SlotFull when none is left. Run on the connection (no
    ORM bulk update: it evaluated the new count in Python for every object in the session)."""
    result = session.connection().execute(_CLAIM_CHAIR, {"slot_id": slot_id})
    if result.rowcount != 1:
        raise SlotFull("slot_taken")
    _forget_loaded(session, Slot, slot_id)


def _forget_loaded(session: Session, model: type[Any], row_id: int) -> None:
    """A row changed on the connection: an entity of it the session already holds (a caller's,
    read before the booking) is expired, so it reads the new values when next used. The booking
    request's own session holds none, so this costs it one check."""
    if session.identity_map:
        loaded = session.identity_map.get(session.identity_key(model, row_id))  # type: ignore[call-overload]
        if loaded is not None:
            session.expire(loaded)


def release_chair(session: Session, slot_id: int) -> None:
    """Give one chair in a slot back (inside the caller's transaction)."""
    session.exec(  # type: ignore[call-overload]
        update(Slot).where(col(Slot.id) == slot_id, col(Slot.booked) > 0).values(booked=Slot.booked - 1)
    )


_PATIENT_COLUMNS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "mobile", "email",
                    "created_at")
# What a booking needs back of the patient's row: its id, the name on the record (compared below)
# and the contact details after the upsert (where the booking's messages go).
_PATIENT_RETURNED = ("id", "given_name", "family_name", "mobile", "email")
# Insert the patient, or update the contact details of (and lock) the row already there for this
# NHS number: never on NHS number alone, only when the date of birth agrees too (else no row comes
# back). The name is never updated: a booking must not change who a patient is. It is compared
# with the returned row in Python (shared.names ignores accents, which SQL cannot do the same way on
# both engines), and a different name rolls the whole booking back, contact details included.
_UPSERT_PATIENT = insert_on_conflict(
    Patient.__table__,  # type: ignore[attr-defined]
    _PATIENT_COLUMNS,
    conflict="nhs_number",
    update={
        "mobile": "COALESCE(NULLIF(excluded.mobile, ''), patient.mobile)",
        "email": "COALESCE(NULLIF(excluded.email, ''), patient.email)",
    },
    where="patient.date_of_birth = excluded.date_of_birth",
    returning=_PATIENT_RETURNED,
)
# A patient without an NHS number: a new row each time.
_INSERT_PATIENT = insert(Patient.__table__).returning(  # type: ignore[attr-defined]
    *(Patient.__table__.c[name] for name in _PATIENT_RETURNED))  # type: ignore[attr-defined]
# Only the new id comes back: every other value of the row is the insert's own.
_INSERT_APPOINTMENT = insert_on_conflict(
    Appointment.__table__,  # type: ignore[attr-defined]
    [c.name for c in Appointment.__table__.columns if c.name != "id"],  # type: ignore[attr-defined]
    conflict="reference",
    returning=("id",),
)


def _patient_for_booking(session: Session, details: PatientDetails, now: dt.datetime) -> PatientFacts:
    """The patient row for these details, locked for the rest of the transaction (plain values)."""
    values = dict(nhs_number=details.nhs_number, given_name=details.given_name, family_name=details.family_name,
                  date_of_birth=details.date_of_birth, postcode=details.postcode, mobile=details.mobile,
                  email=details.email, created_at=now)
    if details.nhs_number is None:
        row = session.connection().execute(_INSERT_PATIENT, values).one()
        return PatientFacts(row[0], None, row[1], row[2], details.date_of_birth, row[3], row[4])
    # One statement, which also locks the row (ON CONFLICT DO UPDATE on PostgreSQL; on SQLite this
    # transaction already holds the write lock), so two first bookings for one NHS number cannot
    # race past the per-patient cap. The date of birth is the one given: the row matched it.
    found = session.connection().execute(_UPSERT_PATIENT, values).first()
    if found is None:
        raise _NotThisPatient(None, "date of birth")
    patient_id, given, family, mobile, email = found
    if not same_name(details.given_name, details.family_name, recorded_given=given, recorded_family=family):
        raise _NotThisPatient(patient_id, "name")
    _forget_loaded(session, Patient, patient_id)  # its contact details may have changed
    return PatientFacts(patient_id, details.nhs_number, given, family, details.date_of_birth, mobile, email)


class _NotThisPatient(Exception):
    """The record for this NHS number has another date of birth or name (never leaves this module:
    the caller sees one RuleViolation whichever it was)."""

    def __init__(self, patient_id: int | None, differs: str):
        super().__init__(differs)
        self.patient_id = patient_id
        self.differs = differs


def _audit_refusal(session: Session, mismatch: _NotThisPatient, *, nhs_number: str | None, source: str,
                   now: dt.datetime) -> None:
    """Record a refused booking against the patient's record (by id: no names, date of birth or
    NHS number copied into the log); commits. Runs after the booking was rolled back."""
    patient_id = mismatch.patient_id
    if patient_id is None:
        patient_id = session.exec(select(Patient.id).where(Patient.nhs_number == nhs_number)).first()
    record(session, actor=Actor(None, source, source), action="booking_refused", patient_id=patient_id,
           now=now, detail=f"The {mismatch.differs} given did not match the patient's record. Nothing was booked.")
    session.commit()


class BookingOverlaps(RuleViolation):
    """The patient already has an active booking at an overlapping time; its value is that
    booking's start (never its reference: the public site shows the date and time only), which
    the API also gives beside the code."""

    def __init__(self, existing_start: dt.datetime):
        super().__init__("overlapping_booking", existing_start=existing_start)


def check_patient_bookings(
    session: Session, *, patient_id: int, starts_at: dt.datetime, minutes: int, now: dt.datetime,
    cap: int | None, moving_id: int = 0, request_day: dt.date | None = None,
) -> bool:
    """Refuse a booking for this patient from `starts_at` for `minutes` that overlaps another of
    their active bookings (BookingOverlaps), or that would take them past `cap` future bookings.
    Call it with the patient's row locked (PostgreSQL) and after the transaction's first write
    (SQLite), so no other booking for them can commit between this check and the insert.
    `moving_id` is the booking being moved by a reschedule, which does not count. With
    `request_day`, also says (in the same statement) whether the patient has an open test
    request whose window holds that London day."""
    since = min(now, starts_at - dt.timedelta(days=1))
    params = {"patient_id": patient_id, "moving_id": moving_id, "since": since}
    open_request = False
    rows: Sequence[Any]
    # On the connection: plain rows, no ORM statement handling (nothing here is an entity).
    if request_day is None:
        rows = session.connection().execute(_ACTIVE_BOOKINGS, params).all()
    else:
        found = session.connection().execute(_BOOKINGS_AND_OPEN_REQUEST, {**params, "day": request_day}).all()
        rows = [(start, length) for start, length, _req in found if start is not None]
        open_request = any(req is not None for _start, _length, req in found)
    ends_at = starts_at + dt.timedelta(minutes=minutes)
    overlapping = sorted(start for start, length in rows
                         if start < ends_at and start + dt.timedelta(minutes=length) > starts_at)
    if overlapping:
        raise BookingOverlaps(overlapping[0])
    active = sum(start > now for start, _length in rows)
    if cap is not None and active >= cap:
        raise RuleViolation("too_many_bookings", active=active)
    return open_request


@dataclass(frozen=True)
class Booked:
    """A new booking, as plain values: the appointment as inserted, the site and type it was made
    for and the patient (as read and written while booking). `appointment` reads the entity, for
    callers that want one (the booking itself never builds it)."""

    booking: BookingFacts
    site: SiteFacts
    atype: BookingType
    patient: PatientFacts
    session: Session = field(repr=False, compare=False)

    @property
    def appointment(self) -> Appointment:
        """The booking's Appointment entity (read by id unless the session holds it)."""
        appointment = self.session.get(Appointment, self.booking.id)
        assert appointment is not None
        return appointment


PUBLIC_SITE = "Public booking site"


def book_appointment(
    *, session: Session, slot_id: int, type_code: str, patient: PatientDetails, now: dt.datetime,
    settings: Settings, request_number: str | None = None, source: str = PUBLIC_SITE,
    channel: str = BookingChannel.WEB,
    once: Once | None = None,
    language: str = "",
    key: KeyProof | None = None,
) -> Booked:
    """Book one chair in a slot for a patient; commits. Raises SlotFull, RuleViolation, NotFound.
    Six statements: read type+slot+site, claim the chair, upsert the patient, read their active
    bookings (overlap and cap), insert the appointment, queue its message (one per channel); a
    seventh with an idempotency key (`once`) stores the answer in the same transaction
    (AnsweredBefore when the key already holds one: nothing is booked). Details that do not
    match the record for the NHS number are refused (RuleViolation identity_mismatch), nothing
    is booked, and the attempt is audited as made by `source` (who booked: the public site or
    an API key). `channel` is kept for the reports (BookingChannel); `language` is the one the
    patient booked in ('' for English), which their messages and letter use. With `key` (the
    partner API), the first statement also proves the API key live. Builds no ORM entity: the
    statements run on the connection and the message and answer are made from their values."""
    atype, place = load_slot_for_type(session, slot_id=slot_id, type_code=type_code, key=key)
    if place is None:
        raise NotFound("slot_not_found", code="slot_not_found")
    check_place_bookable(place, atype=atype, date_of_birth=patient.date_of_birth, now=now, settings=settings)
    if place.booked >= place.capacity:
        # A quick refusal from what was just read; the conditional UPDATE below stays the authority.
        raise SlotFull("slot_taken")
    if request_number:
        # Only a request held for this patient: another's would put their tests on these tubes.
        request_number = request_for_patient(
            session=session, request_number=request_number, nhs_number=patient.nhs_number
        ).request_number
    try:
        with transaction(session):
            # Claim the chair first: when it is gone, nothing else is written (and on SQLite the
            # write lock is let go at once).
            _claim_chair(session, place.slot_id)
            who = _patient_for_booking(session, patient, now)
            day = to_local(place.starts_at).date()
            open_request = False
            if who.nhs_number is not None:
                # A patient without an NHS number is a new row each time: nothing of theirs to overlap.
                open_request = check_patient_bookings(
                    session, patient_id=who.id, starts_at=place.starts_at,
                    minutes=atype.duration_minutes, now=now, cap=settings.max_active_bookings, request_day=day)
            req = _request_for_booking(session, request_number, who, day, now, open_request)
            made = _insert_appointment(session, dict(
                slot_id=place.slot_id, site_id=place.site_id, patient_id=who.id, type_code=atype.code,
                status=AppointmentStatus.BOOKED.value, request_number=req.request_number if req else request_number,
                starts_at=place.starts_at, created_at=now, updated_at=now, channel=channel, language=language,
            ))
            if req is not None:
                request_status.record_booked(session, req=req, appointment=made, now=now, site=place.site)
            queue_booking_message(session=session, booking=made, site=place.site, patient=who, kind="booked",
                                  now=now)
            booked = Booked(booking=made, site=place.site, atype=atype, patient=who, session=session)
            remember_answer(session, once, booked, now)
    except _NotThisPatient as mismatch:  # the transaction has rolled back: nothing written
        _audit_refusal(session, mismatch, nhs_number=patient.nhs_number, source=source, now=now)
        # The same refusal for a different name and a different date of birth, so that trying one
        # after the other does not tell which part was right.
        raise RuleViolation("identity_mismatch") from None
    events.booking_event("made")
    return booked


def _request_for_booking(session: Session, request_number: str | None, patient: PatientFacts, day: dt.date,
                         now: dt.datetime, open_request: bool) -> LabRequest | None:
    """The test request a new booking carries, taken from the open ones (caller's transaction):
    the one whose number was given, or else (when `open_request` says there is one) the
    patient's oldest open request whose window holds the day (only a request that named this
    patient: NHS number and date of birth)."""
    if request_number:
        return request_status.claim_for_booking(session, request_number=request_number, patient=patient, day=day,
                                                now=now)
    if not open_request:
        return None
    return request_status.claim_open_request(session, patient=patient, day=day, now=now)


@cache
def _appointment_defaults() -> dict[str, Any]:
    """Each appointment column's default (the model's), so an insert needs no model object built
    only to be taken apart again."""
    return {name: field.default for name, field in Appointment.model_fields.items()
            if name != "id" and field.default is not PydanticUndefined}


def _insert_appointment(session: Session, values: dict[str, Any]) -> BookingFacts:
    """Insert an appointment under a new random reference; a reference already in use (43 bits
    of randomness: vanishingly rare) is skipped by the unique constraint and another drawn."""
    while True:
        row = {**_appointment_defaults(), **values, "reference": new_reference()}
        made = session.connection().execute(_INSERT_APPOINTMENT, row).first()
        if made is not None:
            return BookingFacts(
                id=made[0], reference=row["reference"], slot_id=row["slot_id"], site_id=row["site_id"],
                patient_id=row["patient_id"], type_code=row["type_code"], status=row["status"],
                request_number=row["request_number"], starts_at=row["starts_at"], version=row["version"],
                language=row["language"], channel=row["channel"])


def find_appointment(*, session: Session, reference: str, date_of_birth: dt.date | None,
                     for_update: bool = False) -> Appointment:
    """The appointment with this reference whose patient has this date of birth. A wrong date
    of birth raises exactly the same NotFound as an unknown reference."""
    ref = normalise_reference(reference) if isinstance(reference, str) else ""
    query = select(Appointment, Patient).join(Patient, col(Patient.id) == col(Appointment.patient_id)).where(
        Appointment.reference == ref
    )
    if for_update:
        query = query.with_for_update(of=Appointment)  # type: ignore[call-arg]
    row = session.exec(query).first() if looks_like_reference(ref) else None
    if row is None or date_of_birth is None or row[1].date_of_birth != date_of_birth:
        raise NotFound("booking_not_found")
    return row[0]


def reschedule_appointment(
    *, session: Session, reference: str, date_of_birth: dt.date | None, new_slot_id: int,
    now: dt.datetime, settings: Settings, type_code: str | None = None, once: Once | None = None,
    language: str | None = None,
) -> Appointment:
    """Move a booking to another slot (any site), keeping its reference: one transaction that
    claims the new chair before it releases the old one. Never onto a time that overlaps
    another of the patient's bookings. `language` (a patient changing it on our pages: the
    language they used, '' for English) becomes the booking's, for its messages and letter."""
    with transaction(session):
        appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth,
                                for_update=True)
        if appt.status != AppointmentStatus.BOOKED:
            raise _unchangeable(appt)
        atype, place = load_slot_for_type(session, slot_id=new_slot_id, type_code=type_code or appt.type_code)
        if place is None:
            raise NotFound("slot_not_found", code="slot_not_found")
        if place.slot_id == appt.slot_id:
            raise RuleViolation("same_slot")
        # Locked, as a booking locks it, so no booking for this patient commits meanwhile.
        patient = session.exec(select(Patient).where(Patient.id == appt.patient_id).with_for_update()).one()
        check_place_bookable(place, atype=atype, date_of_birth=patient.date_of_birth, now=now, settings=settings)
        request_status.check_reschedule(session, appointment=appt, day=to_local(place.starts_at).date())
        old_slot_id = appt.slot_id  # read before the UPDATE, which syncs the object to the new slot
        # Lock both slots in id order, so two reschedules swapping slots cannot deadlock.
        session.exec(select(Slot.id).where(col(Slot.id).in_(sorted({old_slot_id, place.slot_id})))
                     .order_by(col(Slot.id)).with_for_update())
        # Guard against a concurrent change of the same booking (stale reads on SQLite/PG alike).
        moved = session.exec(  # type: ignore[call-overload]
            update(Appointment)
            .where(col(Appointment.id) == appt.id, col(Appointment.version) == appt.version,
                   col(Appointment.status) == AppointmentStatus.BOOKED)
            .values(slot_id=place.slot_id, site_id=place.site_id, starts_at=place.starts_at,
                    type_code=atype.code, updated_at=now, version=Appointment.version + 1,
                    **({} if language is None else {"language": language}))
        )
        if moved.rowcount != 1:
            raise RuleViolation("conflict")
        # After the first write: on SQLite this transaction now holds the write lock.
        check_patient_bookings(session, patient_id=patient.id, starts_at=place.starts_at,  # type: ignore[arg-type]
                               minutes=atype.duration_minutes, now=now, cap=None, moving_id=appt.id)  # type: ignore[arg-type]
        _claim_chair(session, place.slot_id)
        release_chair(session, old_slot_id)
        request_status.on_rescheduled(session, appointment=appt, now=now)
        queue_appointment_message(session=session, appointment=appt, kind="changed", now=now)
        if once is not None:
            session.refresh(appt)
            remember_answer(session, once, appt, now)
    events.booking_event("changed")
    session.refresh(appt)
    return appt


def cancel_appointment(
    *, session: Session, reference: str, date_of_birth: dt.date | None, now: dt.datetime,
    reason: str = "Cancelled by patient", by: CancelledBy = CancelledBy.PATIENT,
    once: Once | None = None,
) -> Appointment:
    """Cancel a booking; its chair is free at once. Cancelling twice is harmless."""
    with transaction(session):
        appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth,
                                for_update=True)
        if appt.status == AppointmentStatus.CANCELLED:
            remember_answer(session, once, appt, now)  # a key is still one request's
            return appt
        slot_id = appt.slot_id
        if appt.status != AppointmentStatus.BOOKED:
            raise _unchangeable(appt)
        done = session.exec(  # type: ignore[call-overload]
            update(Appointment)
            .where(col(Appointment.id) == appt.id, col(Appointment.version) == appt.version,
                   col(Appointment.status) == AppointmentStatus.BOOKED)
            .values(status=AppointmentStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:300],
                    cancelled_by=by.value, updated_at=now, version=Appointment.version + 1)
        )
        if done.rowcount != 1:
            raise RuleViolation("conflict")
        release_chair(session, slot_id)
        request_status.on_booking_ended(session, appointment=appt, now=now, why=f"booking cancelled: {reason}")
        queue_appointment_message(session=session, appointment=appt, kind="cancelled", now=now)
        if once is not None:
            session.refresh(appt)
            remember_answer(session, once, appt, now)
    events.booking_event("cancelled")
    session.refresh(appt)
    return appt


def _unchangeable(appt: Appointment) -> RuleViolation:
    """The refusal to change a booking that is no longer booked (its code: already_<status>)."""
    status = AppointmentStatus(appt.status)
    why = {
        AppointmentStatus.CANCELLED: problem("booking_cancelled"),
        AppointmentStatus.CHECKED_IN: problem("booking_checked_in", starts_at=appt.starts_at),
        AppointmentStatus.COLLECTED: problem("booking_collected"),
        AppointmentStatus.DNA: problem("booking_missed", starts_at=appt.starts_at),
    }.get(status, problem("booking_unchangeable"))
    return RuleViolation(why, code=f"already_{status.value}")
