"""Closing a clinic day (issue 11, item 2) on SQLite and PostgreSQL: every booking on it is
cancelled by the service with a CLOSED message through the outbox, the patients nobody can
text are listed to phone, and a booking racing the closure never survives it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session, col, select

from booking_web.notify.senders import LocalFileSender, Outgoing
from booking_web.services import booking, closures, staff_queue
from booking_web.services.staff_audit import Actor
from shared.errors import RuleViolation, SlotFull, ValidationFailed
from shared.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    ClinicSession,
    OutboxMessage,
    OutboxStatus,
    Slot,
)
from tests.conftest import NOW
from tests.factories import audit_log, make_clinic, make_patient, make_site, slots_of
from tests.integration.test_concurrency import run_together

DAY = dt.date(2026, 11, 30)  # the Monday after NOW
ADMIN = Actor(None, "ada", "Ada")


def _book(session: Session, settings, slot: Slot, n: int, **patient: object) -> Appointment:  # type: ignore[no-untyped-def]
    return booking.book_appointment(
        session=session, slot_id=slot.id, type_code="adult",  # type: ignore[arg-type]
        patient=make_patient(n, **patient), now=NOW, settings=settings,
    ).appointment


def _close(session: Session, site_id: int, reason: str = "The building has no heating") -> int:
    return closures.close_day(
        session=session, site_id=site_id, day=DAY, reason=reason, actor=ADMIN, now=NOW
    )


@pytest.fixture
def day(session, settings):  # type: ignore[no-untyped-def]
    """A site with a clinic on DAY: four bookings (text, email only, both, neither) and one
    patient already checked in."""
    site = make_site(session, name="Seacroft")
    clinic = make_clinic(session, site=site, day=DAY, chairs=2)
    slots = slots_of(session, clinic)
    made = {
        "text": _book(session, settings, slots[0], 1),
        "email": _book(session, settings, slots[0], 2, mobile="", email="jo@example.com"),
        "both": _book(session, settings, slots[1], 3, email="sam@example.com"),
        "none": _book(session, settings, slots[2], 4, mobile=""),
        "here": _book(session, settings, slots[3], 5),
    }
    here = made["here"]
    here.status, here.checked_in_at = AppointmentStatus.CHECKED_IN, NOW
    session.add(here)
    session.commit()
    return site, clinic, made


def test_closing_cancels_every_booking_by_the_service_and_tells_each_patient(
    session, settings, day
):
    site, clinic, made = day
    preview = closures.preview_closure(session=session, site_id=site.id, day=DAY)
    assert (preview.to_cancel, preview.without_contact, preview.checked_in) == (4, 1, 1)
    assert session.get(Appointment, made["text"].id).status == AppointmentStatus.BOOKED  # a look

    assert _close(session, site.id, "  The building has no heating. ") == 4

    session.expire_all()
    for name in ("text", "email", "both", "none"):
        appt = session.get(Appointment, made[name].id)
        assert (appt.status, appt.cancelled_by, appt.cancel_reason) == (
            AppointmentStatus.CANCELLED, CancelledBy.SERVICE, "The building has no heating"), name
    assert session.get(Appointment, made["here"].id).status == AppointmentStatus.CHECKED_IN
    closed = session.get(ClinicSession, clinic.id)
    assert closed.closed_at == NOW and closed.closed_reason == "The building has no heating"
    # Every chair is given back except the checked-in patient's, and none can be claimed again.
    slots = slots_of(session, clinic)
    assert [(s.booked, s.capacity) for s in slots[:5]] == [(0, 0), (0, 0), (0, 0), (1, 1), (0, 0)]
    assert all(s.booked == s.capacity for s in slots)

    sent = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.template == "closed")
        .order_by(col(OutboxMessage.id))
    ).all()
    assert sorted((m.appointment_id, m.channel) for m in sent) == sorted([
        (made["text"].id, "sms"), (made["email"].id, "email"),
        (made["both"].id, "sms"), (made["both"].id, "email"),
    ])
    assert all(m.personalisation["reason"] == "The building has no heating" for m in sent)
    assert sent[0].personalisation["reference"][3] == "-"  # as patients read it
    actions = [a.action for a in audit_log(session)]
    assert actions == ["cancel"] * 4 + ["close_day"]

    page = closures.closed_day(session=session, site_id=site.id, day=DAY)
    assert [b.reference for b in page.to_phone] == [made["none"].reference]
    assert [b.reference for b in page.checked_in] == [made["here"].reference]
    assert page.reason == "The building has no heating" and len(page.cancelled) == 4


def test_the_closed_message_gives_the_reason_and_a_link_to_book_again(
    session, settings, day, tmp_path
):
    site, _clinic, made = day
    _close(session, site.id)
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.appointment_id == made["text"].id,
                                    OutboxMessage.template == "closed")
    ).one()
    sender = LocalFileSender(tmp_path, "https://bloodtests.example.nhs.uk")
    sender.send(Outgoing(id=1, channel="sms", recipient=message.recipient, template="closed",
                         personalisation=dict(message.personalisation), reference="k"))
    text = next(tmp_path.glob("*.txt")).read_text()
    assert "cancel your blood test at 9:00am on Monday 30 November 2026 at Seacroft" in text
    assert "because the clinic is closed: The building has no heating." in text
    assert "book a new time at https://bloodtests.example.nhs.uk/book" in text


def test_a_closed_day_takes_no_bookings_and_a_message_queued_before_is_withdrawn(
    session, settings, day
):
    site, clinic, made = day
    reminder = OutboxMessage(
        dedup_key="reminder-48h:x", channel="sms", recipient="07700900123", template="reminder",
        personalisation={}, status=OutboxStatus.PENDING, attempts=0, next_try_at=NOW,
        created_at=NOW, appointment_id=made["text"].id, only_if_version=made["text"].version,
    )
    session.add(reminder)
    session.commit()
    _close(session, site.id)
    session.expire_all()
    assert session.get(OutboxMessage, reminder.id).status == OutboxStatus.SKIPPED
    free = slots_of(session, clinic)[6]
    with pytest.raises(RuleViolation) as refused:
        _book(session, settings, free, 9)
    assert refused.value.code == "clinic_closed"


def test_closing_again_cancels_nothing_twice(session, settings, day):
    site, _clinic, _made = day
    _close(session, site.id)
    with pytest.raises(RuleViolation) as again:
        _close(session, site.id)
    assert again.value.code == "already_closed"
    with pytest.raises(RuleViolation):
        closures.preview_closure(session=session, site_id=site.id, day=DAY)
    closed = select(OutboxMessage).where(OutboxMessage.template == "closed")
    assert len(session.exec(closed).all()) == 4


def test_a_reason_is_required_and_short_enough_for_a_text(session, settings, day):
    site, _clinic, made = day
    for reason in ("   ", "x" * 161):
        with pytest.raises(ValidationFailed) as bad:
            _close(session, site.id, reason)
        assert "reason" in bad.value.fields
    session.expire_all()
    assert session.get(Appointment, made["text"].id).status == AppointmentStatus.BOOKED


def test_a_booking_that_saw_the_day_open_is_refused_once_it_closes(
    engine, session, settings, day, monkeypatch
):
    """The booking reads the slot (open), the closure commits, then the booking claims the chair:
    the claim must fail, or a patient would hold a booking on a closed day with no message."""
    site, clinic, _made = day
    free_slot_id = slots_of(session, clinic)[8].id
    site_id = site.id
    checked = booking.check_place_bookable

    def close_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        checked(*args, **kwargs)
        closer = threading.Thread(target=lambda: _close(Session(engine), site_id))
        closer.start()
        closer.join(timeout=30)

    monkeypatch.setattr(booking, "check_place_bookable", close_meanwhile)
    session.rollback()
    with pytest.raises(SlotFull):
        booking.book_appointment(session=session, slot_id=free_slot_id, type_code="adult",
                                 patient=make_patient(20), now=NOW, settings=settings)
    session.expire_all()
    assert session.get(ClinicSession, clinic.id).closed_at is not None
    assert session.exec(select(Appointment).where(Appointment.slot_id == free_slot_id)).all() == []


def test_bookings_racing_a_closure_never_survive_it(engine, session, settings):
    """Twelve bookings and a closure at once: whatever order they run in, no booking is left on
    the closed day, and each slot's chairs match its bookings."""
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=DAY, chairs=2)
    slot_ids = [s.id for s in slots_of(session, clinic)]
    site_id = site.id

    def book(i: int):  # type: ignore[no-untyped-def]
        def job(s: Session) -> object:
            return booking.book_appointment(
                session=s, slot_id=slot_ids[i % 4], type_code="adult", patient=make_patient(30 + i),
                now=NOW, settings=settings).appointment
        return job

    jobs = [book(i) for i in range(12)]
    jobs.insert(6, lambda s: closures.close_day(session=s, site_id=site_id, day=DAY,
                                                reason="Flood", actor=ADMIN, now=NOW))
    results = run_together(engine, jobs, session)
    unexpected = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, (SlotFull, RuleViolation))]
    assert not unexpected, unexpected
    assert isinstance(results[6], int)
    booked = session.exec(select(Appointment).where(col(Appointment.slot_id).in_(slot_ids))).all()
    assert all(a.status == AppointmentStatus.CANCELLED for a in booked)
    assert results[6] == len(booked)
    assert all(s.booked == 0 for s in slots_of(session, clinic))
    messages = session.exec(select(OutboxMessage).where(OutboxMessage.template == "closed")).all()
    assert len(messages) == len(booked)  # every booking that got in was told


def test_staff_and_patient_cancellations_say_who_cancelled(session, settings):
    site = make_site(session)
    slots = slots_of(session, make_clinic(session, site=site, day=DAY))
    mine, theirs = _book(session, settings, slots[0], 1), _book(session, settings, slots[1], 2)
    booking.cancel_appointment(session=session, reference=mine.reference,
                               date_of_birth=dt.date(1970, 5, 17), now=NOW)
    staff_queue.cancel_for_patient(session=session, appointment_id=theirs.id, site_id=site.id,
                                   actor=ADMIN, reason="Rang to cancel", now=NOW)
    session.expire_all()
    assert session.get(Appointment, mine.id).cancelled_by == CancelledBy.PATIENT
    assert session.get(Appointment, theirs.id).cancelled_by == CancelledBy.STAFF
    assert closures.closed_days(session=session, first_day=DAY) == []
