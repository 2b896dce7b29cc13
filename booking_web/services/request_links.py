"""The link in a test request's invitation: signed (itsdangerous), naming one request and the
end of its window, after which it no longer opens anything."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer

from shared.errors import BookingError, problem

_SALT = "phlebo-request-invitation"


def make_invite_token(*, secret: str, request_id: int, expires_at: dt.datetime) -> str:
    """A URL-safe token for this request, good until `expires_at`."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([request_id, int(expires_at.timestamp())])


def read_invite_token(*, secret: str, token: object, now: dt.datetime) -> int:
    """The request id in a token that is genuine and not expired; BookingError(code=
    'invalid_invitation') otherwise (forged, garbled and expired all read the same)."""
    if not isinstance(token, str) or len(token) > 200:
        raise BookingError(problem("invitation_link_bad"), code="invalid_invitation")
    try:
        request_id, expires = URLSafeSerializer(secret, salt=_SALT).loads(token)
        request_id, expires_at = int(request_id), dt.datetime.fromtimestamp(int(expires), dt.UTC)
    except (BadSignature, ValueError, TypeError) as exc:
        raise BookingError(problem("invitation_link_bad"), code="invalid_invitation") from exc
    if now >= expires_at:
        raise BookingError(problem("invitation_link_bad"), code="invalid_invitation")
    return request_id


def invite_url(*, public_url: str, token: str, language: str = "") -> str:
    """The absolute link to put in the message (short: it goes in a text message); for a
    patient known to read another language, it opens the pages in it (?lang=cy)."""
    return f"{public_url.rstrip('/')}/r/{token}" + (f"?lang={language}" if language else "")
