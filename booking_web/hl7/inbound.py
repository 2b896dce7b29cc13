"""One inbound order message in, one ACK out: read it (booking_web.hl7.message, .orders), hand
each placer order in it to the request services (submit_request for NW, cancel_request for CA:
the same services as the staff pages and the JSON API), and answer AA, AE or AR with ERR
segments.

A refusal changes nothing: every rule is checked before the service is called, and the
service itself writes nothing when it refuses. A message with several placer orders (the
repeating ORDER group) is several independent orders, as the sender's system holds them: each
is taken or refused on its own (each in its own transaction, each idempotent by its placer
number). When any is refused the ACK is AE (the message was not taken whole, HL7 v2.5.1 2.9.2)
with an ERR of severity E per problem, located at that order's segment and its sequence in the
message (ERL-1, ERL-2), and an ERR of severity I (table 0516; ERR-3 code 0, message accepted)
per order that was taken, naming the request it made; sending the message again after fixing
the refused order is safe: the orders taken are answered with their requests, nothing twice.
A detail left out of an order that is taken (a postcode that is not a full UK one) is an ERR
of severity W beside MSA-1 AA: an address typo never holds up a blood test.
Nothing raised here reaches the listener."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from booking_web.hl7.er7 import ack
from booking_web.hl7.message import (
    ACCEPTED,
    DATA_TYPE_ERROR,
    INTERNAL_ERROR,
    TABLE_VALUE_NOT_FOUND,
    UNKNOWN_KEY,
    Header,
    Problem,
    Refused,
    parse_message,
)
from booking_web.hl7.orders import Order, read_order
from booking_web.messages import field_words, words
from booking_web.services.lab_requests import Scope, cancel_request, submit_request
from booking_web.services.order_defaults import order_window
from booking_web.services.organisations import organisation_by_code
from booking_web.services.staff_audit import Actor
from shared.config import Settings
from shared.errors import BookingError, problem
from shared.models import LabRequest, RequestSource
from shared.timeutil import london_today

log = logging.getLogger(__name__)

# Where each field submit_request can refuse came from in the message.
FIELD_AT: dict[str, tuple[str, int, str]] = {
    "nhs_number": ("PID", 3, DATA_TYPE_ERROR),
    "given_name": ("PID", 5, DATA_TYPE_ERROR),
    "family_name": ("PID", 5, DATA_TYPE_ERROR),
    "date_of_birth": ("PID", 7, DATA_TYPE_ERROR),
    "mobile": ("PID", 13, DATA_TYPE_ERROR),
    "email": ("PID", 13, DATA_TYPE_ERROR),
    "postcode": ("PID", 11, DATA_TYPE_ERROR),
    "organisation": ("MSH", 4, UNKNOWN_KEY),
    "placer_order_number": ("ORC", 2, DATA_TYPE_ERROR),
    "tests": ("OBR", 4, TABLE_VALUE_NOT_FOUND),
    "requester": ("ORC", 12, DATA_TYPE_ERROR),
    "ordering_provider": ("ORC", 12, DATA_TYPE_ERROR),
    "earliest": ("TQ1", 7, DATA_TYPE_ERROR),
    "latest": ("TQ1", 8, DATA_TYPE_ERROR),
    "urgency": ("TQ1", 9, TABLE_VALUE_NOT_FOUND),
    "clinical_details": ("NTE", 3, DATA_TYPE_ERROR),
}

# ...and its component, where the field has several (ERR-2's ERL-5).
FIELD_COMPONENT = {"postcode": 5}  # XAD-5 zip or postal code


def _problems(exc: BookingError, order: Order) -> list[Problem]:
    """The service's refusal as ERR problems, each at the segment of this order it came from."""
    fields = field_words(exc)
    problems = []
    for name, text in fields.items():
        segment, field, code = FIELD_AT.get(name, ("ORC", 2, DATA_TYPE_ERROR))
        sequence = 1 if segment in {"MSH", "PID"} else order.first.get(segment, order.sequence)
        problems.append(Problem(segment, field, code, text, sequence, component=FIELD_COMPONENT.get(name)))
    return problems or [Problem("ORC", 2, DATA_TYPE_ERROR, words(exc), order.sequence)]


def _take(engine: Engine, orders: list[Order], settings: Settings, now: Callable[[], dt.datetime],
          header: Header, write_lock: AbstractContextManager[object] | None) -> tuple[str, list[Problem]]:
    """Apply each order in its own transaction: the ACK code and its ERR problems."""
    refused: list[Problem] = []
    taken: list[Problem] = []
    # Not expired on commit: the ACK and the log read the request just made without reloading it.
    with write_lock or nullcontext(), Session(engine, expire_on_commit=False) as session:
        for order in orders:
            if order.problems:
                refused.extend(order.problems)
                continue
            try:
                req = apply_order(session=session, order=order, settings=settings, now=now())
            except BookingError as exc:
                refused.extend(_problems(exc, order))
                continue
            log.info("hl7: %s %s from %s is request %s", header.message_type, order.control, order.facility,
                     req.request_number)
            taken.append(Problem("ORC", None, ACCEPTED, f"Placer order {order.placer_number} was taken: request "
                                 f"{req.request_number}", order.sequence, severity="I"))
    # A warning (severity W: what was left out of an order taken) is the patient's, said once.
    warnings = list(dict.fromkeys(w for order in orders for w in order.warnings))
    if not refused:
        return "AA", warnings
    # The same refusal of the message as a whole (its sender, the patient) is said once.
    return "AE", list(dict.fromkeys(refused)) + (taken if len(orders) > 1 else []) + warnings


def _by_placer(session: Session, organisation_id: int | None, placer: str) -> LabRequest | None:
    return session.exec(select(LabRequest).where(col(LabRequest.organisation_id) == organisation_id,
                                                 col(LabRequest.placer_number) == placer)).first()


def apply_order(*, session: Session, order: Order, settings: Settings, now: dt.datetime) -> LabRequest:
    """Create (NW) or cancel (CA) the request an order names, through the request services; a
    repeat of either is answered with the request as it is. BookingError when refused."""
    actor = Actor(None, f"hl7:{order.facility}"[:60], f"Order comms of {order.facility}"[:100])
    if order.control == "CA":
        org = organisation_by_code(session=session, ods_code=order.facility)
        req = _by_placer(session, org.id, order.placer_number) if org is not None and org.active else None
        if org is None or not org.active:
            raise BookingError("hl7_organisation_unknown", fields={
                "organisation": problem("hl7_organisation_unknown", ods_code=order.facility[:10])},
                ods_code=order.facility[:10])
        if req is None or req.nhs_number != order.nhs_number:
            raise BookingError("hl7_order_unknown", fields={"placer_order_number": problem("hl7_order_unknown")})
        return cancel_request(session=session, request_number=req.request_number, scope=Scope(organisation_id=org.id),
                              reason="Cancelled by the requester's order comms (ORC-1 CA)", actor=actor, now=now)
    earliest, latest = order_window(earliest=order.earliest, latest=order.latest, urgency=order.urgency,
                                    today=london_today(now))
    return submit_request(
        session=session, nhs_number=order.nhs_number, tests=order.tests,
        requester=order.requester or f"Order comms of {order.facility}", now=now,
        organisation=order.facility, given_name=order.given_name or None, family_name=order.family_name or None,
        date_of_birth=order.date_of_birth, mobile=order.mobile, email=order.email, postcode=order.postcode,
        language=order.language, earliest=earliest,
        latest=latest, urgency=order.urgency, clinical_details=order.clinical_details,
        placer_number=order.placer_number, ordering_provider=order.ordering_provider,
        source=RequestSource.HL7, actor=actor, settings=settings,
    ).request


def receive(payload: bytes, *, engine: Engine, settings: Settings, now: Callable[[], dt.datetime],
            write_lock: AbstractContextManager[object] | None = None) -> bytes:
    """The ACK for one framed message, encoded as the message was. Never raises. `write_lock`,
    when given, is held while the message's orders are written (reading and checking the
    message happen outside it): the listener's one-writer lock on SQLite."""
    header: Header | None = None
    problems: list[Problem] = []
    try:
        header, message = parse_message(payload)
        code, problems = _take(engine, read_order(header, message), settings, now, header, write_lock)
    except Refused as exc:
        header = exc.header or header
        code, problems = exc.ack_code, exc.problems
    except Exception:  # a fault of ours or the database's: the sender should try again later
        log.exception("hl7: could not take a message")
        code, problems = "AR", [Problem("MSH", 10, INTERNAL_ERROR, "Phlebo could not take the message now: send it again later")]
    if code != "AA":
        log.info("hl7: answered %s (%s)", code, "; ".join(p.text for p in problems)[:300])
    text = ack(header, code, problems, now=now())
    return text.encode(header.codec if header is not None and header.codec else "utf-8", errors="replace")
