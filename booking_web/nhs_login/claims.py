"""Who NHS login says the patient is: its checked claims turned into our identity.

An identity counts as P9 (checked: details filled in and bookings shown) only when the signed
ID token's vector of trust and the identity proofing level both say P9 and every detail we need
is there and well formed; otherwise it is treated as P5 (details typed, booking only)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from booking_web.services.nhs_login import Identity
from shared import nhs_number
from shared.validation import clean_email, clean_mobile, clean_name

log = logging.getLogger(__name__)


def _level(raw: object) -> int:
    """'P9.Cp.Cd' or 'P9' -> 9; anything else -> 0."""
    text = str(raw or "").split(".")[0]
    return int(text[1:]) if text[:1] == "P" and text[1:].isdigit() else 0


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The identity in checked ID token and UserInfo claims (no claim is trusted beyond its
    level: a lower `vot` or proofing level lowers the whole identity)."""
    level = min(_level(claims.get("vot")), _level(claims.get("identity_proofing_level")))
    number = nhs_number.normalise(str(claims.get("nhs_number") or ""))
    given, given_problem = clean_name(str(claims.get("given_name") or "")[:100], "given")
    family, family_problem = clean_name(str(claims.get("family_name") or "")[:100], "family")
    try:
        born: dt.date | None = dt.date.fromisoformat(str(claims.get("birthdate") or ""))
    except ValueError:
        born = None
    mobile, mobile_problem = clean_mobile(str(claims.get("phone_number") or "")[:40])
    email, email_problem = clean_email(str(claims.get("email") or "")[:300])
    complete = {
        "nhs_number": nhs_number.is_valid(number),
        "given_name": given_problem is None,
        "family_name": family_problem is None,
        "birthdate": born is not None,
    }
    if level >= 9 and not all(complete.values()):
        # Which claims, never their values: the log must not carry personal details.
        missing = ", ".join(k for k, ok in complete.items() if not ok)
        log.warning("NHS login P9 identity without usable %s: treated as P5", missing)
        level = 5
    verified = level >= 9
    return Identity(
        subject=str(claims["sub"]),
        level=f"P{level}" if level in (5, 9) else "P0",
        nhs_number=number if verified else None,
        given_name=given if verified else "",
        family_name=family if verified else "",
        date_of_birth=born if verified else None,
        mobile=mobile if verified and mobile_problem is None else "",
        email=email if verified and email_problem is None else "",
    )
