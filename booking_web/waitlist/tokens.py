"""The link in a waiting-list offer: signed (itsdangerous), naming one offer and its expiry."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer

from shared.errors import BookingError

_SALT = "phlebo-waitlist-offer"
BAD_LINK = (
    "This link does not work. Check you have the whole link from your message, "
    "or call the booking line."
)


def make_offer_token(*, secret: str, offer_id: int, expires_at: dt.datetime) -> str:
    """A URL-safe token for this offer, good until `expires_at`."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([offer_id, int(expires_at.timestamp())])


def read_offer_token(*, secret: str, token: str) -> tuple[int, dt.datetime]:
    """(offer id, expiry) from a token; BookingError(code='invalid_offer') if forged or garbled."""
    if not isinstance(token, str) or len(token) > 200:
        raise BookingError(BAD_LINK, code="invalid_offer")
    try:
        offer_id, expires = URLSafeSerializer(secret, salt=_SALT).loads(token)
        return int(offer_id), dt.datetime.fromtimestamp(int(expires), dt.UTC)
    except (BadSignature, ValueError, TypeError) as exc:
        raise BookingError(BAD_LINK, code="invalid_offer") from exc


def offer_url(*, public_url: str, token: str) -> str:
    """The absolute link to put in the message."""
    return f"{public_url.rstrip('/')}/waiting-list/offer/{token}"
