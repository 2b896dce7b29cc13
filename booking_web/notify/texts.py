"""The words of each message, in GOV.UK Notify's ((placeholder)) syntax. Copy them into the
Notify templates whose ids go in PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>; the local sender
renders them itself. Only reference, date, time and site (and a closed clinic's reason, which
staff write for patients to read): no NHS number, birth date or name."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageText:
    """An email subject (unused for SMS) and a body shared by both channels."""

    subject: str
    body: str


_CLOSING = "To change or cancel, go to ((service_url))/manage and enter your reference."

TEXTS: dict[str, MessageText] = {
    "booked": MessageText(
        subject="Your blood test is booked",
        body="NHS: your blood test is booked for ((time)) on ((date)) at ((site)), ((address)). "
        "Your reference is ((reference)). " + _CLOSING,
    ),
    "changed": MessageText(
        subject="Your blood test has changed",
        body="NHS: your blood test is now at ((time)) on ((date)) at ((site)), ((address)). "
        "Your reference is still ((reference)). " + _CLOSING,
    ),
    "cancelled": MessageText(
        subject="Your blood test is cancelled",
        body="NHS: your blood test at ((time)) on ((date)) at ((site)) (reference ((reference))) "
        "is cancelled. You can book again at ((service_url)).",
    ),
    "closed": MessageText(
        subject="Your blood test is cancelled because the clinic is closed",
        body="NHS: we are sorry, we have had to cancel your blood test at ((time)) on ((date)) "
        "at ((site)) (reference ((reference))) because the clinic is closed: ((reason)). "
        "Please book a new time at ((service_url))/book",
    ),
    "reminder": MessageText(
        subject="Reminder: your blood test",
        body="NHS reminder: your blood test is at ((time)) on ((date)) at ((site)), ((address)). "
        "Reference ((reference)). " + _CLOSING,
    ),
    "waitlist_offer": MessageText(
        subject="An earlier blood test time is free",
        body="NHS: an earlier time is free: ((time)) on ((date)) at ((site)). To take it "
        "instead of "
        "your booking ((reference)), go to ((offer_url)) before ((offer_expires)). "
        "The first person to accept gets it.",
    ),
}

TEMPLATES = tuple(TEXTS)
_PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")


def render(template: str, personalisation: dict[str, str]) -> tuple[str, str]:
    """(subject, body) with every ((placeholder)) filled; KeyError if one is missing."""
    text = TEXTS[template]

    def fill(source: str) -> str:
        return _PLACEHOLDER.sub(lambda m: str(personalisation[m.group(1)]), source)

    return fill(text.subject), fill(text.body)


def placeholders(template: str) -> set[str]:
    """The placeholder names a template uses (subject and body)."""
    text = TEXTS[template]
    return set(_PLACEHOLDER.findall(text.subject + text.body))
