"""Fixed-window rate limits kept in the database, so every worker and server shares them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.errors import RateLimited
from shared.models import RateLimitBucket


def hit(*, session: Session, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> None:
    """Count one attempt against `key`; RateLimited once more than `limit` fall in the window.
    Runs and commits in its own transaction, so refused attempts are counted too."""
    key = key[:200]
    start = now - dt.timedelta(seconds=now.timestamp() % window.total_seconds())
    try:
        updated = session.exec(  # type: ignore[call-overload]
            update(RateLimitBucket).where(RateLimitBucket.key == key, RateLimitBucket.window_start == start)
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
        session.exec(update(RateLimitBucket).where(RateLimitBucket.key == key)  # type: ignore[call-overload]
                     .values(count=RateLimitBucket.count + 1))
        session.commit()
    bucket = session.get(RateLimitBucket, key)
    session.refresh(bucket)
    if bucket is not None and bucket.count > limit:
        wait = int((start + window - now).total_seconds()) + 1
        raise RateLimited(f"Too many attempts. Wait {max(wait, 1)} seconds and try again.", code="rate_limited")
