"""Walk-ins at the kiosk: a patient with an open test request but no booking, at a site that takes
walk-ins, is checked in into the same queue with a number and labels, as a booking is. The
site's cap (per hour or per clinic session) is one conditional upsert of a count row, in the
same transaction as the check-in, so simultaneous walk-ins cannot pass it.

Who is asking is proved by NHS number, or name and postcode, each with the date of birth; an
unknown patient, a wrong date of birth and a patient with no open request all get the same
answer, so the kiosk never says whether someone else has a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services import ratelimit
from booking_web.services.chairs import prints_at_chair
from booking_web.services.checkin import (
    CheckedIn,
    CheckinRefused,
    _attempt,
    _checked_in,
    _valid_request_id,
    next_queue_number,
)
from booking_web.services.idempotency import (
    AnsweredBefore,
    Once,
    api_scope,
    earlier_answer,
    fingerprint,
    remember_answer,
)
from booking_web.services.print_jobs import KioskLabels, create_kiosk_job, kiosk_labels
from booking_web.services.request_status import claim_open_request, on_checked_in, record_booked
from booking_web.services.staff_audit import Actor, record
from shared.config import Settings
from shared.db import insert_on_conflict
from shared.errors import NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    ClinicSession,
    ClinicSessionType,
    LabRequest,
    Patient,
    PrintJob,
    Site,
    SiteWalkIns,
    Slot,
    WalkInCount,
    WalkInPer,
)
from shared.names import name_key
from shared.nhs_number import normalise as normalise_nhs_number
from shared.references import new_reference
from shared.request_rules import appointment_type_for
from shared.timeutil import london_today, to_local


@dataclass(frozen=True)
class WalkInIdentity:
    """What the patient typed: an NHS number, or name and postcode; always the date of birth."""

    date_of_birth: dt.date
    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    postcode: str = ""

    def key(self) -> str:
        """A stable form of the identity for the attempt's fingerprint and the rate limit."""
        if self.nhs_number:
            return f"nhs:{normalise_nhs_number(self.nhs_number)}"
        return f"name:{name_key(self.given_name)}:{name_key(self.family_name)}:{_postcode_key(self.postcode)}"


def _postcode_key(postcode: str) -> str:
    return "".join(postcode.split()).upper()


_TAKE_ONE = insert_on_conflict(
    WalkInCount.__table__,  # type: ignore[attr-defined]
    ["site_id", "period", "taken", "cap"],
    conflict="site_id, period",
    update={"taken": "walk_in_count.taken + 1", "cap": "excluded.cap"},
    where="walk_in_count.taken < excluded.cap",
    returning=["taken"],
)


def take_walk_in_place(session: Session, *, setting: SiteWalkIns, clinic: ClinicSession, now: dt.datetime) -> bool:
    """Count one walk-in against the site's cap for this hour or session (caller's transaction);
    False, changing nothing, when the cap is reached."""
    if setting.per == WalkInPer.SESSION:
        period = f"s{clinic.id}"
    else:
        period = f"{to_local(now):%Y-%m-%dT%H}"
    row = session.execute(
        _TAKE_ONE, {"site_id": setting.site_id, "period": period, "taken": 1, "cap": setting.cap}
    ).first()
    return row is not None


def _walk_ins_words(row: SiteWalkIns | None) -> str:
    return f"up to {row.cap} a{'n' if row.per == WalkInPer.HOUR else ''} {row.per}" if row is not None else "none"


def set_walk_ins(*, session: Session, site_id: int, cap: int | None, actor: Actor, now: dt.datetime,
                 per: str = WalkInPer.HOUR) -> SiteWalkIns | None:
    """Let a site take walk-ins, at most `cap` per hour or session (None: it takes none); audited
    (before and after); commits. ValidationFailed changes nothing."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("site_not_found")
    row = session.get(SiteWalkIns, site_id)
    before = _walk_ins_words(row)
    if cap is None:
        if row is not None:
            session.delete(row)
        record(session, actor=actor, action="walk_in_settings", now=now,
               detail=f"{site.name}: walk-ins {before} to none")
        session.commit()
        return None
    if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 500:
        raise ValidationFailed("walk_in_cap_invalid", fields={"cap": problem("walk_in_cap_range")})
    if per not in (WalkInPer.HOUR, WalkInPer.SESSION):
        raise ValidationFailed("walk_in_per_invalid", fields={"per": problem("walk_in_per_choices")})
    row = row or SiteWalkIns(site_id=site_id, cap=cap, per=per)
    row.cap, row.per = cap, str(per)
    session.add(row)
    record(session, actor=actor, action="walk_in_settings", now=now,
           detail=f"{site.name}: walk-ins {before} to {_walk_ins_words(row)}")
    session.commit()
    return row


def _clinic_now(session: Session, site_id: int, now: dt.datetime) -> tuple[ClinicSession, Slot] | None:
    """The open clinic session at the site now, and the slot a walk-in is fitted into (the one
    running now). Walk-ins take no slot's place: they are fitted in by arrival."""
    local = to_local(now)
    clinic = session.exec(
        select(ClinicSession).where(
            ClinicSession.site_id == site_id,
            ClinicSession.date == local.date(),
            col(ClinicSession.start_time) <= local.time(),
            col(ClinicSession.end_time) > local.time(),
            col(ClinicSession.closed_at).is_(None),
        )
    ).first()
    if clinic is None:
        return None
    slot = session.exec(
        select(Slot).where(Slot.session_id == clinic.id, col(Slot.starts_at) <= now)
        .order_by(col(Slot.starts_at).desc())
    ).first() or session.exec(select(Slot).where(Slot.session_id == clinic.id).order_by(col(Slot.starts_at))).first()
    return (clinic, slot) if slot is not None else None


def matching_patient(session: Session, who: WalkInIdentity) -> Patient | None:
    """The one patient whose record matches what was typed (None if none, or if more than one)."""
    if who.nhs_number:
        number = normalise_nhs_number(who.nhs_number)
        found = session.exec(
            select(Patient).where(Patient.nhs_number == number, Patient.date_of_birth == who.date_of_birth)
        ).all()
    else:
        wanted = (name_key(who.given_name), name_key(who.family_name), _postcode_key(who.postcode))
        if not all(wanted):
            return None
        found = [
            p for p in session.exec(select(Patient).where(Patient.date_of_birth == who.date_of_birth))
            if (name_key(p.given_name), name_key(p.family_name), _postcode_key(p.postcode)) == wanted
        ]
    return found[0] if len(found) == 1 else None


def _type_for(session: Session, clinic: ClinicSession, patient: Patient, req: LabRequest, today: dt.date) -> str:
    """The type the request books (a child's test, a fasting test when a test needs fasting, else
    an adult test: request_rules) when the clinic offers it and it fits the patient's age; else the
    clinic's first type that fits their age (as staff would choose)."""
    born = patient.date_of_birth
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    types = session.exec(
        select(AppointmentType)
        .join(ClinicSessionType, col(ClinicSessionType.type_code) == AppointmentType.code)
        .where(ClinicSessionType.session_id == clinic.id)
        .order_by(col(AppointmentType.sort_order), col(AppointmentType.code))
    ).all()
    fitting = [t.code for t in types if (t.min_age_years is None or age >= t.min_age_years)
               and (t.max_age_years is None or age < t.max_age_years)]
    wanted = appointment_type_for(date_of_birth=born, day=today, fasting=req.fasting)
    if wanted in fitting:
        return wanted
    if fitting:
        return fitting[0]
    raise CheckinRefused("no_request")


def walk_in(
    *,
    session: Session,
    site_id: int,
    api_key_id: int,
    who: WalkInIdentity,
    request_id: object,
    now: dt.datetime,
    settings: Settings,
    idempotency_key: str | None = None,
) -> CheckedIn:
    """Check in a walk-in with an open request once: a queue number, the request checked in, the
    labels (as for a booking). Refusals (no_walk_ins, no_clinic, no_request, walk_ins_full)
    change nothing. The attempt's key is its Idempotency-Key header or its request_id: a resend
    gets the same number and the labels still to print."""
    once = Once(
        scope=api_scope(api_key_id),
        key=idempotency_key if idempotency_key is not None else _valid_request_id(request_id),
        fingerprint=fingerprint("POST", "/api/v1/kiosk/walk-in", {
            "who": who.key(), "date_of_birth": who.date_of_birth.isoformat()}),
        render=_attempt,
    )
    earlier = earlier_answer(session=session, once=once, now=now)
    if earlier is not None:
        return _replay(session, earlier[1])
    if session.get(SiteWalkIns, site_id) is None:
        raise CheckinRefused("no_walk_ins")
    ratelimit.limit_kiosk_lookup(
        session=session, settings=settings, now=now, kiosk_key_id=api_key_id, reference=who.key()
    )

    def labels(appt: Appointment) -> KioskLabels | None:
        if prints_at_chair(session, site_id):
            return None
        return create_kiosk_job(session, appt=appt, api_key_id=api_key_id, now=now, settings=settings)

    try:
        admitted = admit_walk_in(session=session, site_id=site_id, who=who, now=now, once=once,
                                 channel=BookingChannel.KIOSK, actor="kiosk", labels=labels)
    except (RuleViolation, AnsweredBefore) as refused:
        # A resend racing its original finds the request claimed or the key taken once the
        # original commits: it gets the original's answer. Anyone else gets the refusal.
        earlier = earlier_answer(session=session, once=once, now=now)
        if earlier is not None:
            return _replay(session, earlier[1])
        if isinstance(refused, AnsweredBefore):
            raise RuleViolation("checkin_conflict", code="conflict") from None
        raise
    return _checked_in(session, admitted.appointment, admitted.labels)


@dataclass(frozen=True)
class Admitted:
    """A walk-in checked in: their booking (with its queue number), the request, what printing
    was arranged (whatever `labels` made), and whether they were taken over the site's cap."""

    appointment: Appointment
    patient: Patient
    request: LabRequest
    labels: Any
    over_cap: bool = False


def admit_walk_in(
    *,
    session: Session,
    site_id: int,
    who: WalkInIdentity,
    now: dt.datetime,
    once: Once,
    channel: BookingChannel,
    actor: str,
    labels: Callable[[Appointment], Any],
    over_cap: bool = False,
    unknown: str = "no_request",
) -> Admitted:
    """The one way a walk-in is checked in (the kiosk's and the staff's): the site takes walk-ins,
    a clinic is running, one patient matches `who`, they have an open request for today and the
    cap has room (`over_cap`: staff may go past it, uncounted), then in one transaction the
    booking, its queue number, the request checked in, `labels(appointment)` and the attempt's
    key (`once`; its render is given the (appointment id, labels) pair); commits. A refusal
    (CheckinRefused: no_walk_ins, no_clinic, `unknown` when no one patient matches, no_request,
    walk_ins_full) changes nothing."""
    setting = session.get(SiteWalkIns, site_id)
    if setting is None:
        raise CheckinRefused("no_walk_ins")
    running = _clinic_now(session, site_id, now)
    if running is None:
        raise CheckinRefused("no_clinic")
    clinic, slot = running
    patient = matching_patient(session, who)
    today = london_today(now)
    beyond = False
    try:
        if patient is None:
            raise CheckinRefused(unknown)
        req = claim_open_request(session, patient=patient, day=today, now=now)
        if req is None:
            raise CheckinRefused("no_request")
        if not take_walk_in_place(session, setting=setting, clinic=clinic, now=now):
            if not over_cap:
                raise CheckinRefused("walk_ins_full")
            beyond = True
        assert patient.id is not None and slot.id is not None
        appt = Appointment(
            reference=new_reference(), slot_id=slot.id, site_id=site_id, patient_id=patient.id,
            type_code=_type_for(session, clinic, patient, req, today), status=AppointmentStatus.BOOKED,
            request_number=req.request_number, starts_at=now, created_at=now, updated_at=now,
            channel=channel, walk_in=True,
        )
        session.add(appt)
        session.flush()
        record_booked(session, req=req, appointment=appt, now=now, actor=actor, how="walk-in")
        number = next_queue_number(session, site_id=site_id, day=today)
        session.exec(  # type: ignore[call-overload]
            update(Appointment).where(col(Appointment.id) == appt.id)
            .values(status=AppointmentStatus.CHECKED_IN, checked_in_at=now, queue_number=number)
        )
        session.refresh(appt)
        on_checked_in(session, appointment=appt, now=now)
        made = labels(appt)
        remember_answer(session, once, (appt.id, made), now)
    except (RuleViolation, AnsweredBefore):
        session.rollback()
        raise
    session.commit()
    events.checked_in()
    return Admitted(appt, patient, req, made, over_cap=beyond)


def _replay(session: Session, attempt: dict[str, object]) -> CheckedIn:
    appt = session.get(Appointment, attempt.get("appointment_id"))
    assert appt is not None
    labels: KioskLabels | None = None
    if attempt.get("print_job_id") is not None:
        job = session.get(PrintJob, attempt["print_job_id"])
        assert job is not None
        labels = kiosk_labels(session, job=job, appt=appt)
        session.commit()  # keeps the REPRINT marks handed out
    return _checked_in(session, appt, labels)
