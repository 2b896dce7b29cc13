"""Plain words for patients, shared by the screens and the headless check-in (no Qt)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared.timeutil import format_date, format_time, to_local

SPEAK_TO_RECEPTION = "Please speak to reception."


@dataclass(frozen=True)
class ProblemText:
    """A problem screen: a heading, a short explanation, and what to do."""

    title: str
    body: str
    action: str = SPEAK_TO_RECEPTION
    queue_number: int | None = None
    checked_in: bool = False


def wait_text(minutes: int | None) -> str:
    """'Your wait is about 15 minutes', in words a patient expects."""
    if minutes is None:
        return ""
    if minutes <= 5:
        return "You should be seen soon."
    return f"Your wait is about {minutes} minutes."


def problem_text(code: str, extra: dict[str, Any] | None = None,
                 today: dt.date | None = None) -> ProblemText:
    """What to tell the patient for an error code from the server (or the kiosk); `today` (the
    kiosk's London date by default) tells a missed appointment from one still to come."""
    extra = extra or {}
    queue = extra.get("queue_number")
    queue_number = int(queue) if isinstance(queue, int | str) and str(queue).isdigit() else None
    if code == "too_early":
        opens = extra.get("checkin_opens_at")
        when = (f"You can check in from {opens}." if opens
                else "You can check in closer to your appointment time.")
        return ProblemText("It is too early to check in", f"{when} Please take a seat until then.",
                           "If you need help, please speak to reception.")
    if code == "already_checked_in":
        body = "You do not need to check in again."
        action = "If you need help, please speak to reception."
        if extra.get("labels_outstanding"):
            body = "Your labels have not printed yet."
            action = "Please speak to reception about your labels."
        return ProblemText("You are already checked in", body, action, queue_number, True)
    if code == "wrong_day":
        when = _when(extra.get("starts_at"), today)
        if when is not None:
            day, time, past = when
            if past:
                return ProblemText("Your appointment was on a different day",
                                   f"Your appointment was on {day} at {time}.",
                                   "Please speak to reception about a new appointment.")
            return ProblemText("Your appointment is on a different day",
                               f"Your appointment is on {day} at {time}. Please come back then.",
                               "If you need help, please speak to reception.")
    if code == "wrong_site":
        name, address = extra.get("site_name"), extra.get("site_address")
        if isinstance(name, str) and name:
            where = f"{name}, {address}" if isinstance(address, str) and address else name
            when = _when(extra.get("starts_at"), today)
            on = f", on {when[0]} at {when[1]}" if when is not None else ""
            return ProblemText("This appointment is at a different place",
                               f"Your appointment is at {where}{on}.",
                               "If you need help, please speak to reception.")
    if code == "printer_fault":
        return ProblemText("You're checked in", "Your labels did not print.",
                           "Please speak to reception about your labels.", queue_number, True)
    title, body = _SIMPLE.get(code, _SIMPLE["error"])
    return ProblemText(title, body)


def _when(starts_at: object, today: dt.date | None = None) -> tuple[str, str, bool] | None:
    """('Tuesday 24 November 2026', '10:30am', is it a past day) from the server's starts_at."""
    if not isinstance(starts_at, str):
        return None
    try:
        instant = dt.datetime.fromisoformat(starts_at)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    local_day = to_local(instant).date()
    past = local_day < (today or to_local(dt.datetime.now(dt.UTC)).date())
    return format_date(local_day), format_time(instant), past


_SIMPLE: dict[str, tuple[str, str]] = {
    "too_late": ("It is too late to check in here",
                 "The time for your appointment has passed."),
    "cancelled": ("This appointment was cancelled", "We cannot check you in for it."),
    "wrong_site": ("This appointment is at a different place",
                   "Please check the address on your letter or text."),
    "wrong_day": ("Your appointment is on a different day",
                  "Please check the date on your letter or text."),
    "not_found": ("We could not find your appointment",
                  "The booking reference or the date of birth did not match."),
    "invalid_qr": ("We could not use this QR code",
                   "It may be for a different day, or it may be out of date."),
    "invalid": ("We could not find your appointment",
                "Some of the details did not look right."),
    "rate_limited": ("Too many tries", "Please wait a few minutes before you try again."),
    "unreachable": ("Check-in is not working at the moment",
                    "This screen cannot reach the booking system."),
    "not_me": ("We need to check your details", "We will help you check in."),
    "error": ("Something went wrong", "We could not check you in at this screen."),
}

PROBLEM_CODES = ("too_early", "too_late", "cancelled", "wrong_site", "wrong_day",
                 "already_checked_in", "not_found", "invalid_qr", "invalid", "rate_limited",
                 "unreachable", "printer_fault", "not_me", "error")
