"""The outbox: messages are added in the same transaction as the change they announce, and a
job sends them later with retries, so a message is never lost and never queued twice."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from booking_web.notify.texts import preparation_for
from booking_web.services.staff_audit import Actor, record
from shared.booking_facts import BookingFacts, PatientFacts, SiteFacts
from shared.db import insert_on_conflict
from shared.errors import NotFound, RuleViolation
from shared.locales import use_language
from shared.models import (
    OPEN_REQUEST_STATUSES,
    Appointment,
    AppointmentStatus,
    Channel,
    LabRequest,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Site,
)
from shared.references import format_reference
from shared.timeutil import format_date, format_time, to_local

log = logging.getLogger(__name__)

AppointmentEvent = Literal["booked", "changed", "cancelled", "closed"]


def recipients(who: Patient | PatientFacts | LabRequest) -> list[tuple[str, str]]:
    """(channel, address) pairs a patient (or the contact a test request gave for them) can be
    reached on: SMS and/or email."""
    found = []
    if who.mobile:
        found.append((Channel.SMS.value, who.mobile))
    if who.email:
        found.append((Channel.EMAIL.value, who.email))
    return found


def appointment_details(session: Session, appointment: Appointment) -> dict[str, str]:
    """The least a message needs (booking_details) for an appointment entity, its site read by id."""
    site = session.get(Site, appointment.site_id)
    assert site is not None
    return booking_details(appointment, site)


def booking_details(booking: Appointment | BookingFacts, site: Site | SiteFacts) -> dict[str, str]:
    """The least a message needs: reference, date, time, site and how to prepare for the type of
    test (no name, NHS number or DOB), written in the language the patient booked in. Every
    message about a booking is personalised here, from an entity or from a booking's plain facts."""
    with use_language(booking.language):
        return {
            "reference": format_reference(booking.reference),
            "date": format_date(to_local(booking.starts_at).date()),
            "time": format_time(booking.starts_at),
            "site": site.name,
            "address": f"{site.address}, {site.postcode}",
            "preparation": preparation_for(booking.type_code),
        }


_INSERT_MESSAGE = insert_on_conflict(
    OutboxMessage.__table__,  # type: ignore[attr-defined]
    ("dedup_key", "channel", "recipient", "template", "personalisation", "status", "attempts", "next_try_at",
     "last_error", "created_at", "provider_id", "appointment_id", "only_if_version", "expires_at", "language",
     "lab_request_id"),
    conflict="dedup_key",
)


def queue_message(
    *,
    session: Session,
    dedup_key: str,
    channel: str,
    recipient: str,
    template: str,
    personalisation: dict[str, Any],
    now: dt.datetime,
    appointment_id: int | None = None,
    only_if_version: int | None = None,
    expires_at: dt.datetime | None = None,
    language: str = "",
    lab_request_id: int | None = None,
) -> bool:
    """Add a message unless one with this key already exists (race-free: INSERT .. ON CONFLICT
    DO NOTHING). Does not commit. True when a row was added. `language` is the patient's
    ('' for English): it picks the Notify template when sent."""
    values = dict(
        dedup_key=dedup_key[:200],
        channel=channel,
        recipient=recipient,
        template=template,
        personalisation=personalisation,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_try_at=now,
        last_error="",
        created_at=now,
        provider_id="",
        appointment_id=appointment_id,
        only_if_version=only_if_version,
        expires_at=expires_at,
        language=language,
        lab_request_id=lab_request_id,
    )
    # RETURNING, not rowcount: psycopg reports no rowcount for a skipped-or-not upsert.
    return session.connection().execute(_INSERT_MESSAGE, values).first() is not None


def queue_to_each(
    *,
    session: Session,
    to: list[tuple[str, str]],
    key: str,
    template: str,
    personalisation: dict[str, Any],
    now: dt.datetime,
    appointment_id: int | None = None,
    only_if_version: int | None = None,
    expires_at: dt.datetime | None = None,
    language: str = "",
    lab_request_id: int | None = None,
) -> int:
    """Queue one message for each (channel, address) in `to`, keyed `{key}:{channel}` (see
    queue_message). Returns how many were added."""
    added = 0
    for channel, address in to:
        added += queue_message(
            session=session,
            dedup_key=f"{key}:{channel}",
            channel=channel,
            recipient=address,
            template=template,
            personalisation=personalisation,
            now=now,
            appointment_id=appointment_id,
            only_if_version=only_if_version,
            expires_at=expires_at,
            language=language,
            lab_request_id=lab_request_id,
        )
    return added


def skip_pending(session: Session, *where: ColumnElement[bool], why: str) -> None:
    """Mark the pending messages that match `where` skipped, with why they are no longer wanted.
    Does not commit."""
    session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING, *where)
        .values(status=OutboxStatus.SKIPPED, last_error=why)
        .execution_options(synchronize_session=False)
    )


def queue_appointment_message(
    *,
    session: Session,
    appointment: Appointment,
    kind: AppointmentEvent,
    now: dt.datetime,
    extra: dict[str, str] | None = None,
) -> int:
    """Queue the booked/changed/cancelled/closed message for an appointment inside the caller's
    transaction (so the change and its message commit or roll back together). A change or a
    cancellation also withdraws reminders and offers queued for the booking as it was.
    `extra` adds placeholders (the closed clinic's reason). Returns how many messages were
    added."""
    if appointment.id is None:
        session.flush()
    patient = session.get(Patient, appointment.patient_id)
    assert patient is not None
    if kind != "booked":
        skip_pending(
            session,
            col(OutboxMessage.appointment_id) == appointment.id,
            col(OutboxMessage.only_if_version).is_not(None),
            col(OutboxMessage.only_if_version) != appointment.version,
            why=f"booking {kind} before this was sent",
        )
    site = session.get(Site, appointment.site_id)
    assert site is not None
    return queue_booking_message(session=session, booking=appointment, site=site, patient=patient, kind=kind,
                                 now=now, extra=extra)


def queue_booking_message(
    *,
    session: Session,
    booking: Appointment | BookingFacts,
    site: Site | SiteFacts,
    patient: Patient | PatientFacts,
    kind: AppointmentEvent,
    now: dt.datetime,
    extra: dict[str, str] | None = None,
) -> int:
    """Queue the `kind` message for a booking, to each of the patient's channels, inside the
    caller's transaction, from what the caller holds (a new booking passes the plain facts it
    read and wrote: no entity is built or read back). Returns how many messages were added."""
    assert booking.id is not None
    details = {**booking_details(booking, site), **(extra or {})}
    return queue_to_each(session=session, to=recipients(patient), key=f"{kind}:{booking.id}:v{booking.version}",
                         template=kind, personalisation=details, now=now, appointment_id=booking.id,
                         language=booking.language)


def still_wanted(session: Session, message: OutboxMessage, now: dt.datetime) -> str:
    """Why a message should no longer go ('' if it should): booking changed, or too late."""
    if message.expires_at is not None and message.expires_at <= now:
        return "too late to be useful"
    if message.only_if_version is not None:
        appt = session.get(Appointment, message.appointment_id) if message.appointment_id else None
        if (
            appt is None
            or appt.status != AppointmentStatus.BOOKED
            or appt.version != message.only_if_version
        ):
            return "booking changed or ended before this was sent"
    if message.lab_request_id is not None and message.template in ("invite", "request_reminder"):
        req = session.get(LabRequest, message.lab_request_id)
        if req is None or req.status not in OPEN_REQUEST_STATUSES:
            return "the test request was booked, cancelled or ended before this was sent"
    return ""


def list_messages(
    *, session: Session, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Messages for the staff outbox page, newest first, optionally of one status."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.exec(query))


def count_by_status(*, session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    counts = {s.value: 0 for s in OutboxStatus}
    counts.update({status: n for status, n in rows})
    return counts


def resend_message(*, session: Session, message_id: int, actor: Actor, now: dt.datetime) -> OutboxMessage:
    """Staff retry of a failed (or skipped) message: back to pending with a fresh set of
    attempts; audited, against the booking it is about; commits. A message that was sent or is
    pending is left alone (and nothing is recorded)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("message_not_found")
    was = message.status
    done = session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.status).in_([OutboxStatus.FAILED, OutboxStatus.SKIPPED]),
        )
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_try_at=now,
            only_if_version=None,
            expires_at=None,
            last_error=f"resent by staff (was: {message.last_error})"[:500],
        )
    )
    if done.rowcount != 1:
        session.rollback()
        raise RuleViolation("not_failed")
    record(session, actor=actor, action="message_resend", now=now, appointment_id=message.appointment_id,
           lab_request_id=message.lab_request_id,
           detail=f"message {message_id}: {message.template} by {message.channel}, was {was}")
    session.commit()
    session.refresh(message)
    log.info("outbox: message %s queued again by staff", message_id)
    return message
