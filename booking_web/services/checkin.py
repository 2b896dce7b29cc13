"""Kiosk check-in: find the booking (QR or reference, always with the date of birth), check it
is for this site, today and inside the window, then check in once: a queue number from the
per-site-per-day counter (atomic), the status change by a conditional UPDATE, and the labels."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services import ratelimit
from booking_web.services.booking import find_appointment
from booking_web.services.chairs import prints_at_chair
from booking_web.services.idempotency import (
    AnsweredBefore,
    Once,
    api_scope,
    earlier_answer,
    fingerprint,
    remember_answer,
)
from booking_web.services.print_jobs import KioskLabels, create_kiosk_job, kiosk_labels
from booking_web.services.qr import QrClaim, read_qr_payload
from booking_web.services.request_status import on_checked_in
from label_printer import LabelData
from shared.config import Settings
from shared.db import insert_on_conflict
from shared.errors import BookingError, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicSession,
    JobStatus,
    Patient,
    PrintJob,
    QueueCounter,
    Site,
    Slot,
)
from shared.references import normalise_reference
from shared.rules import mask_name
from shared.timeutil import local_day_bounds, london_today, to_local


class CheckinRefused(RuleViolation):
    """The booking exists but cannot be checked in here and now; the kiosk API puts its values
    in the reply beside the code, for the kiosk's own words."""


@dataclass(frozen=True)
class Identified:
    """What the kiosk shows to confirm a booking: the least needed."""

    reference: str
    masked_name: str
    starts_at: dt.datetime
    appointment_type: str
    site_name: str


@dataclass(frozen=True)
class CheckedIn:
    """The result of a check-in (the same on every retry of one attempt)."""

    reference: str
    queue_number: int
    wait_minutes: int
    labels: list[LabelData]
    hand_label: tuple[str, ...]
    job_id: int | None  # None where labels print at the chair: the kiosk prints nothing
    job_status: str


def _labels_outstanding(session: Session, appt: Appointment) -> bool:
    job = session.exec(
        select(PrintJob)
        .where(PrintJob.appointment_id == appt.id, PrintJob.source == "kiosk")
        .order_by(col(PrintJob.id).desc())
    ).first()
    return job is not None and job.status != JobStatus.PRINTED


def _refuse_status(session: Session, appt: Appointment) -> None:
    if appt.status == AppointmentStatus.CANCELLED:
        raise CheckinRefused("cancelled")
    if appt.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.COLLECTED):
        raise CheckinRefused(
            "already_checked_in",
            queue_number=appt.queue_number,
            labels_outstanding=_labels_outstanding(session, appt),
        )
    if appt.status != AppointmentStatus.BOOKED:
        raise CheckinRefused("checkin_missed", code="too_late")


def _check(
    session: Session,
    appt: Appointment,
    *,
    site_id: int,
    now: dt.datetime,
    settings: Settings,
    claim: QrClaim | None = None,
) -> None:
    """Refuse a booking that cannot be checked in at this site now (status first, so a second scan
    of a QR code says 'already checked in' rather than 'invalid')."""
    _refuse_status(session, appt)
    if claim is not None and (
        claim.version != appt.version
        or claim.site_id != appt.site_id
        or claim.day != to_local(appt.starts_at).date()
    ):
        raise BookingError("qr_outdated", code="invalid_qr")
    if appt.site_id != site_id:
        site = session.get(Site, appt.site_id)
        assert site is not None
        raise CheckinRefused(
            "wrong_site",
            site_name=site.name,
            site_address=f"{site.address}, {site.postcode}",
            starts_at=appt.starts_at,
        )
    if to_local(appt.starts_at).date() != london_today(now):
        raise CheckinRefused("wrong_day", starts_at=appt.starts_at)
    opens = appt.starts_at - dt.timedelta(minutes=settings.checkin_early_minutes)
    if now < opens:
        raise CheckinRefused("too_early", checkin_opens_at=to_local(opens).time())
    if now > appt.starts_at + dt.timedelta(minutes=settings.checkin_late_minutes):
        raise CheckinRefused("too_late")


def identify_appointment(
    *,
    session: Session,
    site_id: int,
    api_key_id: int,
    reference: str | None,
    qr: str | None,
    date_of_birth: dt.date,
    now: dt.datetime,
    settings: Settings,
) -> Identified:
    """The booking for a QR scan or reference plus date of birth, if it can be checked in here now.
    A wrong date of birth is the same NotFound as an unknown reference."""
    claim = None
    if qr is not None:
        try:
            claim = read_qr_payload(secret=settings.secret_key, text=qr)
        except BookingError:
            ratelimit.limit_kiosk_lookup(
                session=session, settings=settings, now=now, kiosk_key_id=api_key_id, reference=""
            )
            raise
        reference = claim.reference
    ratelimit.limit_kiosk_lookup(
        session=session, settings=settings, now=now, kiosk_key_id=api_key_id, reference=reference
    )
    appt = find_appointment(session=session, reference=reference or "", date_of_birth=date_of_birth)
    _check(session, appt, site_id=site_id, now=now, settings=settings, claim=claim)
    patient = session.get(Patient, appt.patient_id)
    site = session.get(Site, appt.site_id)
    atype = session.get(AppointmentType, appt.type_code)
    assert patient is not None and site is not None
    return Identified(
        appt.reference,
        mask_name(patient.given_name, patient.family_name),
        appt.starts_at,
        atype.name if atype else appt.type_code,
        site.name,
    )


_NEXT_QUEUE_NUMBER = insert_on_conflict(
    QueueCounter.__table__,  # type: ignore[attr-defined]
    ["site_id", "date", "last_number"],
    conflict="site_id, date",
    update={"last_number": "queue_counter.last_number + 1"},
    returning=["last_number"],
)


def next_queue_number(session: Session, *, site_id: int, day: dt.date) -> int:
    """The next queue number at a site on a London day: one atomic upsert of the day's counter
    row, so simultaneous check-ins get distinct numbers (caller's transaction)."""
    number = session.execute(
        _NEXT_QUEUE_NUMBER, {"site_id": site_id, "date": day, "last_number": 1}
    ).scalar_one()
    return int(number)


def wait_minutes(session: Session, appt: Appointment) -> int:
    """Minutes until this patient is likely seen: the appointment lengths of checked-in patients
    ahead of them at the site today, shared between the clinic's chairs."""
    start, end = local_day_bounds(to_local(appt.starts_at).date())
    ahead = session.exec(
        select(func.coalesce(func.sum(AppointmentType.duration_minutes), 0))
        .select_from(Appointment)
        .join(AppointmentType, col(AppointmentType.code) == Appointment.type_code)
        .where(
            Appointment.site_id == appt.site_id,
            Appointment.status == AppointmentStatus.CHECKED_IN,
            col(Appointment.queue_number) < (appt.queue_number or 0),
            col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < end,
        )
    ).one()
    chairs = (
        session.exec(
            select(ClinicSession.chairs)
            .join(Slot, col(Slot.session_id) == ClinicSession.id)
            .where(Slot.id == appt.slot_id)
        ).first()
        or 1
    )
    return math.ceil(int(ahead) / max(int(chairs), 1))


def _valid_request_id(request_id: object) -> str:
    try:
        parsed = (
            uuid.UUID(request_id) if isinstance(request_id, str) and len(request_id) <= 36 else None
        )
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4:
        raise ValidationFailed("request_id_invalid", fields={"request_id": problem("request_id_uuid")})
    return str(parsed)


def _attempt(done: tuple[int, KioskLabels | None]) -> tuple[int, dict[str, Any]]:
    # What is kept under the attempt's key: where its answer comes from. A resend is answered
    # from it with the labels as they are then (none once printed; REPRINT on one that may have
    # printed), never the first answer's labels again.
    appointment_id, labels = done
    return 200, {"appointment_id": appointment_id, "print_job_id": labels.job.id if labels else None}


def check_in(
    *,
    session: Session,
    site_id: int,
    api_key_id: int,
    reference: str,
    date_of_birth: dt.date,
    request_id: object,
    now: dt.datetime,
    settings: Settings,
    idempotency_key: str | None = None,
) -> CheckedIn:
    """Check a patient in once. The attempt's key is its Idempotency-Key header or else its
    request_id (services/idempotency.py, kept with the check-in in one transaction): a resend
    returns the same queue number and the labels still to print (none once the job was reported
    printed); the key for another check-in is ValidationFailed."""
    once = Once(
        scope=api_scope(api_key_id),
        key=idempotency_key if idempotency_key is not None else _valid_request_id(request_id),
        fingerprint=fingerprint("POST", "/api/v1/kiosk/checkin", {
            "reference": normalise_reference(reference), "date_of_birth": date_of_birth.isoformat()}),
        render=_attempt,
    )
    ratelimit.limit_kiosk_lookup(
        session=session, settings=settings, now=now, kiosk_key_id=api_key_id, reference=reference
    )
    appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth)
    earlier = earlier_answer(session=session, once=once, now=now)
    if earlier is None:
        try:
            _check(session, appt, site_id=site_id, now=now, settings=settings)
        except CheckinRefused:
            # The lookup's rollback expired the booking, so _check read it afresh: the original
            # attempt may have committed in between (checked in, key stored). Its resend gets its
            # answer, not "already checked in".
            earlier = earlier_answer(session=session, once=once, now=now)
            if earlier is None:
                raise
    if earlier is not None:
        return _replay(session, earlier[1], appt)
    try:
        done = _check_in_once(session, appt, once, api_key_id=api_key_id, now=now,
                              settings=settings)
    except (_Lost, IntegrityError, AnsweredBefore):
        # Someone else checked this booking in first: the same attempt (a resend that raced its
        # original) gets the original's answer; anyone else gets "already checked in".
        session.rollback()
        earlier = earlier_answer(session=session, once=once, now=now)
        if earlier is not None:
            return _replay(session, earlier[1], appt)
        session.refresh(appt)
        _refuse_status(session, appt)
        raise RuleViolation("checkin_conflict", code="conflict") from None
    return _checked_in(session, appt, done)


def _check_in_once(
    session: Session,
    appt: Appointment,
    once: Once,
    *,
    api_key_id: int,
    now: dt.datetime,
    settings: Settings,
) -> KioskLabels | None:
    """The queue number, the status change (only from booked), the labels and the attempt's key,
    in one transaction; _Lost when the booking was no longer booked. No labels (None) where they
    print at the chair."""
    number = next_queue_number(session, site_id=appt.site_id, day=london_today(now))
    done = session.exec(  # type: ignore[call-overload]
        update(Appointment)
        .where(col(Appointment.id) == appt.id, col(Appointment.status) == AppointmentStatus.BOOKED)
        .values(
            status=AppointmentStatus.CHECKED_IN,
            checked_in_at=now,
            queue_number=number,
            updated_at=now,
            version=Appointment.version + 1,
        )
    )
    if done.rowcount != 1:
        raise _Lost()
    session.refresh(appt)
    on_checked_in(session, appointment=appt, now=now)
    job = None
    if not prints_at_chair(session, appt.site_id):
        job = create_kiosk_job(session, appt=appt, api_key_id=api_key_id, now=now,
                               settings=settings)
    remember_answer(session, once, (appt.id, job), now)
    session.commit()
    events.checked_in()
    return job


class _Lost(Exception):
    """The conditional UPDATE found the booking no longer booked."""


def _checked_in(session: Session, appt: Appointment, job: KioskLabels | None) -> CheckedIn:
    assert appt.queue_number is not None
    if job is None:  # labels print at the chair
        return CheckedIn(appt.reference, appt.queue_number, wait_minutes(session, appt), [], (),
                         None, "")
    return CheckedIn(
        appt.reference,
        appt.queue_number,
        wait_minutes(session, appt),
        job.labels,
        job.hand_label,
        job.job.id,
        job.job.status,
    )


def _replay(session: Session, attempt: dict[str, Any], appt: Appointment) -> CheckedIn:
    if attempt.get("appointment_id") != appt.id:  # the fingerprint already says so; belt and braces
        raise ValidationFailed("request_id_reused", fields={"request_id": problem("request_id_new")})
    # The booking may have been read before the original attempt committed (a resend racing
    # it): read it again, or its queue number would still be the empty one from before.
    session.refresh(appt)
    if attempt.get("print_job_id") is None:  # labels print at the chair
        return _checked_in(session, appt, None)
    job = session.get(PrintJob, attempt["print_job_id"])
    assert job is not None
    labels = kiosk_labels(session, job=job, appt=appt)
    session.commit()  # keeps the REPRINT marks handed out
    return _checked_in(session, appt, labels)
