"""Messages about a test request, queued in the outbox in the caller's transaction: the
invitation to book (with its signed link), the one reminder, the lapse, and the practice
cancelling it. None carries the patient's name, NHS number or date of birth."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, col

from booking_web.notify.outbox import appointment_details, queue_message
from booking_web.services.request_links import invite_url, make_invite_token
from shared.config import Settings
from shared.models import Appointment, Channel, LabRequest, OutboxMessage, OutboxStatus
from shared.request_rules import window_ends_at
from shared.timeutil import format_date

# Messages that only make sense while the request is open (the dispatcher checks again).
WHILE_OPEN = ("invite", "request_reminder")


def request_recipients(req: LabRequest) -> list[tuple[str, str]]:
    """(channel, address) pairs the request gave for the patient."""
    found = []
    if req.mobile:
        found.append((Channel.SMS.value, req.mobile))
    if req.email:
        found.append((Channel.EMAIL.value, req.email))
    return found


def channel_words(req: LabRequest) -> str:
    """'by text message and email' (how the patient was told)."""
    names = {Channel.SMS.value: "text message", Channel.EMAIL.value: "email"}
    return "by " + " and ".join(names[c] for c, _ in request_recipients(req))


def link_for(req: LabRequest, settings: Settings) -> str:
    """The request's invitation link, valid until its window ends."""
    assert req.id is not None and req.latest is not None
    token = make_invite_token(secret=settings.secret_key, request_id=req.id, expires_at=window_ends_at(req.latest))
    return invite_url(public_url=settings.public_url, token=token)


def _queue(session: Session, req: LabRequest, *, template: str, key: str, personalisation: dict[str, str],
           now: dt.datetime, expires_at: dt.datetime | None = None, appointment_id: int | None = None) -> int:
    added = 0
    for channel, address in request_recipients(req):
        added += queue_message(
            session=session,
            dedup_key=f"{key}:{req.id}:{channel}",
            channel=channel,
            recipient=address,
            template=template,
            personalisation=personalisation,
            now=now,
            appointment_id=appointment_id,
            lab_request_id=req.id,
            expires_at=expires_at,
        )
    return added


def queue_invitation(session: Session, req: LabRequest, *, settings: Settings, now: dt.datetime) -> int:
    """The invitation to book, by every channel the request gave; expires with the window."""
    assert req.latest is not None
    personalisation = {"book_by": format_date(req.latest), "invite_url": link_for(req, settings)}
    return _queue(session, req, template="invite", key="invite", personalisation=personalisation, now=now,
                  expires_at=window_ends_at(req.latest))


def queue_reminder(session: Session, req: LabRequest, *, settings: Settings, now: dt.datetime) -> int:
    """The one reminder to book."""
    assert req.latest is not None
    personalisation = {"book_by": format_date(req.latest), "invite_url": link_for(req, settings)}
    return _queue(session, req, template="request_reminder", key="request-reminder",
                  personalisation=personalisation, now=now, expires_at=window_ends_at(req.latest))


def queue_lapsed(session: Session, req: LabRequest, *, now: dt.datetime) -> int:
    """The window ended without a test: tell the patient to contact their practice."""
    assert req.latest is not None
    withdraw_open_messages(session, req, why="the request lapsed before this was sent")
    return _queue(session, req, template="request_lapsed", key="request-lapsed",
                  personalisation={"book_by": format_date(req.latest)}, now=now)


def queue_cancelled(session: Session, req: LabRequest, *, appointment: Appointment | None, now: dt.datetime) -> int:
    """The practice cancelled the request: the patient is told, and whether a booking stays."""
    withdraw_open_messages(session, req, why="the request was cancelled before this was sent")
    if appointment is not None:
        return _queue(session, req, template="request_cancelled_booked", key="request-cancelled",
                      personalisation=appointment_details(session, appointment), now=now,
                      appointment_id=appointment.id)
    return _queue(session, req, template="request_cancelled", key="request-cancelled", personalisation={},
                  now=now)


def withdraw_open_messages(session: Session, req: LabRequest, *, why: str) -> None:
    """Skip an invitation or reminder not yet sent (the request is no longer open)."""
    session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.lab_request_id) == req.id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.template).in_(WHILE_OPEN),
        )
        .values(status=OutboxStatus.SKIPPED, last_error=why)
        .execution_options(synchronize_session=False)
    )
