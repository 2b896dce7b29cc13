"""Every rate limit of the service, in one place: fixed windows counted in the database, so every
worker and server shares them. Each limit names what it counts (`<what>:<by>:<value>`); a
reference is counted by its letters and digits alone, however it was typed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from shared.config import Settings
from shared.errors import RateLimited
from shared.models import RateLimitBucket
from shared.references import normalise_reference

LOOKUP_WINDOW = dt.timedelta(minutes=1)
KIOSK_KEY_FACTOR = 6  # a kiosk serves a whole waiting room: this many times more
BOOKING_WINDOW = dt.timedelta(hours=1)
LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_LIMIT_PER_USER = 5
LOGIN_LIMIT_PER_ADDRESS = 20
NHS_LOGIN_STARTS_PER_MINUTE = 20  # each trip to NHS login stores a row


def limit_lookup(
    *,
    session: Session,
    settings: Settings,
    now: dt.datetime,
    reference: object,
    client: str | None = None,
) -> None:
    """A booking looked up by reference and date of birth (web pages, partner API): counted
    against the reference, and against the client's address when there is one; RateLimited past
    either. The reference limit is what stops date-of-birth guessing, whoever asks; partner
    systems (no client address) serve many patients and are limited per reference only."""
    per_minute = settings.lookup_limit_per_minute
    if client is not None:
        hit(
            session=session,
            key=f"lookup:client:{client}",
            limit=per_minute,
            window=LOOKUP_WINDOW,
            now=now,
        )
    ref = _reference_key(reference)
    if ref:
        hit(
            session=session,
            key=f"lookup:ref:{ref}",
            limit=per_minute,
            window=LOOKUP_WINDOW,
            now=now,
        )


def limit_kiosk_lookup(
    *,
    session: Session,
    settings: Settings,
    now: dt.datetime,
    kiosk_key_id: int,
    reference: object,
) -> None:
    """A kiosk looking up a booking: counted against the kiosk's key (which serves a whole
    waiting room) and against the reference; RateLimited past either."""
    per_minute = settings.lookup_limit_per_minute
    hit(
        session=session,
        key=f"kiosk:key:{kiosk_key_id}",
        limit=per_minute * KIOSK_KEY_FACTOR,
        window=LOOKUP_WINDOW,
        now=now,
    )
    ref = _reference_key(reference)
    if ref:
        hit(
            session=session, key=f"kiosk:ref:{ref}", limit=per_minute, window=LOOKUP_WINDOW, now=now
        )


def limit_booking(*, session: Session, settings: Settings, now: dt.datetime, client: str) -> None:
    """A booking attempt from the public site, counted against the client's address."""
    hit(
        session=session,
        key=f"book:client:{client}",
        limit=settings.booking_limit_per_hour,
        window=BOOKING_WINDOW,
        now=now,
    )


def limit_sign_in(*, session: Session, now: dt.datetime, address: str, username: str) -> None:
    """A staff sign-in attempt, counted against the address and the username (before the
    password is checked)."""
    hit(
        session=session,
        key=f"login:addr:{address}",
        limit=LOGIN_LIMIT_PER_ADDRESS,
        window=LOGIN_WINDOW,
        now=now,
    )
    hit(
        session=session,
        key=f"login:user:{username.strip().lower()[:60]}",
        limit=LOGIN_LIMIT_PER_USER,
        window=LOGIN_WINDOW,
        now=now,
    )


def limit_nhs_login_start(*, session: Session, now: dt.datetime, address: str) -> None:
    """A patient leaving for NHS login, counted against their address."""
    hit(session=session, key=f"nhslogin:addr:{address}", limit=NHS_LOGIN_STARTS_PER_MINUTE,
        window=LOOKUP_WINDOW, now=now)


def _reference_key(reference: object) -> str:
    """Only letters and digits go into a key: anything else (a NUL byte, say) is no reference."""
    if not isinstance(reference, str):
        return ""
    return "".join(c for c in normalise_reference(reference) if c.isascii() and c.isalnum())[:20]


def hit(*, session: Session, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> None:
    """Count one attempt against `key`; RateLimited once more than `limit` fall in the window.
    Runs and commits in its own transaction, so refused attempts are counted too."""
    key = key[:200]
    start = now - dt.timedelta(seconds=now.timestamp() % window.total_seconds())
    try:
        updated = session.exec(  # type: ignore[call-overload]
            update(RateLimitBucket)
            .where(col(RateLimitBucket.key) == key, col(RateLimitBucket.window_start) == start)
            .values(count=RateLimitBucket.count + 1)
        ).rowcount
        if not updated:
            bucket = session.get(RateLimitBucket, key)
            if bucket is None:
                session.add(RateLimitBucket(key=key, window_start=start, count=1))
            else:
                bucket.window_start, bucket.count = start, 1
        session.commit()
    except IntegrityError:
        session.rollback()  # a concurrent first hit made the row: count ours against it
        session.exec(
            update(RateLimitBucket)
            .where(col(RateLimitBucket.key) == key)
            .values(count=RateLimitBucket.count + 1)
        )
        session.commit()
    bucket = session.get(RateLimitBucket, key)
    session.refresh(bucket)
    if bucket is not None and bucket.count > limit:
        wait = int((start + window - now).total_seconds()) + 1
        raise RateLimited("rate_limited", wait_seconds=max(wait, 1))
