"""The words of each message, in GOV.UK Notify's ((placeholder)) syntax. Copy them into the
Notify templates whose ids go in PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>; the local sender
renders them itself. Only reference, date, time, site and how to prepare for the type of test
(and a closed clinic's reason, which staff write for patients to read; for a test request, the
date to book by and the invitation link): no NHS number, birth date or name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.locales import N_, gettext, use_language


@dataclass(frozen=True)
class MessageText:
    """An email subject (unused for SMS) and a body shared by both channels."""

    subject: str
    body: str



# What to do before each type of appointment. One wording for the texts and emails here (as the
# ((preparation)) placeholder) and for the web pages, the letter and the calendar file
# (services/appointment_summary.py), so a fasting patient is told the same thing everywhere.
PREPARATION: dict[str, str] = {
    "fasting": N_("Do not eat or drink anything except water from 10pm the night before your "
                  "test. Keep taking your medicines unless you have been told not to."),
    "gtt": N_("Do not eat or drink anything except water from 10pm the night before your test. "
              "You will be at the clinic for about 2 and a half hours, so bring something to do."),
    "child": N_("You can bring a favourite toy or something to watch. Numbing cream may be "
                "offered."),
    "inr": N_("Bring your yellow anticoagulant book if you have one."),
}
GENERAL_PREPARATION = N_("Drink plenty of water before your test. Wear a top with loose sleeves.")

# Placeholders added after messages were first queued: a message already in the outbox from
# before has none, and is sent with these (Notify refuses a template whose placeholder is missing).
LATER_PLACEHOLDERS = {"preparation": ""}


def preparation_for(type_code: str) -> str:
    """What a message tells a patient to do before this type of appointment: its own advice
    (fasting, glucose tolerance, child, INR), or the general advice."""
    return gettext(PREPARATION.get(type_code, GENERAL_PREPARATION))


TEXTS: dict[str, MessageText] = {  # English; the catalogues hold the other languages' words
    "booked": MessageText(
        subject=N_("Your blood test is booked"),
        body=N_("NHS: your blood test is booked for ((time)) on ((date)) at ((site)), ((address)). "
                "Your reference is ((reference)). ((preparation)) "
                "To change or cancel, go to ((service_url))/manage and enter your reference."),
    ),
    "changed": MessageText(
        subject=N_("Your blood test has changed"),
        body=N_("NHS: your blood test is now at ((time)) on ((date)) at ((site)), ((address)). "
                "Your reference is still ((reference)). ((preparation)) "
                "To change or cancel, go to ((service_url))/manage and enter your reference."),
    ),
    "cancelled": MessageText(
        subject=N_("Your blood test is cancelled"),
        body=N_("NHS: your blood test at ((time)) on ((date)) at ((site)) (reference "
                "((reference))) is cancelled. You can book again at ((service_url))."),
    ),
    "closed": MessageText(
        subject=N_("Your blood test is cancelled because the clinic is closed"),
        body=N_("NHS: we are sorry, we have had to cancel your blood test at ((time)) on "
                "((date)) at ((site)) (reference ((reference))) because the clinic is closed: "
                "((reason)). Please book a new time at ((service_url))/book"),
    ),
    "reminder": MessageText(
        subject=N_("Reminder: your blood test"),
        body=N_("NHS reminder: your blood test is at ((time)) on ((date)) at ((site)), "
                "((address)). Reference ((reference)). ((preparation)) "
                "To change or cancel, go to ((service_url))/manage and enter your reference."),
    ),
    "waitlist_offer": MessageText(
        subject=N_("An earlier blood test time is free"),
        body=N_("NHS: an earlier time is free: ((time)) ((day)) at ((site)). To take it instead "
                "of your booking ((reference)), go to ((offer_url)) before ((offer_expires)). "
                "The first person to accept gets it. To leave the waiting list: ((leave_url))"),
    ),
    # A test request: the invitation to book, one reminder half-way through the window, the
    # window ending without a test, and the practice cancelling it.
    "invite": MessageText(
        subject=N_("Your GP practice has asked for a blood test"),
        body=N_("NHS: Your GP practice has asked for a blood test. Book by ((book_by)): ((invite_url))"),
    ),
    "request_reminder": MessageText(
        subject=N_("Reminder: book your blood test"),
        body=N_("NHS reminder: your GP practice has asked for a blood test and it is not booked yet. "
        "Book by ((book_by)): ((invite_url))"),
    ),
    "request_lapsed": MessageText(
        subject=N_("The time for your blood test has ended"),
        body=N_("NHS: the blood test your GP practice asked for was not done by ((book_by)), so the "
        "request has lapsed. Please contact your practice if you still need it."),
    ),
    "request_cancelled": MessageText(
        subject=N_("Your blood test request was cancelled"),
        body=N_("NHS: your GP practice has cancelled the blood test they asked for, so you do not "
        "need to book it. Contact your practice if you have any questions."),
    ),
    "request_cancelled_booked": MessageText(
        subject=N_("Your GP practice cancelled a blood test request"),
        body=N_("NHS: your GP practice has cancelled the blood test they asked for. Your appointment "
        "at ((time)) on ((date)) at ((site)) (reference ((reference))) is still booked: keep it, "
        "or cancel it at ((service_url))/manage. Contact your practice if you are not sure."),
    ),
}

TEMPLATES = tuple(TEXTS)
_PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")


def render(template: str, personalisation: dict[str, str], language: str = "") -> tuple[str, str]:
    """(subject, body) with every ((placeholder)) filled, in `language` ('' is English: the
    words to copy into the Notify templates for each language); KeyError if one is missing."""
    with use_language(language):
        text = MessageText(gettext(TEXTS[template].subject), gettext(TEXTS[template].body))

    def fill(source: str) -> str:
        return _PLACEHOLDER.sub(lambda m: str(personalisation[m.group(1)]), source)

    return fill(text.subject), fill(text.body)


def placeholders(template: str) -> set[str]:
    """The placeholder names a template uses (subject and body)."""
    text = TEXTS[template]
    return set(_PLACEHOLDER.findall(text.subject + text.body))
