"""Send what is due from the outbox. A worker claims rows with a conditional UPDATE (so two
workers never send the same row), sends with no transaction open, then records the outcome:
sent, retried later with exponential backoff, or failed for staff to see."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from booking_web.notify.outbox import still_wanted
from booking_web.notify.senders import Outgoing, PermanentSendError, Sender, SendError
from shared.config import Settings
from shared.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)  # a worker that dies mid-send frees its claim after this
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    """What one run of the send job did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """The wait before the next try after `attempts` tries: base, 2 x base, 4 x base, ..."""
    seconds = settings.outbox_retry_seconds * 2 ** max(attempts - 1, 0)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def send_due_messages(
    *, engine: Engine, settings: Settings, sender: Sender, now: dt.datetime, limit: int = 100
) -> SendReport:
    """Claim up to `limit` due messages, send each, and record how it went."""
    report = SendReport()
    for message_id, attempts in _claim(engine, now, limit):
        outgoing = _prepare(engine, message_id, now, report)
        if outgoing is None:
            continue
        try:
            provider_id = sender.send(outgoing)
        except SendError as exc:
            _record_failure(engine, settings, message_id, attempts, exc, now, report)
        except Exception as exc:  # a bug or an unexpected library error: retry, and say what it was
            log.exception("outbox: unexpected error sending message %s", message_id)
            _record_failure(
                engine, settings, message_id, attempts, SendError(type(exc).__name__), now, report
            )
        else:
            _finish(
                engine,
                message_id,
                attempts,
                dict(
                    status=OutboxStatus.SENT,
                    sent_at=now,
                    provider_id=provider_id[:100],
                    last_error="",
                ),
            )
            report.sent += 1
    return report


def _claim(engine: Engine, now: dt.datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of the rows this worker now owns; each claim is a conditional UPDATE."""
    due = (
        col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        col(OutboxMessage.next_try_at) <= now,
    )
    claimed = []
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(*due)
            .order_by(col(OutboxMessage.next_try_at), col(OutboxMessage.id))
            .limit(limit)
        ).all()
        for message_id, attempts in rows:
            result = session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id, *due)
                .values(
                    status=OutboxStatus.SENDING,
                    attempts=OutboxMessage.attempts + 1,
                    next_try_at=now + LEASE,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.append((int(message_id), attempts + 1))
        session.commit()
    return claimed


def _prepare(
    engine: Engine, message_id: int, now: dt.datetime, report: SendReport
) -> Outgoing | None:
    """The message to send, or None after marking it skipped because it is no longer wanted."""
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None and message.id is not None
        why_not = still_wanted(session, message, now)
        if why_not:
            message.status, message.last_error = OutboxStatus.SKIPPED, why_not
            session.commit()
            report.skipped += 1
            return None
        outgoing = Outgoing(
            id=message.id,
            channel=message.channel,
            recipient=message.recipient,
            template=message.template,
            personalisation=dict(message.personalisation),
            reference=message.dedup_key,
        )
        session.rollback()  # no open transaction (SQLite: no write lock) while sending
    return outgoing


def _record_failure(
    engine: Engine,
    settings: Settings,
    message_id: int,
    attempts: int,
    exc: SendError,
    now: dt.datetime,
    report: SendReport,
) -> None:
    permanent = isinstance(exc, PermanentSendError) or attempts >= settings.outbox_max_attempts
    error = f"attempt {attempts}: {exc.message}"[:500]
    if permanent:
        _finish(engine, message_id, attempts, dict(status=OutboxStatus.FAILED, last_error=error))
        report.failed += 1
        log.warning("outbox: message %s failed for good after %s attempts", message_id, attempts)
    else:
        _finish(
            engine,
            message_id,
            attempts,
            dict(
                status=OutboxStatus.PENDING,
                last_error=error,
                next_try_at=now + backoff(settings, attempts),
            ),
        )
        report.retrying += 1
        log.info("outbox: message %s will be retried (attempt %s)", message_id, attempts)


def _finish(engine: Engine, message_id: int, attempts: int, values: dict[str, object]) -> None:
    """Record an outcome, unless the claim lapsed and another worker has the row now."""
    with Session(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message_id,
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.attempts) == attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
