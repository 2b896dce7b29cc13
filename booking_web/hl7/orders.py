"""An inbound lab order (OML^O21 or ORM^O01) read into what submit_request and cancel_request
take, with every field rule of the order interface; nothing here touches the database.

Where each thing comes from (HL7 v2.5.1 chapter 4, order entry; the segment groups of OML_O21
and ORM_O01):
- PID-3 the NHS number: the repetition whose CX-5 is NH and CX-4 is NHS (check digit verified);
  PID-5 family^given; PID-7 date of birth; PID-8 sex (table 0001, checked, not stored);
  PID-13 the mobile (XTN-3 equipment CP, or a number starting 07) and the email (XTN-3
  Internet, XTN-4 the address).
- ORC-1 NW (new) or CA (cancel); ORC-2 the placer order number (one per message: every ORC of a
  message carries the same one, one ORC per test as ICE sends them, or one ORC with several
  OBRs); ORC-12 the ordering provider (id^family^given).
- OBR-4 the test code (code map first, then the catalogue); OBR-13 and NTE-3 clinical details.
- Timing and priority: TQ1-7 start, TQ1-8 end, TQ1-9 priority (S and A urgent, R routine), or,
  in ORM^O01 and older senders, the TQ in OBR-27 (4 start, 5 end, 6 priority) or ORC-7."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import hl7

from booking_web.hl7.message import (
    DATA_TYPE_ERROR,
    REQUIRED_MISSING,
    SEGMENT_SEQUENCE,
    TABLE_VALUE_NOT_FOUND,
    UNSUPPORTED_EVENT,
    UNSUPPORTED_MESSAGE_TYPE,
    UNSUPPORTED_PROCESSING_ID,
    UNSUPPORTED_VERSION,
    Header,
    Problem,
    Refused,
)
from booking_web.messages import words
from shared.nhs_number import normalise, number_problem

SUPPORTED = {("OML", "O21"), ("ORM", "O01")}
URGENT_PRIORITIES = {"S", "A"}  # HL7 table 0485: stat, as soon as possible
ROUTINE_PRIORITIES = {"R", "", "T", "P", "C"}  # routine; timing critical, preop, callback: routine
SEXES = {"", "F", "M", "O", "U", "A", "N"}  # HL7 table 0001


@dataclass
class Order:
    """One placer order as the services take it."""

    control: str  # NW or CA
    facility: str  # MSH-4: the organisation's ODS code
    placer_number: str
    nhs_number: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    mobile: str = ""
    email: str = ""
    tests: list[str] = field(default_factory=list)
    test_segments: list[int] = field(default_factory=list)  # OBR sequence of each test, for ERR
    ordering_provider: str = ""
    requester: str = ""
    urgency: str = "routine"
    earliest: dt.date | None = None
    latest: dt.date | None = None
    clinical_details: str = ""


def _value(seg: hl7.Segment, field_num: int, component: int = 1, repeat: int = 1, sub: int = 1) -> str:
    """A field's text (escapes undone), '' when absent."""
    try:
        text = seg.extract_field(1, field_num, repeat, component, sub)
    except (IndexError, AttributeError, TypeError):
        return ""
    return str(text).strip()


def _repeats(seg: hl7.Segment, field_num: int) -> int:
    if field_num >= len(seg):
        return 0
    value = seg(field_num)
    if isinstance(value, hl7.Field) and value and isinstance(value[0], hl7.Repetition):
        return len(value)
    return 1


def _date(text: str) -> dt.date | None:
    """The date part of an HL7 DTM (YYYYMMDD[HHMM[SS]][+ZZZZ]); None when not a real date."""
    digits = text[:8]
    if len(digits) < 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def check_header(header: Header) -> None:
    """MSH rules for an order: its type (AR when not OML^O21 or ORM^O01), version 2.x,
    processing id P, T or D, a control id and a sending facility (AE)."""
    if (header.message_type, header.trigger) not in SUPPORTED:
        code = UNSUPPORTED_EVENT if header.message_type in {"OML", "ORM"} else UNSUPPORTED_MESSAGE_TYPE
        raise Refused("AR", [Problem("MSH", 9, code,
                                    f"Message type {header.message_type}^{header.trigger} is not supported: "
                                    "send OML^O21 or ORM^O01")], header)
    if not header.version.startswith("2."):
        raise Refused("AR", [Problem("MSH", 12, UNSUPPORTED_VERSION,
                                    "Version must be HL7 v2 (2.5.1 preferred)")], header)
    if header.processing_id not in {"P", "T", "D"}:
        raise Refused("AR", [Problem("MSH", 11, UNSUPPORTED_PROCESSING_ID,
                                    "Processing id must be P, T or D")], header)
    problems = []
    if not header.control_id:
        problems.append(Problem("MSH", 10, REQUIRED_MISSING, "MSH-10 message control id is missing"))
    if not header.sending_facility:
        problems.append(Problem("MSH", 4, REQUIRED_MISSING,
                                "MSH-4 sending facility must be the requesting organisation's ODS code"))
    if problems:
        raise Refused("AE", problems, header)


def _patient(pid: hl7.Segment, order: Order, problems: list[Problem]) -> None:
    nhs = ""
    for rep in range(1, _repeats(pid, 3) + 1):
        if _value(pid, 3, 5, rep).upper() == "NH" and _value(pid, 3, 4, rep).upper() == "NHS":
            nhs = normalise(_value(pid, 3, 1, rep))
            break
    if not nhs:
        problems.append(Problem("PID", 3, REQUIRED_MISSING,
                                "PID-3 needs the NHS number with identifier type NH and assigning authority NHS"))
    elif (wrong := number_problem(nhs)) is not None:
        problems.append(Problem("PID", 3, DATA_TYPE_ERROR,
                                "The NHS number in PID-3 is not valid: " + words(wrong).split(":")[0].replace(
                                    "Check your NHS number", "wrong check digit or length")))
    order.nhs_number = nhs
    order.family_name, order.given_name = _value(pid, 5, 1), _value(pid, 5, 2)
    dob_text = _value(pid, 7)
    if dob_text:
        order.date_of_birth = _date(dob_text)
        if order.date_of_birth is None:
            problems.append(Problem("PID", 7, DATA_TYPE_ERROR, "PID-7 date of birth must be a date like 19620314"))
    if _value(pid, 8).upper() not in SEXES:
        problems.append(Problem("PID", 8, TABLE_VALUE_NOT_FOUND, "PID-8 sex must be F, M, O, U, A or N (table 0001)"))
    for rep in range(1, _repeats(pid, 13) + 1):
        equipment = _value(pid, 13, 3, rep).upper()
        email = _value(pid, 13, 4, rep)
        number = _value(pid, 13, 1, rep) or (_value(pid, 13, 6, rep) + _value(pid, 13, 7, rep))
        if equipment in {"INTERNET", "X.400"} or (email and not number):
            order.email = order.email or email or number
        elif equipment == "CP" or number.replace(" ", "").startswith(("07", "+447", "447")):
            order.mobile = order.mobile or number


def _timing(fields: list[str], order: Order, where: tuple[str, int, int], problems: list[Problem]) -> None:
    """Start, end and priority from TQ1 (7, 8, 9) or a TQ (4, 5, 6), whichever the sender used."""
    start, end, priority = fields
    segment, start_field, priority_field = where
    if start:
        order.earliest = _date(start)
        if order.earliest is None:
            problems.append(Problem(segment, start_field, DATA_TYPE_ERROR, "The start date/time is not a date"))
    if end:
        order.latest = _date(end)
        if order.latest is None:
            problems.append(Problem(segment, start_field + 1, DATA_TYPE_ERROR, "The end date/time is not a date"))
    code = priority.upper()
    if code in URGENT_PRIORITIES:
        order.urgency = "urgent"
    elif code not in ROUTINE_PRIORITIES:
        problems.append(Problem(segment, priority_field, TABLE_VALUE_NOT_FOUND,
                                "Priority must be S or A (urgent) or R (routine) (table 0485)"))


def read_order(header: Header, message: hl7.Message) -> Order:
    """The order in a parsed message, or Refused (AE) naming every wrong field."""
    check_header(header)
    segments = list(message)
    names = [str(s[0]).upper() for s in segments]
    problems: list[Problem] = []
    order = Order(control="", facility=header.sending_facility.upper(), placer_number="", nhs_number="")
    if "PID" not in names:
        raise Refused("AE", [Problem("PID", None, SEGMENT_SEQUENCE, "The message has no PID segment")], header)
    if "ORC" not in names:
        raise Refused("AE", [Problem("ORC", None, SEGMENT_SEQUENCE, "The message has no ORC segment")], header)
    _patient(segments[names.index("PID")], order, problems)
    placers: set[str] = set()
    controls: set[str] = set()
    counts: dict[str, int] = {}
    notes: list[str] = []
    for seg, name in zip(segments, names, strict=True):
        counts[name] = counts.get(name, 0) + 1
        seq = counts[name]
        if name == "ORC":
            control = _value(seg, 1).upper()
            controls.add(control)
            if control not in {"NW", "CA"}:
                problems.append(Problem("ORC", 1, TABLE_VALUE_NOT_FOUND,
                                        "ORC-1 must be NW (new order) or CA (cancel)", seq))
            placer = _value(seg, 2)
            if not placer:
                problems.append(Problem("ORC", 2, REQUIRED_MISSING, "ORC-2 placer order number is missing", seq))
            elif len(placer) > 50:
                problems.append(Problem("ORC", 2, DATA_TYPE_ERROR, "ORC-2 is longer than 50 characters", seq))
            else:
                placers.add(placer)
            if not order.ordering_provider and _value(seg, 12):
                provider_id = _value(seg, 12, 1)
                name_words = " ".join(w for w in (_value(seg, 12, 6), _value(seg, 12, 3), _value(seg, 12, 2)) if w)
                order.ordering_provider = " ".join(w for w in (provider_id, name_words) if w)
                order.requester = name_words or provider_id
            if _value(seg, 7, 4) or _value(seg, 7, 6):
                _timing([_value(seg, 7, 4), _value(seg, 7, 5), _value(seg, 7, 6)], order, ("ORC", 7, 7), problems)
        elif name == "TQ1":
            _timing([_value(seg, 7), _value(seg, 8), _value(seg, 9)], order, ("TQ1", 7, 9), problems)
        elif name == "OBR":
            code = _value(seg, 4, 1)
            if not code:
                problems.append(Problem("OBR", 4, REQUIRED_MISSING, "OBR-4 test code is missing", seq))
            elif code.upper() not in order.tests:
                order.tests.append(code.upper())
                order.test_segments.append(seq)
            if _value(seg, 27, 4) or _value(seg, 27, 6):
                _timing([_value(seg, 27, 4), _value(seg, 27, 5), _value(seg, 27, 6)], order, ("OBR", 27, 27), problems)
            if _value(seg, 13):
                notes.append(_value(seg, 13))
        elif name == "NTE" and _value(seg, 3):
            notes.append(_value(seg, 3))
    if len(placers) > 1:
        problems.append(Problem("ORC", 2, DATA_TYPE_ERROR,
                                "Send one placer order number per message (every ORC-2 the same)"))
    if len(controls) > 1:
        problems.append(Problem("ORC", 1, DATA_TYPE_ERROR, "Every ORC-1 in a message must be the same"))
    order.control = next(iter(controls), "")
    order.placer_number = next(iter(placers), "")
    if order.control == "NW" and not order.tests:
        problems.append(Problem("OBR", None, SEGMENT_SEQUENCE, "A new order needs at least one OBR with a test code"))
    order.clinical_details = " ".join(" ".join(notes).split())
    if problems:
        raise Refused("AE", problems, header)
    return order
