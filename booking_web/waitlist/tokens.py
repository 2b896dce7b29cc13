"""The links in a waiting-list offer, signed (itsdangerous): one names the offer and its expiry;
the other names the waiting-list entry, to leave the list (it never expires: it can only stop
offers)."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer

from shared.errors import BookingError

_SALT = "phlebo-waitlist-offer"
_LEAVE_SALT = "phlebo-waitlist-leave"


def make_offer_token(*, secret: str, offer_id: int, expires_at: dt.datetime) -> str:
    """A URL-safe token for this offer, good until `expires_at`."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([offer_id, int(expires_at.timestamp())])


def read_offer_token(*, secret: str, token: str) -> tuple[int, dt.datetime]:
    """(offer id, expiry) from a token; BookingError(code='invalid_offer') if forged or garbled."""
    if not isinstance(token, str) or len(token) > 200:
        raise BookingError("offer_link_broken", code="invalid_offer")
    try:
        offer_id, expires = URLSafeSerializer(secret, salt=_SALT).loads(token)
        return int(offer_id), dt.datetime.fromtimestamp(int(expires), dt.UTC)
    except (BadSignature, ValueError, TypeError) as exc:
        raise BookingError("offer_link_broken", code="invalid_offer") from exc


def offer_url(*, public_url: str, token: str, language: str = "") -> str:
    """The absolute link to put in the message (opening the pages in the patient's language,
    ?lang=cy, when they booked in another)."""
    return f"{public_url.rstrip('/')}/waiting-list/offer/{token}" + (f"?lang={language}" if language else "")


def make_leave_token(*, secret: str, entry_id: int) -> str:
    """A URL-safe token that lets its holder take this entry off the waiting list."""
    return URLSafeSerializer(secret, salt=_LEAVE_SALT).dumps(entry_id)


def read_leave_token(*, secret: str, token: str) -> int:
    """The entry id from a leave token; BookingError(code='invalid_offer') if forged or garbled."""
    if not isinstance(token, str) or len(token) > 200:
        raise BookingError("offer_link_broken", code="invalid_offer")
    try:
        return int(URLSafeSerializer(secret, salt=_LEAVE_SALT).loads(token))
    except (BadSignature, ValueError, TypeError) as exc:
        raise BookingError("offer_link_broken", code="invalid_offer") from exc


def leave_url(*, public_url: str, token: str, language: str = "") -> str:
    """The absolute link to leave the waiting list, for messages (in the patient's language)."""
    return f"{public_url.rstrip('/')}/waiting-list/leave/{token}" + (f"?lang={language}" if language else "")
