"""The scheduler's work on test requests, run through the scheduler's own job runner on SQLite and
PostgreSQL: the invitation once the window is in reach, one reminder half-way, and 'not taken
up' exactly once when the window ends at midnight London time (clock-change weeks included);
nothing after a booking, a collection or a cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session, select

from booking_web.notify.dispatch import send_due_messages
from booking_web.notify.senders import LocalFileSender
from booking_web.scheduler import JobContext, run_job
from booking_web.services import booking, checkin, staff_queue
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import Scope, cancel_request, submit_request
from booking_web.services.staff_audit import Actor
from shared.models import LabRequest, OutboxMessage, RequestEvent
from shared.timeutil import local_to_utc
from tests.factories import make_clinic, make_organisation, make_patient, slots_of
from tests.integration.test_requests_api import _kiosk

DOB = dt.date(1948, 3, 4)


def margaret():  # type: ignore[no-untyped-def]
    return make_patient(9, given_name="Margaret", family_name="O'Brien", date_of_birth=DOB)


def london(day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute, second))


def make_request(session: Session, settings, *, now: dt.datetime, earliest: dt.date, latest: dt.date) -> str:  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    if not session.exec(select(LabRequest)).first():
        make_organisation(session)
    return submit_request(
        session=session, nhs_number=margaret().nhs_number, tests=["FBC", "UE"], requester="Dr A",
        organisation="B86001", given_name="Margaret", family_name="O'Brien", date_of_birth=DOB.isoformat(),
        mobile="07700900123", email="m@example.com", earliest=earliest.isoformat(), latest=latest.isoformat(),
        settings=settings, now=now,
    ).request.request_number


def tick(engine, settings, at: dt.datetime):  # type: ignore[no-untyped-def]
    """One run of the job, as the scheduler runs it, with the clock at `at`."""
    ctx = JobContext(engine=engine, settings=settings, sender=_sender(settings), clock=lambda: at)
    return run_job(ctx, "request_follow_up")


def _sender(settings):  # type: ignore[no-untyped-def]
    """The local outbox sender: each message a file in the test's outbox folder."""
    return LocalFileSender(settings.outbox_dir, settings.public_url)


def state(session: Session, number: str) -> tuple[str, list[str], list[str]]:
    session.expire_all()
    req = session.exec(select(LabRequest).where(LabRequest.request_number == number)).one()
    events = [e.status for e in session.exec(select(RequestEvent).where(RequestEvent.request_id == req.id)
                                             .order_by(RequestEvent.id))]
    templates = [m.template for m in session.exec(select(OutboxMessage).where(OutboxMessage.lab_request_id == req.id)
                                                  .order_by(OutboxMessage.id))]
    return req.status, events, templates


def test_one_reminder_half_way_and_not_taken_up_once_at_midnight_after_the_window(engine, session, settings):
    created = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    number = make_request(session, settings, now=created, earliest=dt.date(2026, 11, 23), latest=dt.date(2026, 11, 30))
    assert state(session, number) == ("invited", ["waiting", "invited"], ["invite", "invite"])
    # Half-way between the invitation (Mon 08:00) and the end (Tue 1 Dec 00:00): Fri 27 Nov 04:00.
    half = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)
    assert tick(engine, settings, half - dt.timedelta(seconds=1)).reminded == 0
    assert tick(engine, settings, half).reminded == 1
    assert tick(engine, settings, half + dt.timedelta(hours=1)).reminded == 0
    assert state(session, number)[2] == ["invite", "invite", "request_reminder", "request_reminder"]
    assert tick(engine, settings, london(dt.date(2026, 11, 30), 23, 59, 59)).lapsed == 0
    assert tick(engine, settings, london(dt.date(2026, 12, 1))).lapsed == 1
    assert tick(engine, settings, london(dt.date(2026, 12, 1), 0, 1)).lapsed == 0
    status, events, templates = state(session, number)
    assert status == "not_taken_up" and events.count("not_taken_up") == 1
    assert templates.count("request_lapsed") == 2 and len(templates) == 6  # one per channel, once


@pytest.mark.parametrize("latest, ends_utc", [
    # The last Sunday of October 2026 (25th): the window of the 24th ends at midnight BST
    # (23:00 UTC); the window of the 25th ends at midnight GMT (00:00 UTC), 25 hours later.
    (dt.date(2026, 10, 24), dt.datetime(2026, 10, 24, 23, 0, tzinfo=dt.UTC)),
    (dt.date(2026, 10, 25), dt.datetime(2026, 10, 26, 0, 0, tzinfo=dt.UTC)),
    # The last Sunday of March 2027 (28th): GMT before, BST after.
    (dt.date(2027, 3, 27), dt.datetime(2027, 3, 28, 0, 0, tzinfo=dt.UTC)),
    (dt.date(2027, 3, 28), dt.datetime(2027, 3, 28, 23, 0, tzinfo=dt.UTC)),
])
def test_the_window_ends_at_london_midnight_in_a_clock_change_week(engine, session, settings, latest, ends_utc):
    created = london(latest - dt.timedelta(days=6), 9)
    number = make_request(session, settings, now=created, earliest=latest - dt.timedelta(days=6), latest=latest)
    assert tick(engine, settings, ends_utc - dt.timedelta(seconds=1)).lapsed == 0
    assert state(session, number)[0] == "invited"
    assert tick(engine, settings, ends_utc).lapsed == 1
    assert tick(engine, settings, ends_utc + dt.timedelta(hours=2)).lapsed == 0
    assert state(session, number)[1].count("not_taken_up") == 1


def test_a_window_beyond_the_booking_horizon_is_invited_when_it_comes_in_reach(engine, session, settings):
    created = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    earliest = dt.date(2027, 2, 1)  # 70 days ahead; the horizon is 42 days
    number = make_request(session, settings, now=created, earliest=earliest, latest=dt.date(2027, 2, 7))
    assert state(session, number) == ("waiting", ["waiting"], [])
    assert tick(engine, settings, london(dt.date(2026, 12, 20), 12)).invited == 0
    assert tick(engine, settings, london(dt.date(2026, 12, 21), 0, 5)).invited == 1  # 1 Feb - 42 days
    assert tick(engine, settings, london(dt.date(2026, 12, 21), 1)).invited == 0
    assert state(session, number) == ("invited", ["waiting", "invited"], ["invite", "invite"])


def test_nothing_after_a_booking_a_collection_or_a_cancel(engine, session, settings):
    created = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    booked = make_request(session, settings, now=created, earliest=dt.date(2026, 11, 23), latest=dt.date(2026, 11, 30))
    clinic = make_clinic(session, day=dt.date(2026, 11, 25), types=("adult",))
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    appt = booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                                    patient=margaret(), now=created, settings=quick).appointment
    assert appt.request_number == booked
    # The invitations queued before the booking are not sent now that it is booked.
    report = send_due_messages(engine=engine, settings=settings, sender=_sender(settings),
                               now=created + dt.timedelta(minutes=1))
    written = sorted(p.name.split("-", 1)[1] for p in settings.outbox_dir.glob("*.txt"))
    assert report.skipped == 2 and written == ["booked-email.txt", "booked-sms.txt"]
    assert tick(engine, settings, dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)).reminded == 0
    # Collected on the day; the window's end after that changes nothing.
    at_nine = london(dt.date(2026, 11, 25), 8, 55)
    checkin.check_in(session=session, site_id=clinic.site_id, api_key_id=_kiosk(session, clinic.site_id),
                     reference=appt.reference, date_of_birth=DOB, request_id="0b8f3f5e-6a0e-4c39-9d7e-2f1a4c5b6d7e",
                     now=at_nine, settings=settings)
    staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=clinic.site_id,
                               actor=Actor(None, "pat", "Pat"), now=at_nine + dt.timedelta(minutes=5))
    for at in (dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC), london(dt.date(2026, 12, 1), 1)):
        result = tick(engine, settings, at)
        assert (result.reminded, result.lapsed) == (0, 0)
    status, events, templates = state(session, booked)
    assert status == "collected" and events[-1] == "collected" and "request_lapsed" not in templates
    # A cancelled request is never reminded or lapsed either.
    cancelled = make_request(session, settings, now=created, earliest=dt.date(2026, 11, 24),
                             latest=dt.date(2026, 11, 29))
    cancel_request(session=session, request_number=cancelled, scope=Scope(), reason="Not needed",
                   actor=Actor(None, "gp", "Dr A"), now=created + dt.timedelta(hours=1))
    for at in (dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC), london(dt.date(2026, 11, 30), 1)):
        result = tick(engine, settings, at)
        assert (result.reminded, result.lapsed) == (0, 0)
    status, events, templates = state(session, cancelled)
    assert status == "cancelled" and "request_reminder" not in templates and "request_lapsed" not in templates


def test_a_missed_booking_opens_the_request_again_and_it_lapses_at_the_end(engine, session, settings):
    created = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    number = make_request(session, settings, now=created, earliest=dt.date(2026, 11, 23), latest=dt.date(2026, 11, 27))
    clinic = make_clinic(session, day=dt.date(2026, 11, 24), start=dt.time(9), end=dt.time(10), types=("adult",))
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                             patient=margaret(), now=created, settings=quick)
    ctx = JobContext(engine=engine, settings=settings, sender=_sender(settings),
                     clock=lambda: london(dt.date(2026, 11, 24), 11))
    assert run_job(ctx, "mark_no_shows") == 1
    assert state(session, number)[:2] == ("waiting", ["waiting", "invited", "booked", "waiting"])
    assert tick(engine, settings, london(dt.date(2026, 11, 28))).lapsed == 1
    assert state(session, number)[0] == "not_taken_up"
