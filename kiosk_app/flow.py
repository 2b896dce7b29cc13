"""The check-in journey as a Qt-free state machine: `transition(state, event)` gives the next
state and the commands (server calls, printing) to run. Widgets render states; the controller
(or the headless CLI) runs commands and feeds their results back in as events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from kiosk_app.models import CheckinResult, Identity
from label_printer.layout import LabelData
from shared.locales import N_
from shared.nhs_number import is_valid as valid_nhs_number
from shared.qr import looks_like_checkin_qr
from shared.references import ALPHABET
from shared.references import LENGTH as REFERENCE_LENGTH
from shared.validation import clean_postcode

DOB_FIELDS = ("day", "month", "year")
DOB_LENGTHS = {"day": 2, "month": 2, "year": 4}
EARLIEST_YEAR = 1900
# Corrections shown on the entry screens: English here, translated where shown (the views).
NOT_OUR_CODE = N_("That is not a check-in QR code. Scan the QR code on your appointment letter "
                  "or text, or tap \"I don't have my QR code\".")
DOB_MISS_QR = N_("That date of birth does not match this booking. "
                 "Please check it and enter it again.")
DOB_MISS_REFERENCE = N_("We could not find a booking with that reference and date of birth. "
                        "Please enter your date of birth again, or tap Back to check the "
                        "reference.")
BAD_REFERENCE = N_("A booking reference has 9 letters and numbers. Please check it.")
NHS_NUMBER_LENGTH = 10
NHS_NUMBER_SHORT = N_("An NHS number has 10 numbers. Please check it.")
NHS_NUMBER_TYPO = N_("That is not a valid NHS number. One of the numbers may be wrong. "
                     "Please check it and type it again.")
# Walk-ins who do not know their NHS number answer one question a screen, in this order.
TEXT_FIELDS = ("given_name", "family_name", "postcode")
TEXT_LENGTHS = {"given_name": 35, "family_name": 35, "postcode": 8}
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")
POSTCODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")
TEXT_MISSING = {"given_name": N_("Please type your first name."),
                "family_name": N_("Please type your last name.")}
BAD_POSTCODE = N_("Please check your postcode. It looks like LS1 4AB.")


class Screen(StrEnum):
    """Which screen the kiosk shows."""

    START = "start"
    REFERENCE = "reference"
    DOB = "dob"
    BUSY = "busy"
    CONFIRM = "confirm"
    RESULT = "result"
    PROBLEM = "problem"
    WALK_IN_NHS = "walk_in_nhs"  # no appointment: the NHS number
    WALK_IN_TEXT = "walk_in_text"  # no appointment, no NHS number: name, then postcode


class Labels(StrEnum):
    """What the result screen says about labels."""

    NONE = "none"  # nothing to print at the kiosk
    PRINTING = "printing"
    PRINTED = "printed"
    RECEPTION = "reception"  # the server says labels are outstanding: staff will reprint


@dataclass(frozen=True)
class DobEntry:
    """The date of birth as typed so far, and which part the keypad fills."""

    day: str = ""
    month: str = ""
    year: str = ""
    field: str = "day"


@dataclass(frozen=True)
class Problem:
    """Why the patient must speak to reception: a code and details (e.g. queue_number)."""

    code: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """Everything shown on the kiosk; the START state holds nothing about anyone."""

    screen: Screen = Screen.START
    reference: str = ""
    qr: str | None = None
    dob: DobEntry = DobEntry()
    date_of_birth: dt.date | None = None
    error: str = ""  # a correction message on an entry screen
    busy: str = ""  # "finding" or "checking_in" while a server call runs
    identity: Identity | None = None
    checkin: CheckinResult | None = None
    labels: Labels = Labels.NONE
    problem: Problem | None = None
    request_id: str | None = None
    dob_misses: int = 0  # dates of birth the server did not match: one more try, then reception
    walk_in: bool = False  # "I do not have an appointment"
    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    postcode: str = ""
    text_field: str = TEXT_FIELDS[0]  # which answer the on-screen keyboard types

    @property
    def waiting(self) -> bool:
        """True while a server call or printing is running (the idle timeout must wait)."""
        return self.screen == Screen.BUSY or self.labels == Labels.PRINTING


# -- events (taps, scans, timer, results of commands) ------------------------------------------
@dataclass(frozen=True)
class ScanReceived:
    """A QR code was scanned (its text is opaque: the server checks the signature)."""

    text: str


@dataclass(frozen=True)
class NoQrCode:
    """'I don't have my QR code'."""


@dataclass(frozen=True)
class ReferenceKey:
    """A letter or number on the reference keypad."""

    char: str


@dataclass(frozen=True)
class ReferenceDelete:
    """Delete the last character of the reference."""


@dataclass(frozen=True)
class ReferenceDone:
    """Next: use the reference typed (or `text`, for the headless check-in)."""

    text: str | None = None


@dataclass(frozen=True)
class DobFieldSelected:
    """The patient tapped the day, month or year box."""

    field: str


@dataclass(frozen=True)
class DobKey:
    """A digit on the number keypad."""

    digit: str


@dataclass(frozen=True)
class DobDelete:
    """Delete the last digit (moving back a box when this one is empty)."""


@dataclass(frozen=True)
class DobDone:
    """Next: use the date typed (or `value`, for the headless check-in)."""

    value: dt.date | None = None


@dataclass(frozen=True)
class NoAppointment:
    """'I do not have an appointment': a walk-in with a test request."""


@dataclass(frozen=True)
class NhsKey:
    """A digit on the NHS number keypad."""

    digit: str


@dataclass(frozen=True)
class NhsDelete:
    """Delete the last digit of the NHS number."""


@dataclass(frozen=True)
class NhsDone:
    """Next: use the NHS number typed (or `text`)."""

    text: str | None = None


@dataclass(frozen=True)
class NoNhsNumber:
    """'I do not know my NHS number': name and postcode instead."""


@dataclass(frozen=True)
class TextKey:
    """A key on the on-screen keyboard (a letter, a number, a space, a hyphen, an apostrophe)."""

    char: str


@dataclass(frozen=True)
class TextDelete:
    """Delete the last character of the answer being typed."""


@dataclass(frozen=True)
class TextDone:
    """Next: use the answer typed (or `text`)."""

    text: str | None = None


@dataclass(frozen=True)
class Back:
    """Go back one screen from an entry screen."""


@dataclass(frozen=True)
class StartAgain:
    """Finish or give up: back to the start screen with everything cleared."""


@dataclass(frozen=True)
class IdleTimeout:
    """Nobody has touched the kiosk for a while."""


@dataclass(frozen=True)
class ConfirmYes:
    """'Yes, check me in'."""


@dataclass(frozen=True)
class ConfirmNo:
    """'No, this is not me'."""


@dataclass(frozen=True)
class Identified:
    """The server found the appointment."""

    identity: Identity


@dataclass(frozen=True)
class CheckedIn:
    """The server checked the patient in."""

    result: CheckinResult


@dataclass(frozen=True)
class NotMeReported:
    """The "not me" report was sent (or could not be: the patient is at reception anyway).
    Every screen ignores it, so a late answer never disturbs the next patient."""

    sent: bool = True


@dataclass(frozen=True)
class Failed:
    """A server call failed: an error code from the contract, or "unreachable"."""

    code: str
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintFinished:
    """Printing ended: `ok` only when every label was confirmed."""

    ok: bool
    detail: str = ""


Event = (ScanReceived | NoQrCode | ReferenceKey | ReferenceDelete | ReferenceDone
         | DobFieldSelected | DobKey | DobDelete | DobDone | Back | StartAgain | IdleTimeout
         | ConfirmYes | ConfirmNo | Identified | CheckedIn | Failed | PrintFinished
         | NotMeReported | NoAppointment | NhsKey | NhsDelete | NhsDone | NoNhsNumber | TextKey
         | TextDelete | TextDone)


# -- commands (what the controller must run off the GUI thread) ---------------------------------
@dataclass(frozen=True)
class Identify:
    """Ask the server who this is (by QR or by reference) with the date of birth entered."""

    date_of_birth: dt.date
    qr: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class CheckIn:
    """Check in; `request_id` is made once per attempt and reused by every retry."""

    reference: str
    date_of_birth: dt.date
    request_id: str


@dataclass(frozen=True)
class PrintLabels:
    """Print these labels and report the outcome for the print job; labels the kiosk could not
    read (`unreadable`, their specimen ids) are reported not printed, and nothing is printed."""

    job_id: int | None
    labels: tuple[LabelData, ...]
    unreadable: tuple[str, ...] = ()
    unreadable_detail: str = ""


@dataclass(frozen=True)
class ReportNotMe:
    """Tell the server the patient said the booking found was not theirs (staff see a flag)."""

    reference: str
    date_of_birth: dt.date


@dataclass(frozen=True)
class WalkIn:
    """Check in a walk-in by NHS number (or name and postcode) and date of birth; like CheckIn,
    `request_id` is made once per attempt and reused by every retry."""

    date_of_birth: dt.date
    request_id: str
    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    postcode: str = ""


Command = Identify | CheckIn | PrintLabels | ReportNotMe | WalkIn


@dataclass(frozen=True)
class Step:
    """The result of one transition."""

    state: State
    commands: tuple[Command, ...] = ()


def _new_request_id() -> str:
    return str(uuid.uuid4())


def transition(state: State, event: Event, *, today: dt.date | None = None,
               new_id: Callable[[], str] = _new_request_id) -> Step:
    """The next state, and commands to run, after `event`."""
    if isinstance(event, IdleTimeout | StartAgain):
        return Step(state if state.waiting else State())
    if isinstance(event, ScanReceived):
        if state.waiting or not event.text.strip():
            return Step(state)
        return Step(_scanned(event.text.strip()))
    handler = _HANDLERS.get(state.screen)
    return handler(state, event, today or dt.date.today(), new_id) if handler else Step(state)


def _scanned(text: str) -> State:
    """Our QR code (or a booking reference read by the scanner) goes on to the date of birth;
    any other code is refused at once, before anyone types a date of birth for it."""
    if looks_like_checkin_qr(text):
        return State(screen=Screen.DOB, qr=text)
    reference = "".join(text.split()).replace("-", "").upper()
    if len(reference) == REFERENCE_LENGTH and all(c in ALPHABET for c in reference):
        return State(screen=Screen.DOB, reference=reference)
    return State(error=NOT_OUR_CODE)


def _start(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, NoQrCode):
        return Step(State(screen=Screen.REFERENCE))
    if isinstance(event, NoAppointment):
        return Step(State(screen=Screen.WALK_IN_NHS, walk_in=True))
    return Step(state)


def _walk_in_nhs(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, NhsKey):
        if not (event.digit.isascii() and event.digit.isdigit() and len(event.digit) == 1
                and len(state.nhs_number) < NHS_NUMBER_LENGTH):
            return Step(state)
        return Step(replace(state, nhs_number=state.nhs_number + event.digit, error=""))
    if isinstance(event, NhsDelete):
        return Step(replace(state, nhs_number=state.nhs_number[:-1], error=""))
    if isinstance(event, Back):
        return Step(State())
    if isinstance(event, NoNhsNumber):
        return Step(replace(state, screen=Screen.WALK_IN_TEXT, nhs_number="", error="",
                            text_field=TEXT_FIELDS[0]))
    if isinstance(event, NhsDone):
        number = "".join((state.nhs_number if event.text is None else event.text).split())
        if len(number) != NHS_NUMBER_LENGTH or not (number.isascii() and number.isdigit()):
            return Step(replace(state, error=NHS_NUMBER_SHORT))
        if not valid_nhs_number(number):
            return Step(replace(state, error=NHS_NUMBER_TYPO))
        return Step(replace(state, screen=Screen.DOB, nhs_number=number, error="",
                            dob=DobEntry()))
    return Step(state)


def _walk_in_text(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    name = state.text_field
    typed: str = getattr(state, name)
    allowed = POSTCODE_CHARS if name == "postcode" else NAME_CHARS
    if isinstance(event, TextKey):
        char = event.char.upper()
        if (len(char) != 1 or char not in allowed or len(typed) >= TEXT_LENGTHS[name]
                or (char == " " and (not typed or typed.endswith(" ")))):
            return Step(state)
        return Step(_answered(state, name, typed + char))
    if isinstance(event, TextDelete):
        return Step(_answered(state, name, typed[:-1]))
    if isinstance(event, Back):
        if name == TEXT_FIELDS[0]:
            return Step(State(screen=Screen.WALK_IN_NHS, walk_in=True))
        return Step(replace(state, text_field=TEXT_FIELDS[TEXT_FIELDS.index(name) - 1],
                            error=""))
    if isinstance(event, TextDone):
        text = " ".join((typed if event.text is None else event.text).upper().split())
        if name == "postcode":
            postcode, wrong = clean_postcode(text)
            if wrong or " " not in postcode:  # a whole postcode, not its first half
                return Step(replace(state, postcode=text[:TEXT_LENGTHS[name]], error=BAD_POSTCODE))
            return Step(replace(state, screen=Screen.DOB, postcode=postcode, error="",
                                dob=DobEntry()))
        if not any(c.isalpha() for c in text) or any(c not in NAME_CHARS for c in text):
            return Step(_answered(state, name, text[:TEXT_LENGTHS[name]], TEXT_MISSING[name]))
        following = TEXT_FIELDS[TEXT_FIELDS.index(name) + 1]
        answered = _answered(state, name, text[:TEXT_LENGTHS[name]])
        return Step(replace(answered, text_field=following))
    return Step(state)


def _answered(state: State, name: str, value: str, error: str = "") -> State:
    """`state` with the answer to question `name` (a name in TEXT_FIELDS) set to `value`."""
    if name == "given_name":
        return replace(state, given_name=value, error=error)
    if name == "family_name":
        return replace(state, family_name=value, error=error)
    return replace(state, postcode=value, error=error)


def _reference(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, ReferenceKey):
        char = event.char.upper()
        if char not in ALPHABET or len(state.reference) >= REFERENCE_LENGTH:
            return Step(state)
        return Step(replace(state, reference=state.reference + char, error=""))
    if isinstance(event, ReferenceDelete):
        return Step(replace(state, reference=state.reference[:-1], error=""))
    if isinstance(event, Back):
        return Step(State())
    if isinstance(event, ReferenceDone):
        text = state.reference if event.text is None else event.text
        text = "".join(text.split()).replace("-", "").upper()
        if len(text) != REFERENCE_LENGTH or any(c not in ALPHABET for c in text):
            return Step(replace(state, reference=text[:REFERENCE_LENGTH], error=BAD_REFERENCE))
        return Step(replace(state, screen=Screen.DOB, reference=text, error="", dob=DobEntry()))
    return Step(state)


def _dob(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    dob = state.dob
    if isinstance(event, DobFieldSelected) and event.field in DOB_FIELDS:
        return Step(replace(state, dob=replace(dob, field=event.field), error=""))
    if isinstance(event, DobKey) and event.digit.isdigit() and len(event.digit) == 1:
        return Step(replace(state, dob=_type_digit(dob, event.digit), error=""))
    if isinstance(event, DobDelete):
        return Step(replace(state, dob=_delete_digit(dob), error=""))
    if isinstance(event, Back):
        if state.walk_in:
            back = Screen.WALK_IN_NHS if state.nhs_number else Screen.WALK_IN_TEXT
            return Step(replace(state, screen=back, dob=DobEntry(), error=""))
        if state.qr is not None:
            return Step(State())
        return Step(replace(state, screen=Screen.REFERENCE, dob=DobEntry(), error=""))
    if isinstance(event, DobDone):
        value, error = (event.value, "") if event.value else parse_dob(dob, today)
        if value is None or value > today:
            return Step(replace(state, error=error or N_("Please check the year.")))
        if state.walk_in:
            request_id = new_id()
            walk_in = WalkIn(date_of_birth=value, request_id=request_id,
                             nhs_number=state.nhs_number, given_name=state.given_name,
                             family_name=state.family_name, postcode=state.postcode)
            return Step(replace(state, screen=Screen.BUSY, busy="checking_in",
                                date_of_birth=value, request_id=request_id, error=""),
                        (walk_in,))
        command = Identify(date_of_birth=value, qr=state.qr,
                           reference=None if state.qr is not None else state.reference)
        return Step(replace(state, screen=Screen.BUSY, busy="finding", date_of_birth=value,
                            error=""), (command,))
    return Step(state)


def _busy(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, Identified) and state.busy == "finding":
        return Step(replace(state, screen=Screen.CONFIRM, busy="", identity=event.identity))
    if isinstance(event, CheckedIn) and state.busy == "checking_in":
        result = event.result
        if result.labels or result.unreadable:
            command = PrintLabels(job_id=result.print_job_id, labels=result.labels,
                                  unreadable=result.unreadable,
                                  unreadable_detail=result.unreadable_detail)
            return Step(replace(state, screen=Screen.RESULT, busy="", checkin=result,
                                labels=Labels.PRINTING), (command,))
        if result.print_job_id is None or result.print_job_status == "printed":
            labels = Labels.PRINTED if result.print_job_id is not None else Labels.NONE
        else:
            labels = Labels.RECEPTION  # a job exists but nothing left for us to print
        return Step(replace(state, screen=Screen.RESULT, busy="", checkin=result, labels=labels))
    if (isinstance(event, Failed) and event.code == "not_found" and state.busy == "finding"
            and state.dob_misses == 0):
        # Most misses are a mistyped date of birth: one more try before reception.
        error = DOB_MISS_QR if state.qr is not None else DOB_MISS_REFERENCE
        return Step(replace(state, screen=Screen.DOB, busy="", dob=DobEntry(),
                            date_of_birth=None, error=error, dob_misses=1))
    if isinstance(event, Failed) and state.walk_in and event.code in ("invalid", "not_found"):
        # Details the server could not use: for a walk-in, the words of "no request found"
        # (not "your appointment"), which tell nothing about anyone.
        return Step(_problem(state, "no_request", event.extra))
    if isinstance(event, Failed):
        return Step(_problem(state, event.code, event.extra))
    return Step(state)


def _confirm(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, ConfirmNo):
        if state.identity is None or state.date_of_birth is None:
            return Step(_problem(state, "not_me"))
        report = ReportNotMe(reference=state.identity.reference, date_of_birth=state.date_of_birth)
        return Step(_problem(state, "not_me"), (report,))
    if isinstance(event, ConfirmYes) and state.identity and state.date_of_birth:
        request_id = new_id()
        command = CheckIn(reference=state.identity.reference,
                          date_of_birth=state.date_of_birth, request_id=request_id)
        return Step(replace(state, screen=Screen.BUSY, busy="checking_in",
                            request_id=request_id), (command,))
    return Step(state)


def _result(state: State, event: Event, today: dt.date, new_id: Callable[[], str]) -> Step:
    if isinstance(event, PrintFinished) and state.labels == Labels.PRINTING:
        if event.ok:
            return Step(replace(state, labels=Labels.PRINTED))
        assert state.checkin is not None
        extra = {"queue_number": state.checkin.queue_number,
                 "wait_minutes": state.checkin.wait_minutes}
        return Step(_problem(state, "printer_fault", extra))
    return Step(state)


def _problem(state: State, code: str, extra: dict[str, Any] | None = None) -> State:
    """The problem screen; only what it needs survives (no name, no date of birth)."""
    return State(screen=Screen.PROBLEM, problem=Problem(code, dict(extra or {})))


_HANDLERS = {
    Screen.START: _start,
    Screen.REFERENCE: _reference,
    Screen.DOB: _dob,
    Screen.BUSY: _busy,
    Screen.CONFIRM: _confirm,
    Screen.RESULT: _result,
    Screen.WALK_IN_NHS: _walk_in_nhs,
    Screen.WALK_IN_TEXT: _walk_in_text,
}


def _type_digit(dob: DobEntry, digit: str) -> DobEntry:
    current = getattr(dob, dob.field)
    if len(current) >= DOB_LENGTHS[dob.field]:
        return dob
    dob = replace(dob, **{dob.field: current + digit})
    # Move on by itself when a box is full, so the patient only taps digits.
    if len(getattr(dob, dob.field)) == DOB_LENGTHS[dob.field] and dob.field != "year":
        dob = replace(dob, field=DOB_FIELDS[DOB_FIELDS.index(dob.field) + 1])
    return dob


def _delete_digit(dob: DobEntry) -> DobEntry:
    if not getattr(dob, dob.field) and dob.field != "day":
        dob = replace(dob, field=DOB_FIELDS[DOB_FIELDS.index(dob.field) - 1])
    return replace(dob, **{dob.field: getattr(dob, dob.field)[:-1]})


def parse_dob(dob: DobEntry, today: dt.date) -> tuple[dt.date | None, str]:
    """The date typed, or None and a plain message saying what to fix."""
    if not (dob.day and dob.month and len(dob.year) == 4):
        return None, N_("Please enter the day, the month and all 4 numbers of the year.")
    year, month, day = int(dob.year), int(dob.month), int(dob.day)
    if not EARLIEST_YEAR <= year <= today.year:
        return None, N_("Please check the year.")
    if not 1 <= month <= 12:
        return None, N_("Please check the month. It is a number from 1 to 12.")
    try:
        return dt.date(year, month, day), ""
    except ValueError:
        return None, N_("Please check the day. That date does not exist.")
