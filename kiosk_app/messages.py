"""Plain words for patients, shared by the screens and the headless check-in (no Qt): the kiosk's
catalogue, one screen's words for each code the server (or the kiosk itself) gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from shared.locales import N_, language
from shared.locales import gettext as _
from shared.timeutil import format_date, format_time, to_local

SPEAK_TO_RECEPTION = N_("Please speak to reception.")


@dataclass(frozen=True)
class ProblemText:
    """A problem screen: a heading, a short explanation, and what to do."""

    title: str
    body: str
    action: str = ""  # "Please speak to reception." when not given
    queue_number: int | None = None
    checked_in: bool = False


def wait_text(minutes: int | None) -> str:
    """'Your wait is about 15 minutes', in words a patient expects."""
    if minutes is None:
        return ""
    if minutes <= 5:
        return _("You should be seen soon.")
    return _("Your wait is about %(minutes)s minutes.") % {"minutes": minutes}


def problem_text(code: str, extra: dict[str, Any] | None = None,
                 today: dt.date | None = None) -> ProblemText:
    """What to tell the patient for an error code from the server (or the kiosk); `today` (the
    kiosk's London date by default) tells a missed appointment from one still to come. In the
    language the kiosk speaks now (shared.locales)."""
    words = _problem_words(code, extra or {}, today)
    return replace(words, action=words.action or _(SPEAK_TO_RECEPTION))


def _problem_words(code: str, extra: dict[str, Any], today: dt.date | None) -> ProblemText:
    queue = extra.get("queue_number")
    queue_number = int(queue) if isinstance(queue, int | str) and str(queue).isdigit() else None
    if code == "too_early":
        opens = extra.get("checkin_opens_at")
        when = (_("You can check in from %(time)s.") % {"time": opens} if opens
                else _("You can check in closer to your appointment time."))
        return ProblemText(_("It is too early to check in"),
                           when + " " + _("Please take a seat until then."), _need_help())
    if code == "already_checked_in":
        body = _("You do not need to check in again.")
        action = _need_help()
        if extra.get("labels_outstanding"):
            body = _("Your labels have not printed yet.")
            action = _("Please speak to reception about your labels.")
        return ProblemText(_("You are already checked in"), body, action, queue_number, True)
    if code == "wrong_day":
        on_day = _when(extra.get("starts_at"), today)
        if on_day is not None:
            day, time, past = on_day
            if past:
                return ProblemText(_("Your appointment was on a different day"),
                                   _("Your appointment was on %(date)s at %(time)s.")
                                   % {"date": day, "time": time},
                                   _("Please speak to reception about a new appointment."))
            return ProblemText(_("Your appointment is on a different day"),
                               _("Your appointment is on %(date)s at %(time)s. Please come back "
                                 "then.") % {"date": day, "time": time}, _need_help())
    if code == "wrong_site":
        name, address = extra.get("site_name"), extra.get("site_address")
        if isinstance(name, str) and name:
            where = f"{name}, {address}" if isinstance(address, str) and address else name
            booked = _when(extra.get("starts_at"), today)
            body = (_("Your appointment is at %(place)s, on %(date)s at %(time)s.")
                    % {"place": where, "date": booked[0], "time": booked[1]} if booked is not None
                    else _("Your appointment is at %(place)s.") % {"place": where})
            return ProblemText(_("This appointment is at a different place"), body, _need_help())
    if code in _WALK_IN:
        return _walk_in_words(code, extra)
    if code == "printer_fault":
        return ProblemText(_("You're checked in"), _("Your labels did not print."),
                           _("Please speak to reception about your labels."), queue_number, True)
    title, body = _SIMPLE.get(code, _SIMPLE["error"])
    return ProblemText(_(title), _(body))


def _walk_in_words(code: str, extra: dict[str, Any]) -> ProblemText:
    """A walk-in refused: what to do instead. `no_request` reads the same whoever typed what, so
    the screen never tells whether someone has a request; the others offer booking online (at
    the address the server gives, when it gives one) and reception."""
    title, body = _WALK_IN[code]
    address = extra.get("book_online_at")
    if isinstance(address, str) and address and language().rtl:
        # A web address reads left to right inside right-to-left words (its dots stay put).
        address = f"\u2066{address}\u2069"
    book = (_("You can book an appointment online at %(address)s.") % {"address": address}
            if isinstance(address, str) and address else _("You can book an appointment online."))
    if code == "no_request":
        return ProblemText(_(title), _(body))
    return ProblemText(_(title), _(body) + " " + book, _("Or please speak to reception."))


_WALK_IN: dict[str, tuple[str, str]] = {
    "no_request": (N_("We could not find a blood test request for you today"),
                   N_("Reception can check your details and help you.")),
    "no_walk_ins": (N_("This clinic does not take walk-ins today"),
                    N_("You need an appointment for a blood test here.")),
    "walk_ins_full": (N_("We cannot see more walk-in patients just now"),
                      N_("The clinic has as many walk-in patients as it can see at the moment.")),
    "no_clinic": (N_("There is no clinic running now"),
                  N_("We can only see walk-in patients while a clinic is open.")),
}


def _need_help() -> str:
    """'If you need help, please speak to reception.' in the kiosk's language."""
    return _("If you need help, please speak to reception.")


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


_SOMETHING_WRONG = (N_("Something went wrong"), N_("We could not check you in at this screen."))
_SIMPLE: dict[str, tuple[str, str]] = {
    "too_late": (N_("It is too late to check in here"),
                 N_("The time for your appointment has passed.")),
    "cancelled": (N_("This appointment was cancelled"), N_("We cannot check you in for it.")),
    "wrong_site": (N_("This appointment is at a different place"),
                   N_("Please check the address on your letter or text.")),
    "wrong_day": (N_("Your appointment is on a different day"),
                  N_("Please check the date on your letter or text.")),
    "not_found": (N_("We could not find your appointment"),
                  N_("The booking reference or the date of birth did not match.")),
    "invalid_qr": (N_("We could not use this QR code"),
                   N_("It may be for a different day, or it may be out of date.")),
    "invalid": (N_("We could not find your appointment"),
                N_("Some of the details did not look right.")),
    "rate_limited": (N_("Too many tries"), N_("Please wait a few minutes before you try again.")),
    "unreachable": (N_("Check-in is not working at the moment"),
                    N_("This screen cannot reach the booking system.")),
    "not_me": (N_("We need to check your details"), N_("We will help you check in.")),
    "error": _SOMETHING_WRONG,
    # The booking changed during the check-in, or the kiosk's key is refused: nothing a
    # patient can do at the screen.
    "conflict": _SOMETHING_WRONG,
    "unauthorised": _SOMETHING_WRONG,
    "forbidden": _SOMETHING_WRONG,
    # What the kiosk sent could not be used (its JSON, its text, its request id as a key): a
    # fault of this screen, not the patient's.
    "invalid_json": _SOMETHING_WRONG,
    "invalid_text": _SOMETHING_WRONG,
    "invalid_idempotency_key": _SOMETHING_WRONG,
    "idempotency_key_reused": _SOMETHING_WRONG,
}

PROBLEM_CODES = ("no_request", "no_walk_ins", "walk_ins_full", "no_clinic",
                 "too_early", "too_late", "cancelled", "wrong_site", "wrong_day",
                 "already_checked_in", "not_found", "invalid_qr", "invalid", "rate_limited",
                 "unreachable", "printer_fault", "not_me", "conflict", "unauthorised",
                 "forbidden", "invalid_json", "invalid_text", "invalid_idempotency_key",
                 "idempotency_key_reused", "error")
