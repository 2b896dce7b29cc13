"""Booking and changing from the public site exactly once: each journey's last page ("Check
your answers", "Confirm new appointment") carries a key, and the booking is made or moved with
it (services/idempotency.py), so a double click or the form sent again afterwards shows what
was done instead of doing it again (or refusing it as the time the patient already has)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import Session

from booking_web.services.booking import Booked, book_appointment, reschedule_appointment
from booking_web.services.idempotency import AnsweredBefore, Once, earlier_answer, fingerprint
from shared.config import Settings
from shared.errors import BookingError, RuleViolation
from shared.validation import PatientDetails

SCOPE = "web"
_KEY = re.compile(r"^[0-9a-f]{32}$")
# The key stands for the journey, whatever its answers: one journey books (or changes) once.
_FINGERPRINT = fingerprint("POST", "/book/check", {})
_CHANGE_FINGERPRINT = fingerprint("POST", "/manage/change/check", {})


@dataclass(frozen=True)
class WebBooking:
    """A booking made from the public site: what its confirmation page needs."""

    reference: str
    date_of_birth: dt.date
    sent_to: list[str] = field(default_factory=list)  # where the confirmation goes: 'sms:07700 900982'


def new_booking_key() -> str:
    """A new random key for a journey (it goes in the session and in the Book form)."""
    return uuid.uuid4().hex


def _once(key: str) -> Once:
    return Once(scope=SCOPE, key=key, fingerprint=_FINGERPRINT)


def booking_made_with(*, session: Session, key: str, now: dt.datetime) -> WebBooking | None:
    """The booking made with this journey key in the last 24 hours, or None."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        return None
    earlier = earlier_answer(session=session, once=_once(key), now=now)
    if earlier is None:
        return None
    body = earlier[1]
    return WebBooking(reference=body["reference"], date_of_birth=dt.date.fromisoformat(body["date_of_birth"]),
                      sent_to=list(body.get("sent_to", [])))


def book_once(
    *, session: Session, key: str, slot_id: int, type_code: str, patient: PatientDetails,
    now: dt.datetime, settings: Settings, request_number: str | None = None, sent_to: list[str] | None = None,
    language: str = "",
) -> WebBooking:
    """Book for a journey, once: the new booking, or the one its key already made (a twin request
    that got there first). Raises what book_appointment raises when nothing was booked."""
    once = _once(key)

    made = partial(WebBooking, date_of_birth=patient.date_of_birth, sent_to=list(sent_to or []))

    def render(booked: Booked) -> tuple[int, dict[str, object]]:
        return 303, {"reference": booked.booking.reference, "date_of_birth": patient.date_of_birth.isoformat(),
                     "sent_to": list(sent_to or [])}

    once.render = render
    try:
        booked = book_appointment(session=session, slot_id=slot_id, type_code=type_code, patient=patient,
                                  now=now, settings=settings, request_number=request_number, once=once,
                                  language=language)
    except (BookingError, AnsweredBefore) as exc:
        earlier = booking_made_with(session=session, key=key, now=now)
        if earlier is not None:
            return earlier
        if isinstance(exc, AnsweredBefore):
            raise RuleViolation("booking_in_progress", code="conflict") from exc
        raise
    return made(reference=booked.booking.reference)


def _change_once(key: str) -> Once:
    return Once(scope=SCOPE, key=key, fingerprint=_CHANGE_FINGERPRINT)


def change_made_with(*, session: Session, key: str, now: dt.datetime) -> str | None:
    """The reference of the booking this change journey's key moved in the last 24 hours, or None."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        return None
    earlier = earlier_answer(session=session, once=_change_once(key), now=now)
    return None if earlier is None else str(earlier[1]["reference"])


def reschedule_once(
    *, session: Session, key: str, reference: str, date_of_birth: dt.date, new_slot_id: int,
    now: dt.datetime, settings: Settings, language: str | None = None,
) -> str:
    """Move a booking for a change journey, once: its reference, whether this call moved it or
    its key already had (a twin request that got there first). Raises what
    reschedule_appointment raises when nothing was moved. The booking takes `language`."""
    once = _change_once(key)
    once.render = lambda appt: (303, {"reference": appt.reference})
    try:
        moved = reschedule_appointment(session=session, reference=reference, date_of_birth=date_of_birth,
                                       new_slot_id=new_slot_id, now=now, settings=settings, once=once,
                                       language=language)
    except (BookingError, AnsweredBefore) as exc:
        earlier = change_made_with(session=session, key=key, now=now)
        if earlier is not None:
            return earlier
        if isinstance(exc, AnsweredBefore):
            raise RuleViolation("change_in_progress", code="conflict") from exc
        raise
    return moved.reference
