"""An inbound lab order (OML^O21 or ORM^O01) read into what submit_request and cancel_request
take, with every field rule of the order interface; nothing here touches the database.

Where each thing comes from (HL7 v2.5.1 chapter 4, order entry; the segment groups of OML_O21
and ORM_O01):
- PID-3 the NHS number: the repetition whose CX-5 is NH and CX-4 is NHS (check digit verified);
  PID-5 family^given; PID-7 date of birth; PID-8 sex (table 0001, checked, not stored);
  PID-11 the home postcode (XAD-5, of the home address: XAD-7 H, else the first address; one
  with a country other than the UK in XAD-6 is not taken, as it has no UK postcode);
  PID-13 the mobile (XTN-3 equipment CP, or a number starting 07) and the email (XTN-3
  Internet, XTN-4 the address); PID-15 the primary language (CE in v2.5.1, CWE from v2.7;
  HL7 table 0296: ISO 639-1 or 639-2 in component 1, or in 4, the alternate identifier).
- ORC-1 NW (new) or CA (cancel); ORC-2 the placer order number; ORC-12 the ordering provider
  (id^family^given). A message may carry several placer orders (the ORDER groups of OML_O21
  and ORM_O01 repeat): each placer number is one order and becomes one request; the ORCs
  that share a placer number are one order (ICE sends one ORC per test, others one ORC with
  several OBRs). The TQ1, OBR and NTE after an ORC belong to its order.
- OBR-4 the test code (code map first, then the catalogue); OBR-13 and NTE-3 clinical details.
- Timing and priority: TQ1-7 start, TQ1-8 end, TQ1-9 priority (S and A urgent, R routine), or,
  in ORM^O01 and older senders, the TQ in OBR-27 (4 start, 5 end, 6 priority) or ORC-7."""

from __future__ import annotations

import dataclasses
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
from booking_web.services.lab_requests import request_postcode
from shared.locales import ENGLISH, LANGUAGES, language_of_iso_639
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
    postcode: str = ""
    language: str = ""  # shared.locales: '' English (also a language we do not offer)
    tests: list[str] = field(default_factory=list)
    test_segments: list[int] = field(default_factory=list)  # OBR sequence of each test, for ERR
    ordering_provider: str = ""
    requester: str = ""
    urgency: str = "routine"
    earliest: dt.date | None = None
    latest: dt.date | None = None
    clinical_details: str = ""
    sequence: int = 1  # which ORC of the message starts this order, for ERR
    problems: list[Problem] = field(default_factory=list)  # what is wrong with this order alone
    warnings: list[Problem] = field(default_factory=list)  # left out, but the order is taken
    first: dict[str, int] = field(default_factory=dict)  # the sequence of its first ORC, OBR, TQ1, NTE


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
    order.postcode, wrong_postcode = request_postcode(_postcode(pid))
    if wrong_postcode is not None:
        # An address typo must not hold up a blood test: the order is taken without the
        # postcode (the patient is then found by NHS number) and the sender is warned.
        order.warnings.append(Problem("PID", 11, DATA_TYPE_ERROR, "PID-11.5 is not a full UK postcode: the order "
                                      "was taken without it", component=5, severity="W"))
    for rep in range(1, _repeats(pid, 13) + 1):
        equipment = _value(pid, 13, 3, rep).upper()
        email = _value(pid, 13, 4, rep)
        number = _value(pid, 13, 1, rep) or (_value(pid, 13, 6, rep) + _value(pid, 13, 7, rep))
        if equipment in {"INTERNET", "X.400"} or (email and not number):
            order.email = order.email or email or number
        elif equipment == "CP" or number.replace(" ", "").startswith(("07", "+447", "447")):
            order.mobile = order.mobile or number
    _language(pid, order)


def _language(pid: hl7.Segment, order: Order) -> None:
    """PID-15: the patient's language for messages, from the identifier or else the alternate
    identifier. A language we do not write in means English: the order is taken, and the
    sender is told (a warning), never refused for it."""
    codes = [code for code in (_value(pid, 15, 1), _value(pid, 15, 4)) if code]
    found = [language_of_iso_639(code) for code in codes]
    order.language = next((code for code in found if code), "")
    english = {ENGLISH, "eng"}
    if codes and not order.language and not any(code.split("-")[0].lower() in english for code in codes):
        offered = ", ".join(sorted(code for code in LANGUAGES if code != ENGLISH))
        order.warnings.append(Problem("PID", 15, TABLE_VALUE_NOT_FOUND,
                                      f"PID-15 language {codes[0][:20]} is not one Phlebo writes to patients in "
                                      f"(ISO 639 {offered} or English): the patient is written to in English",
                                      severity="W"))


UK_COUNTRIES = {"", "GB", "GBR", "UK", "826"}  # XAD-6 (ISO 3166, alpha or numeric) for the UK


def _postcode(pid: hl7.Segment) -> str:
    """PID-11.5 of the home address (XAD-7 H), else of the first address with one."""
    found = [(_value(pid, 11, 7, rep).upper(), _value(pid, 11, 5, rep)) for rep in range(1, _repeats(pid, 11) + 1)
             if _value(pid, 11, 6, rep).upper() in UK_COUNTRIES]
    found = [(kind, code) for kind, code in found if code]
    return next((code for kind, code in found if kind == "H"), found[0][1] if found else "")


def _timing(fields: list[str], order: Order, where: tuple[str, int, int, int]) -> None:
    """Start, end and priority from TQ1 (7, 8, 9) or a TQ (4, 5, 6), whichever the sender used."""
    start, end, priority = fields
    segment, start_field, priority_field, seq = where
    problems = order.problems
    if start:
        order.earliest = _date(start)
        if order.earliest is None:
            problems.append(Problem(segment, start_field, DATA_TYPE_ERROR, "The start date/time is not a date", seq))
    if end:
        order.latest = _date(end)
        if order.latest is None:
            problems.append(Problem(segment, start_field + 1, DATA_TYPE_ERROR, "The end date/time is not a date", seq))
    code = priority.upper()
    if code in URGENT_PRIORITIES:
        order.urgency = "urgent"
    elif code not in ROUTINE_PRIORITIES:
        problems.append(Problem(segment, priority_field, TABLE_VALUE_NOT_FOUND,
                                "Priority must be S or A (urgent) or R (routine) (table 0485)", seq))


def _group_key(placer: str, seq: int) -> str:
    """ORCs with the same placer number are one order; an ORC without a usable one stands alone."""
    return placer if placer and len(placer) <= 50 else f"#{seq}"


def _orc(seg: hl7.Segment, seq: int, order: Order, controls: set[str]) -> None:
    control = _value(seg, 1).upper()
    controls.add(control)
    if control not in {"NW", "CA"}:
        order.problems.append(Problem("ORC", 1, TABLE_VALUE_NOT_FOUND,
                                      "ORC-1 must be NW (new order) or CA (cancel)", seq))
    placer = _value(seg, 2)
    if not placer:
        order.problems.append(Problem("ORC", 2, REQUIRED_MISSING, "ORC-2 placer order number is missing", seq))
    elif len(placer) > 50:
        order.problems.append(Problem("ORC", 2, DATA_TYPE_ERROR, "ORC-2 is longer than 50 characters", seq))
    else:
        order.placer_number = placer
    if not order.ordering_provider and _value(seg, 12):
        provider_id = _value(seg, 12, 1)
        name_words = " ".join(w for w in (_value(seg, 12, 6), _value(seg, 12, 3), _value(seg, 12, 2)) if w)
        order.ordering_provider = " ".join(w for w in (provider_id, name_words) if w)
        order.requester = name_words or provider_id
    if _value(seg, 7, 4) or _value(seg, 7, 6):
        _timing([_value(seg, 7, 4), _value(seg, 7, 5), _value(seg, 7, 6)], order, ("ORC", 7, 7, seq))


def _obr(seg: hl7.Segment, seq: int, order: Order, notes: list[str]) -> None:
    code = _value(seg, 4, 1)
    if not code:
        order.problems.append(Problem("OBR", 4, REQUIRED_MISSING, "OBR-4 test code is missing", seq))
    elif code.upper() not in order.tests:
        order.tests.append(code.upper())
        order.test_segments.append(seq)
    if _value(seg, 27, 4) or _value(seg, 27, 6):
        _timing([_value(seg, 27, 4), _value(seg, 27, 5), _value(seg, 27, 6)], order, ("OBR", 27, 27, seq))
    if _value(seg, 13):
        notes.append(_value(seg, 13))


def read_order(header: Header, message: hl7.Message) -> list[Order]:
    """The placer orders in a parsed message, one per placer number (ORC-2), in the order they
    first appear. Refused (AE) naming every wrong field when the message as a whole is wrong
    (MSH, PID, no ORC, an OBR or TQ1 before any ORC); a wrong order group keeps its problems
    in `Order.problems`, so the others can still be taken."""
    check_header(header)
    segments = list(message)
    names = [str(s[0]).upper() for s in segments]
    problems: list[Problem] = []
    patient = Order(control="", facility=header.sending_facility.upper(), placer_number="", nhs_number="")
    if "PID" not in names:
        raise Refused("AE", [Problem("PID", None, SEGMENT_SEQUENCE, "The message has no PID segment")], header)
    if "ORC" not in names:
        raise Refused("AE", [Problem("ORC", None, SEGMENT_SEQUENCE, "The message has no ORC segment")], header)
    _patient(segments[names.index("PID")], patient, problems)
    groups: dict[str, tuple[Order, set[str], list[str]]] = {}  # key -> (order, its ORC-1 codes, its notes)
    current: tuple[Order, set[str], list[str]] | None = None
    counts: dict[str, int] = {}
    shared_notes: list[str] = []  # NTEs before the first ORC are about the patient: every order gets them
    for seg, name in zip(segments, names, strict=True):
        counts[name] = counts.get(name, 0) + 1
        seq = counts[name]
        if name == "ORC":
            key = _group_key(_value(seg, 2), seq)
            if key not in groups:
                groups[key] = (dataclasses.replace(patient, tests=[], test_segments=[], problems=[], sequence=seq,
                                                   first={}), set(), [])
            current = groups[key]
            _orc(seg, seq, current[0], current[1])
        elif name in {"TQ1", "OBR"} and current is None:
            problems.append(Problem(name, None, SEGMENT_SEQUENCE, f"{name} comes before any ORC: an order starts "
                                                                  "with its ORC", seq))
        elif name == "TQ1" and current is not None:
            _timing([_value(seg, 7), _value(seg, 8), _value(seg, 9)], current[0], ("TQ1", 7, 9, seq))
        elif name == "OBR" and current is not None:
            _obr(seg, seq, current[0], current[2])
        elif name == "NTE" and _value(seg, 3):
            (current[2] if current is not None else shared_notes).append(_value(seg, 3))
        if current is not None:
            current[0].first.setdefault(name, seq)
    orders = []
    for order, controls, notes in groups.values():
        if len(controls) > 1:
            order.problems.append(Problem("ORC", 1, DATA_TYPE_ERROR,
                                          "Every ORC-1 of one placer order number must be the same", order.sequence))
        order.control = next(iter(controls), "")
        if order.control == "NW" and not order.tests:
            order.problems.append(Problem("OBR", None, SEGMENT_SEQUENCE,
                                          "A new order needs at least one OBR with a test code", order.sequence))
        order.clinical_details = " ".join(" ".join(shared_notes + notes).split())
        orders.append(order)
    if problems:  # the patient or the message is wrong: no order can be taken
        raise Refused("AE", problems + [p for o in orders for p in o.problems], header)
    return orders
