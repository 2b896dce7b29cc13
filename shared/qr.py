"""The check-in QR code's outward shape, known to the server (which signs and reads it) and to
the kiosk (which refuses any other code before asking for a date of birth)."""

from __future__ import annotations

import re

QR_PREFIX = "PHLEBO1."
QR_MAX_LENGTH = 500
# PREFIX, then itsdangerous URLSafeSerializer output: URL-safe base64 and "." separators.
_SHAPE = re.compile(r"PHLEBO1\.[A-Za-z0-9_\-.]{8,492}")


def looks_like_checkin_qr(text: str) -> bool:
    """True when `text` has the shape of our check-in QR code (the signature is the server's to
    check); any other barcode (a parcel, a prescription, a loyalty card) is False."""
    return len(text) <= QR_MAX_LENGTH and _SHAPE.fullmatch(text) is not None
