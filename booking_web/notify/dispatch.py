"""Send what is due from the outbox, so that each message reaches the provider once, and none
waits long behind a sender that died.

- A sender claims a few rows at a time (BATCH_SIZE) with a conditional UPDATE, holding them for a
  short lease (settings.outbox_lease_seconds) that it renews for the rest of the batch after each
  send. It sends with no transaction open, then records the outcome: sent, retried later with
  exponential backoff, or failed for staff to see.
- The scheduler runs this under the job's lock (scheduler/locks.py: a PostgreSQL advisory lock,
  a file lock on SQLite), which dies with its holder. So the holder knows that a row still
  'sending' was left by a sender that is gone, and takes it over at once (`exclusive`); without
  the lock a row is taken over only when its lease has run out.
- A row that may already have gone (it was claimed before: the last sender may have died after
  the provider took it, or lost the provider's answer) is looked up at the provider by its
  reference (the row's key) and sent only if the provider has nothing under it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exists, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from booking_web.notify.outbox import still_wanted
from booking_web.notify.senders import Outgoing, PermanentSendError, Sender, SendError
from shared.config import Settings
from shared.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 5  # rows claimed at a time: a sender that dies holds no more than these
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    """What one run of the send job did (`found`: already at the provider, not sent again)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    found: int = 0


@dataclass(frozen=True)
class _Claim:
    id: int
    attempts: int  # counting this one
    maybe_gone: bool  # claimed before: the provider may already have it


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """The wait before the next try after `attempts` tries: base, 2 x base, 4 x base, ..."""
    seconds = settings.outbox_retry_seconds * 2 ** max(attempts - 1, 0)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def send_due_messages(
    *, engine: Engine, settings: Settings, sender: Sender, now: dt.datetime, limit: int = 100,
    exclusive: bool = False, clock: Callable[[], dt.datetime] | None = None,
) -> SendReport:
    """Send up to `limit` due messages, BATCH_SIZE at a time, and record how each went.
    `exclusive`: the caller holds the send job's lock, so rows left 'sending' are taken over at
    once. `clock` (default: `now` throughout) dates leases and outcomes as time passes."""
    clock = clock or (lambda: now)
    lease = dt.timedelta(seconds=settings.outbox_lease_seconds)
    report = SendReport()
    handled = 0
    while handled < limit:
        batch = _claim(engine, clock(), min(BATCH_SIZE, limit - handled), lease, exclusive)
        if not batch:
            break
        for i, claim in enumerate(batch):
            if i:
                _renew(engine, batch[i:], clock() + lease)
            _send_one(engine, settings, sender, claim, clock(), report)
        handled += len(batch)
    return report


def _send_one(engine: Engine, settings: Settings, sender: Sender, claim: _Claim, now: dt.datetime,
              report: SendReport) -> None:
    outgoing = _prepare(engine, claim, now, report)
    if outgoing is None:
        return
    try:
        provider_id = sender.find(outgoing) if claim.maybe_gone else None
        if provider_id is not None:
            report.found += 1
            log.info("outbox: message %s was already with the provider; not sent again", claim.id)
        else:
            provider_id = sender.send(outgoing)
            report.sent += 1
    except SendError as exc:
        _record_failure(engine, settings, claim, exc, now, report)
    except Exception as exc:  # a bug or an unexpected library error: retry, and say what it was
        log.exception("outbox: unexpected error sending message %s", claim.id)
        _record_failure(engine, settings, claim, SendError(type(exc).__name__), now, report)
    else:
        _finish(engine, claim, dict(status=OutboxStatus.SENT, sent_at=now, provider_id=provider_id[:100],
                                    last_error=""))


def _claim(engine: Engine, now: dt.datetime, size: int, lease: dt.timedelta, exclusive: bool) -> list[_Claim]:
    """Up to `size` due rows, oldest first, each taken by a conditional UPDATE."""
    pending = (col(OutboxMessage.status) == OutboxStatus.PENDING) & (col(OutboxMessage.next_try_at) <= now)
    left = col(OutboxMessage.status) == OutboxStatus.SENDING
    if not exclusive:
        left = left & (col(OutboxMessage.next_try_at) <= now)  # its lease has run out
    earlier = aliased(OutboxMessage)
    # HL7 messages about one request go in the order they were queued: one waits while an earlier
    # one to the same place is still to be delivered (retrying, or being sent).
    in_order = or_(col(OutboxMessage.channel) != "hl7", col(OutboxMessage.lab_request_id).is_(None), ~exists().where(
        earlier.channel == "hl7", earlier.recipient == OutboxMessage.recipient,
        earlier.lab_request_id == OutboxMessage.lab_request_id, earlier.id < OutboxMessage.id,
        col(earlier.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])))
    due = (pending | left) & in_order
    claimed = []
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.status)
            .where(due).order_by(col(OutboxMessage.id)).limit(size)
        ).all()
        for message_id, attempts, status in rows:
            taken = session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.attempts) == attempts, due)
                .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1,
                        next_try_at=now + lease)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                gone = status == OutboxStatus.SENDING or attempts > 0
                claimed.append(_Claim(int(message_id), attempts + 1, gone))  # type: ignore[arg-type]
        session.commit()
    return claimed


def _renew(engine: Engine, claims: list[_Claim], until: dt.datetime) -> None:
    """Hold the rest of the batch for another lease (only rows still ours)."""
    ours = or_(*((col(OutboxMessage.id) == c.id) & (col(OutboxMessage.attempts) == c.attempts) for c in claims))
    with Session(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(ours, col(OutboxMessage.status) == OutboxStatus.SENDING)
            .values(next_try_at=until)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _prepare(engine: Engine, claim: _Claim, now: dt.datetime, report: SendReport) -> Outgoing | None:
    """The message to send, or None after marking it skipped because it is no longer wanted."""
    with Session(engine) as session:
        message = session.get(OutboxMessage, claim.id)
        assert message is not None and message.id is not None
        why_not = still_wanted(session, message, now)
        if why_not:
            session.rollback()
            _finish(engine, claim, dict(status=OutboxStatus.SKIPPED, last_error=why_not))
            report.skipped += 1
            return None
        outgoing = Outgoing(
            id=message.id,
            channel=message.channel,
            recipient=message.recipient,
            template=message.template,
            personalisation=dict(message.personalisation),
            reference=message.dedup_key,  # the row's key: how the provider finds it again
            language=message.language,
        )
        session.rollback()  # no open transaction (SQLite: no write lock) while sending
    return outgoing


def _record_failure(
    engine: Engine, settings: Settings, claim: _Claim, exc: SendError, now: dt.datetime, report: SendReport,
) -> None:
    permanent = isinstance(exc, PermanentSendError) or claim.attempts >= settings.outbox_max_attempts
    error = f"attempt {claim.attempts}: {exc.message}"[:500]
    if permanent:
        _finish(engine, claim, dict(status=OutboxStatus.FAILED, last_error=error))
        report.failed += 1
        log.warning("outbox: message %s failed for good after %s attempts", claim.id, claim.attempts)
    else:
        _finish(engine, claim, dict(status=OutboxStatus.PENDING, last_error=error,
                                    next_try_at=now + backoff(settings, claim.attempts)))
        report.retrying += 1
        log.info("outbox: message %s will be retried (attempt %s)", claim.id, claim.attempts)


def _finish(engine: Engine, claim: _Claim, values: dict[str, object]) -> None:
    """Record an outcome, unless the claim lapsed and another sender has the row now."""
    with Session(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == claim.id,
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.attempts) == claim.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
