"""The rate limits every lookup shares, for web pages and the API alike."""

from __future__ import annotations

import datetime as dt

from flask import request

from shared.references import normalise_reference

from booking_web.context import db, now, settings
from booking_web.services import ratelimit


def limit_lookup(reference: object, *, per_client: bool = True) -> None:
    """Count a booking lookup against the client's address and against the reference; RateLimited
    past the limit. Partner systems (per_client=False) are limited per reference only: the
    reference limit is what stops date-of-birth guessing, whoever asks."""
    per_minute = settings().lookup_limit_per_minute
    window = dt.timedelta(minutes=1)
    if per_client:
        who = request.remote_addr or "unknown"
        ratelimit.hit(session=db(), key=f"lookup:client:{who}", limit=per_minute, window=window, now=now())
    if isinstance(reference, str) and reference:
        # Only letters and digits go into the key: anything else (a NUL byte, say) is no reference.
        ref = "".join(c for c in normalise_reference(reference) if c.isascii() and c.isalnum())[:20]
        ratelimit.hit(session=db(), key=f"lookup:ref:{ref}", limit=per_minute, window=window, now=now())


def limit_booking() -> None:
    """Count a booking attempt from the public site against the client's address."""
    who = request.remote_addr or "unknown"
    ratelimit.hit(session=db(), key=f"book:client:{who}", limit=settings().booking_limit_per_hour,
                  window=dt.timedelta(hours=1), now=now())
