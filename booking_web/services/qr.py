"""The kiosk QR code: a signed token bound to one appointment, its site and its day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from shared.errors import BookingError
from shared.models import Appointment
from shared.qr import QR_MAX_LENGTH
from shared.qr import QR_PREFIX as PREFIX
from shared.timeutil import to_local

_SALT = "phlebo-kiosk-qr"


@dataclass(frozen=True)
class QrClaim:
    """What a verified QR code says."""

    reference: str
    site_id: int
    day: dt.date
    version: int


def make_qr_payload(*, secret: str, appointment: Appointment) -> str:
    """The text to put in the QR code for this appointment as it stands now."""
    body = [appointment.reference, appointment.site_id, to_local(appointment.starts_at).date().isoformat(),
            appointment.version]
    return PREFIX + URLSafeSerializer(secret, salt=_SALT).dumps(body)


def read_qr_payload(*, secret: str, text: str) -> QrClaim:
    """Verify a scanned QR text; BookingError(code='invalid_qr') if forged, altered or unreadable."""
    bad = BookingError("qr_unreadable", code="invalid_qr")
    if not isinstance(text, str) or not text.strip().startswith(PREFIX) or len(text) > QR_MAX_LENGTH:
        raise bad
    try:
        ref, site_id, day, version = URLSafeSerializer(secret, salt=_SALT).loads(text.strip()[len(PREFIX):])
        return QrClaim(str(ref), int(site_id), dt.date.fromisoformat(day), int(version))
    except (BadSignature, ValueError, TypeError) as exc:
        raise bad from exc
