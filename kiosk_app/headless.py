"""Check in without a screen: the same flow.py, commands run inline, outcome in plain words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk_app.effects import Services, execute
from kiosk_app.flow import (
    ConfirmYes,
    DobDone,
    Event,
    Labels,
    NoQrCode,
    ReferenceDone,
    Screen,
    State,
    Step,
    transition,
)
from kiosk_app.messages import problem_text, wait_text

# Exit codes: 0 checked in (labels may still need reception), others not checked in now.
OK, USAGE, NOT_FOUND, NOT_NOW, ALREADY, UNAVAILABLE, FAILED = 0, 2, 3, 4, 5, 6, 1
_CODES = {"not_found": NOT_FOUND, "invalid_qr": NOT_FOUND, "invalid": USAGE,
          "too_early": NOT_NOW, "too_late": NOT_NOW, "cancelled": NOT_NOW, "wrong_site": NOT_NOW,
          "wrong_day": NOT_NOW, "rate_limited": NOT_NOW, "already_checked_in": ALREADY,
          "unreachable": UNAVAILABLE}


def run_checkin(services: Services, *, reference: str, date_of_birth: dt.date,
                out: Callable[[str], None] = print,
                today: Callable[[], dt.date] = dt.date.today) -> int:
    """Check one patient in and print what happened; returns the exit code."""
    state = State()
    events: list[Event] = [NoQrCode(), ReferenceDone(reference), DobDone(date_of_birth)]
    while events:
        step: Step = transition(state, events.pop(0), today=today())
        state = step.state
        events.extend(execute(command, services) for command in step.commands)
        if state.screen == Screen.CONFIRM and state.identity is not None:
            identity = state.identity
            out(f"Found: {identity.masked_name}, {identity.appointment_type} "
                f"at {identity.local_time}, {identity.site_name}.")
            events.append(ConfirmYes())
    return _report(state, out)


def _report(state: State, out: Callable[[str], None]) -> int:
    if state.screen == Screen.RESULT and state.checkin is not None:
        result = state.checkin
        out(f"Checked in. Queue number {result.queue_number}. {wait_text(result.wait_minutes)}")
        out({Labels.PRINTED: f"Labels printed ({len(result.labels)}).",
             Labels.NONE: "No labels to print.",
             Labels.RECEPTION: "Labels not printed: please speak to reception.",
             Labels.PRINTING: "Labels are printing."}[state.labels])
        if result.hand_label:
            out("Hand-label at the chair: " + ", ".join(result.hand_label) + ".")
        return OK
    if state.screen == Screen.PROBLEM and state.problem is not None:
        words = problem_text(state.problem.code, state.problem.extra)
        number = f" Queue number {words.queue_number}." if words.queue_number is not None else ""
        out(f"{words.title}. {words.body}{number} {words.action}")
        if state.problem.code == "printer_fault":
            return OK  # checked in: the labels are a job for reception, not a refusal
        return _CODES.get(state.problem.code, FAILED)
    if state.screen == Screen.DOB and state.dob_misses:
        # The server matched no booking; the screen's "one more try" is a new command here.
        words = problem_text("not_found")
        out(f"{words.title}. {words.body} {words.action}")
        return NOT_FOUND
    out(state.error or "Not checked in.")
    return USAGE
