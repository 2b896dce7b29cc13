"""Messages about a test request, queued in the outbox in the caller's transaction: the
invitation to book (with its signed link), the one reminder, the lapse, and the practice
cancelling it. None carries the patient's name, NHS number or date of birth. Each is in the
patient's language where it is known (the one the request gave, else the one they last booked
in), sent with the Notify template for it (PHLEBO_NOTIFY_TEMPLATE_<T>_<CHANNEL>_<LANG>) or the
English one."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from booking_web.notify.outbox import appointment_details, queue_to_each, recipients, skip_pending
from booking_web.services.request_links import invite_url, make_invite_token
from shared.config import Settings
from shared.locales import offered_language, use_language
from shared.models import Appointment, Channel, LabRequest, OutboxMessage
from shared.request_rules import window_ends_at
from shared.timeutil import format_date

# Messages that only make sense while the request is open (the dispatcher checks again).
WHILE_OPEN = ("invite", "request_reminder")


def channel_words(req: LabRequest) -> str:
    """'by text message and email' (how the patient was told)."""
    names = {Channel.SMS.value: "text message", Channel.EMAIL.value: "email"}
    return "by " + " and ".join(names[c] for c, _ in recipients(req))


def request_language(session: Session, req: LabRequest) -> str:
    """The patient's language for messages about a request: the one the request gave, else
    the one they last booked in (shared.locales; '' is English, also for a patient who has
    never booked)."""
    if req.language:
        return offered_language(req.language)
    if req.patient_id is None:
        return ""
    last = session.exec(
        select(Appointment.language).where(col(Appointment.patient_id) == req.patient_id)
        .order_by(col(Appointment.created_at).desc(), col(Appointment.id).desc()).limit(1)
    ).first()
    return offered_language(last)


def link_for(req: LabRequest, settings: Settings, language: str = "") -> str:
    """The request's invitation link, valid until its window ends (opening the pages in the
    patient's language)."""
    assert req.id is not None and req.latest is not None
    token = make_invite_token(secret=settings.secret_key, request_id=req.id, expires_at=window_ends_at(req.latest))
    return invite_url(public_url=settings.public_url, token=token, language=language)


def _book_by(session: Session, req: LabRequest, settings: Settings | None) -> tuple[str, dict[str, str]]:
    """The patient's language and the values an invitation, reminder or lapse gives: the last
    day to book, written in that language, and (with settings) the link."""
    assert req.latest is not None
    language = request_language(session, req)
    with use_language(language):
        values = {"book_by": format_date(req.latest)}
    if settings is not None:
        values["invite_url"] = link_for(req, settings, language)
    return language, values


def _queue(session: Session, req: LabRequest, *, template: str, key: str, personalisation: dict[str, str],
           now: dt.datetime, expires_at: dt.datetime | None = None, appointment_id: int | None = None,
           language: str = "") -> int:
    return queue_to_each(session=session, to=recipients(req), key=f"{key}:{req.id}", template=template,
                         personalisation=personalisation, now=now, appointment_id=appointment_id,
                         lab_request_id=req.id, expires_at=expires_at, language=language)


def queue_invitation(session: Session, req: LabRequest, *, settings: Settings, now: dt.datetime) -> int:
    """The invitation to book, by every channel the request gave; expires with the window."""
    assert req.latest is not None
    language, personalisation = _book_by(session, req, settings)
    return _queue(session, req, template="invite", key="invite", personalisation=personalisation, now=now,
                  expires_at=window_ends_at(req.latest), language=language)


def queue_reminder(session: Session, req: LabRequest, *, settings: Settings, now: dt.datetime) -> int:
    """The one reminder to book."""
    assert req.latest is not None
    language, personalisation = _book_by(session, req, settings)
    return _queue(session, req, template="request_reminder", key="request-reminder",
                  personalisation=personalisation, now=now, expires_at=window_ends_at(req.latest),
                  language=language)


def queue_lapsed(session: Session, req: LabRequest, *, now: dt.datetime) -> int:
    """The window ended without a test: tell the patient to contact their practice."""
    assert req.latest is not None
    withdraw_open_messages(session, req, why="the request lapsed before this was sent")
    language, personalisation = _book_by(session, req, None)
    return _queue(session, req, template="request_lapsed", key="request-lapsed",
                  personalisation=personalisation, now=now, language=language)


def queue_cancelled(session: Session, req: LabRequest, *, appointment: Appointment | None, now: dt.datetime) -> int:
    """The practice cancelled the request: the patient is told, and whether a booking stays."""
    withdraw_open_messages(session, req, why="the request was cancelled before this was sent")
    if appointment is not None:
        return _queue(session, req, template="request_cancelled_booked", key="request-cancelled",
                      personalisation=appointment_details(session, appointment), now=now,
                      appointment_id=appointment.id, language=appointment.language)
    return _queue(session, req, template="request_cancelled", key="request-cancelled", personalisation={},
                  now=now, language=request_language(session, req))


def withdraw_open_messages(session: Session, req: LabRequest, *, why: str) -> None:
    """Skip an invitation or reminder not yet sent (the request is no longer open)."""
    skip_pending(session, col(OutboxMessage.lab_request_id) == req.id, col(OutboxMessage.template).in_(WHILE_OPEN),
                 why=why)
