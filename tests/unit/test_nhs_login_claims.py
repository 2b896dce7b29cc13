"""NHS login claims to our identity: P9 only when the signed vector of trust and the proofing
level both say so and every detail is usable; anything less is booking-only (P5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from booking_web.nhs_app import in_nhs_app
from booking_web.nhs_login.claims import identity_from_claims

P9 = {"sub": "abc", "vot": "P9.Cp.Cd", "identity_proofing_level": "P9",
      "nhs_number": "9999800017", "given_name": "Joan", "family_name": "Whitfield",
      "birthdate": "1951-06-14", "phone_number": "+447700900456",
      "email": "joan.whitfield@example.com"}


def _with(**changes: Any) -> dict[str, Any]:
    claims = dict(P9, **changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_complete_p9_identity_fills_every_detail():
    identity = identity_from_claims(P9)
    assert identity.level == "P9"
    assert (identity.nhs_number, identity.given_name, identity.family_name) == (
        "9999800017", "Joan", "Whitfield")
    assert identity.date_of_birth == dt.date(1951, 6, 14)
    assert identity.mobile == "07700900456" and identity.email == "joan.whitfield@example.com"


@pytest.mark.parametrize("changes", [
    {"vot": "P5.Cp.Cd"},  # the signed vector says P5, whatever the proofing claim says
    {"identity_proofing_level": "P5"},
    {"given_name": None},  # no profile_extended: no first name to book with
    {"nhs_number": "9999800018"},  # fails the check digit
    {"birthdate": "14/06/1951"},
    {"family_name": "  "},
])
def test_anything_less_is_booking_only_with_nothing_kept(changes):
    identity = identity_from_claims(_with(**changes))
    assert identity.level == "P5"
    assert (identity.nhs_number, identity.given_name, identity.date_of_birth, identity.mobile,
            identity.email) == (None, "", None, "", "")


def test_p0_and_junk_levels():
    assert identity_from_claims(_with(vot="P0.Cp.Cd", identity_proofing_level="P0")).level == "P0"
    assert identity_from_claims(_with(vot="Q9", identity_proofing_level="P9")).level == "P0"
    assert identity_from_claims(_with(vot=None)).level == "P0"  # no vector of trust at all


def test_a_phone_that_is_not_a_uk_mobile_is_left_out():
    assert identity_from_claims(_with(phone_number="+33612345678")).mobile == ""
    assert identity_from_claims(_with(phone_number="+447700900456")).level == "P9"


@pytest.mark.parametrize("agent,inside", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 nhsapp-ios/2.30", True),
    ("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36 nhsapp-android", True),
    ("Mozilla/5.0 (Linux; Android 14) NHSApp-Android/3.1", True),
    ("Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1", False),
    ("Mozilla/5.0 notnhsapp-ios", False),
    ("", False),
])
def test_the_nhs_app_is_known_by_its_user_agent_suffix(agent, inside):
    assert in_nhs_app(agent) is inside
