"""The simulated NHS login's test users: invented people, NHS numbers from the never-issued 999
range, phone numbers from Ofcom's drama range, email addresses at example.com."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestUser:
    """One NHS login account and what NHS login knows about its owner."""

    key: str  # how the sign-in page and tests name the account
    proofing_level: str  # P9 (identity checked), P5 (claimed identity), P0
    given_name: str
    family_name: str
    birthdate: str  # YYYY-MM-DD
    nhs_number: str
    phone_number: str  # E.164, as NHS login gives it
    email: str

    @property
    def sub(self) -> str:
        """The subject identifier: stable per account, not the NHS number."""
        return f"sim-{self.key}-0000-4000-8000"


TEST_USERS: tuple[TestUser, ...] = (
    TestUser(
        key="p9-joan",
        proofing_level="P9",
        given_name="Joan",
        family_name="Whitfield",
        birthdate="1951-06-14",
        nhs_number="9999800017",
        phone_number="+447700900456",
        email="joan.whitfield@example.com",
    ),
    TestUser(
        key="p9-aoife",
        proofing_level="P9",
        given_name="Aoife",
        family_name="Ní Bhriain-Okafor",
        birthdate="1987-02-28",
        nhs_number="9999800025",
        phone_number="+447700900457",
        email="aoife.nibhriain@example.com",
    ),
    TestUser(
        key="p5-sam",
        proofing_level="P5",
        given_name="Sam",
        family_name="Taylor",
        birthdate="1994-09-03",
        nhs_number="9999800033",
        phone_number="+447700900458",
        email="sam.taylor@example.com",
    ),
)


def user_by_key(key: str) -> TestUser | None:
    """The test user with this key, or None."""
    return next((u for u in TEST_USERS if u.key == key), None)
