"""Closing a clinic day. Its sessions take no more bookings, every booking on it is cancelled by
the service with a message to the patient (through the outbox, in the same transaction), and
the closed day's page keeps, for as long as staff need it, who was told and who must be phoned.

A booking racing the closure cannot survive it: the closure locks the day's slots before it
reads the bookings (so a booking already claiming a chair is waited for, then cancelled), and
ends by setting each slot's capacity to the chairs still in use (patients already checked in),
so a booking that claims a chair afterwards is refused by the conditional UPDATE that enforces
capacity. The planned number of chairs stays on the clinic session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from booking_web.notify.outbox import queue_appointment_message, skip_pending
from booking_web.services.booking import release_chair
from booking_web.services.request_status import on_booking_ended
from booking_web.services.staff_audit import Actor, record
from shared.errors import NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    ClinicSession,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Site,
    Slot,
    WaitlistOffer,
)

REASON_MAX = 160  # it goes into a text message with the time, place and reference


def clean_reason(raw: str) -> str:
    """The reason as patients will read it; ValidationFailed when empty or too long."""
    reason = " ".join(raw.split()).rstrip(".")
    if not reason:
        raise ValidationFailed("closure_reason_missing",
                               fields={"reason": problem("closure_reason_missing")})
    if len(reason) > REASON_MAX:
        too_long = problem("closure_reason_too_long", longest=REASON_MAX)
        raise ValidationFailed(too_long, fields={"reason": too_long})
    return reason


@dataclass(frozen=True)
class ClosurePreview:
    """What closing a day would do, for the admin to confirm."""

    site_id: int
    site_name: str
    day: dt.date
    sessions: tuple[tuple[dt.time, dt.time], ...]
    to_cancel: int
    without_contact: int  # of those cancelled: no mobile and no email, so staff must phone
    checked_in: int  # already at the clinic: not cancelled


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise ValidationFailed("site_missing", fields={"site_id": problem("site_missing")})
    return site


def _no_sessions(site: Site, day: dt.date) -> RuleViolation:
    """No clinic to close that day."""
    return RuleViolation("no_sessions", fields={"day": problem("no_sessions_that_day")},
                         site_name=site.name, day=day)


def _already_closed(site: Site, day: dt.date) -> RuleViolation:
    """Nothing left to close that day."""
    return RuleViolation("already_closed", fields={"day": problem("already_closed_that_day")},
                         site_name=site.name, day=day)


def _sessions(session: Session, site_id: int, day: dt.date) -> list[ClinicSession]:
    return list(
        session.exec(
            select(ClinicSession)
            .where(ClinicSession.site_id == site_id, ClinicSession.date == day)
            .order_by(col(ClinicSession.start_time))
        )
    )


def _bookings(
    session: Session, session_ids: list[int], statuses: tuple[str, ...], *, lock: bool = False
) -> list[tuple[Appointment, Patient]]:
    query = (
        select(Appointment, Patient)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(Slot, col(Slot.id) == Appointment.slot_id)
        .where(col(Slot.session_id).in_(session_ids), col(Appointment.status).in_(statuses))
        .order_by(col(Appointment.starts_at), col(Appointment.id))
    )
    if lock:
        query = query.with_for_update(of=Appointment)  # type: ignore[call-arg]
    return list(session.exec(query).all())


def preview_closure(*, session: Session, site_id: int, day: dt.date) -> ClosurePreview:
    """What closing this site on this day would cancel. RuleViolation when there is no clinic
    that day, or the day is already closed with nothing left to cancel."""
    site = _site(session, site_id)
    clinics = _sessions(session, site_id, day)
    if not clinics:
        raise _no_sessions(site, day)
    ids = [c.id for c in clinics if c.id is not None]
    booked = _bookings(session, ids, (AppointmentStatus.BOOKED,))
    if all(c.closed_at is not None for c in clinics) and not booked:
        raise _already_closed(site, day)
    here = _bookings(session, ids, (AppointmentStatus.CHECKED_IN,))
    session.rollback()
    return ClosurePreview(
        site_id=site_id,
        site_name=site.name,
        day=day,
        sessions=tuple((c.start_time, c.end_time) for c in clinics),
        to_cancel=len(booked),
        without_contact=sum(1 for _a, p in booked if not p.mobile and not p.email),
        checked_in=len(here),
    )


def close_day(
    *, session: Session, site_id: int, day: dt.date, reason: str, actor: Actor, now: dt.datetime
) -> int:
    """Close every session at a site on a day and cancel each booking on it (by the service),
    queueing the CLOSED message to each patient; one transaction, audited. Patients already
    checked in keep their place. Returns how many bookings were cancelled."""
    reason = clean_reason(reason)
    site = _site(session, site_id)
    try:
        clinics = _sessions(session, site_id, day)
        if not clinics:
            raise _no_sessions(site, day)
        ids = [c.id for c in clinics if c.id is not None]
        # The first write: on SQLite it takes the database's write lock for the whole closure.
        newly_closed = session.exec(  # type: ignore[call-overload]
            update(ClinicSession)
            .where(col(ClinicSession.id).in_(ids), col(ClinicSession.closed_at).is_(None))
            .values(closed_at=now, closed_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount
        # PostgreSQL: wait here for any booking that has claimed a chair on this day.
        slot_ids: list[int] = list(
            session.exec(  # type: ignore[arg-type]
                select(Slot.id)
                .where(col(Slot.session_id).in_(ids))
                .order_by(col(Slot.id))
                .with_for_update()
            ).all()
        )
        booked = _bookings(session, ids, (AppointmentStatus.BOOKED,), lock=True)
        if not newly_closed and not booked:
            raise _already_closed(site, day)
        for appt, _patient in booked:
            appt.status, appt.cancelled_at, appt.updated_at = AppointmentStatus.CANCELLED, now, now
            appt.cancel_reason, appt.cancelled_by = reason, CancelledBy.SERVICE.value
            appt.version += 1
            session.flush()
            release_chair(session, appt.slot_id)
            on_booking_ended(session, appointment=appt, now=now, why=f"clinic closed: {reason}")
            queue_appointment_message(
                session=session, appointment=appt, kind="closed", now=now, extra={"reason": reason}
            )
            record(
                session,
                actor=actor,
                action="cancel",
                appointment_id=appt.id,
                now=now,
                detail=f"clinic closed: {reason}",
            )
        # No free chair is left to claim: capacity becomes the chairs still in use.
        session.exec(  # type: ignore[call-overload]
            update(Slot)
            .where(col(Slot.id).in_(slot_ids))
            .values(capacity=Slot.booked)
            .execution_options(synchronize_session=False)
        )
        _withdraw_offers(session, slot_ids, now)
        record(
            session,
            actor=actor,
            action="close_day",
            now=now,
            detail=f"{site.name}, {day.isoformat()}: {reason}; {len(booked)} bookings cancelled",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(booked)


def _withdraw_offers(session: Session, slot_ids: list[int], now: dt.datetime) -> None:
    """Waiting-list offers of a time on the closed day are gone, and their unsent texts too."""
    offer_ids = list(
        session.exec(
            select(WaitlistOffer.id).where(
                col(WaitlistOffer.slot_id).in_(slot_ids),
                WaitlistOffer.status == OfferStatus.OPEN,
            )
        ).all()
    )
    if not offer_ids:
        return
    session.exec(  # type: ignore[call-overload]
        update(WaitlistOffer)
        .where(col(WaitlistOffer.id).in_(offer_ids))
        .values(status=OfferStatus.GONE, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    keys = [f"waitlist-offer:{i}:{c}" for i in offer_ids for c in ("sms", "email")]
    skip_pending(session, col(OutboxMessage.dedup_key).in_(keys), why="the clinic closed that day")


@dataclass(frozen=True)
class ClosedBooking:
    """A booking on a closed day, with how its patient was (or was not) told."""

    appointment_id: int
    reference: str
    status: str
    starts_at: dt.datetime
    given_name: str
    family_name: str
    date_of_birth: dt.date
    nhs_number: str
    mobile: str
    email: str
    messages: tuple[tuple[str, str, str], ...]  # (channel, status, last error) of CLOSED messages

    @property
    def to_phone(self) -> bool:
        """True when no text or email can reach the patient: none to send, or all failed."""
        return all(status in (OutboxStatus.FAILED, OutboxStatus.SKIPPED)
                   for _c, status, _e in self.messages)


@dataclass(frozen=True)
class ClosedDay:
    """A closed day at a site: why, when, and every booking it affected."""

    site_id: int
    site_name: str
    day: dt.date
    reason: str
    closed_at: dt.datetime
    sessions: tuple[tuple[dt.time, dt.time], ...]
    cancelled: tuple[ClosedBooking, ...]
    checked_in: tuple[ClosedBooking, ...]

    @property
    def to_phone(self) -> tuple[ClosedBooking, ...]:
        """Cancelled patients no message reached: staff phone them."""
        return tuple(b for b in self.cancelled if b.to_phone)


def closed_day(*, session: Session, site_id: int, day: dt.date) -> ClosedDay:
    """The closed day's page. NotFound unless the site has a closed session that day."""
    site = session.get(Site, site_id)
    clinics = [c for c in _sessions(session, site_id, day) if c.closed_at is not None]
    if site is None or not clinics:
        raise NotFound("day_not_closed")
    latest = max(clinics, key=lambda c: c.closed_at)  # type: ignore[arg-type,return-value]
    ids = [c.id for c in clinics if c.id is not None]
    cancelled = [
        (a, p)
        for a, p in _bookings(session, ids, (AppointmentStatus.CANCELLED,))
        if a.cancelled_by == CancelledBy.SERVICE
    ]
    here = _bookings(session, ids, (AppointmentStatus.CHECKED_IN, AppointmentStatus.COLLECTED))
    messages: dict[int, list[tuple[str, str, str]]] = {}
    for appointment_id, channel, status, error in session.exec(
        select(
            OutboxMessage.appointment_id,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.last_error,
        )
        .where(
            col(OutboxMessage.appointment_id).in_([a.id for a, _p in cancelled]),
            OutboxMessage.template == "closed",
        )
        .order_by(col(OutboxMessage.id))
    ):
        if appointment_id is not None:
            messages.setdefault(appointment_id, []).append((channel, status, error))

    def view(appt: Appointment, patient: Patient) -> ClosedBooking:
        assert appt.id is not None
        return ClosedBooking(
            appointment_id=appt.id,
            reference=appt.reference,
            status=appt.status,
            starts_at=appt.starts_at,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
            nhs_number=patient.nhs_number or "",
            mobile=patient.mobile,
            email=patient.email,
            messages=tuple(messages.get(appt.id, ())),
        )

    result = ClosedDay(
        site_id=site_id,
        site_name=site.name,
        day=day,
        reason=latest.closed_reason,
        closed_at=latest.closed_at,  # type: ignore[arg-type]
        sessions=tuple((c.start_time, c.end_time) for c in clinics),
        cancelled=tuple(view(a, p) for a, p in cancelled),
        checked_in=tuple(view(a, p) for a, p in here),
    )
    session.rollback()
    return result


@dataclass(frozen=True)
class ClosedDayLink:
    """One closed day in the list of closed days."""

    site_id: int
    site_name: str
    day: dt.date
    reason: str


def closed_days(*, session: Session, first_day: dt.date) -> list[ClosedDayLink]:
    """Days with a closed session from `first_day` on, earliest first (one per site and day)."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            col(ClinicSession.site_id), col(Site.name), col(ClinicSession.date),
            col(ClinicSession.closed_reason),
        )
        .join(Site, col(Site.id) == ClinicSession.site_id)
        .where(col(ClinicSession.closed_at).is_not(None), ClinicSession.date >= first_day)
        .order_by(col(ClinicSession.date), col(Site.name), col(ClinicSession.closed_at).desc())
    ).all()
    seen: dict[tuple[int, dt.date], ClosedDayLink] = {}
    for site_id, name, day, reason in rows:
        seen.setdefault((site_id, day), ClosedDayLink(site_id, name, day, reason))
    return list(seen.values())
