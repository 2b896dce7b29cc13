"""The scheduler's jobs through a booking's life: reminders exactly once (also across clock
changes and with two schedulers on one database), none after cancel, DNA after the session ends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import Counter

import pytest
import time_machine
from sqlalchemy import update
from sqlmodel import Session, select

from booking_web.notify.reminders import reminder_due_at
from booking_web.scheduler import SKIPPED, JobContext, main, run_job, start_background_scheduler
from booking_web.scheduler.locks import job_lock
from booking_web.services import booking
from shared.models import Appointment, AppointmentStatus, OutboxMessage, OutboxStatus
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.integration.notify_stub import API_KEY, notify_stub
from tests.integration.test_notify import TEMPLATE_IDS, notify_sender

DAY = dt.date(2026, 11, 25)  # Wednesday; NOW is Monday 08:00
DOB = dt.date(1970, 5, 17)


class Recorder:
    """A Sender that remembers what it was given (for counting, not for testing Notify)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send(self, message) -> str:  # type: ignore[no-untyped-def]
        with self.lock:
            self.sent.append(message.reference)
        return f"rec-{message.id}"

    def find(self, message) -> str | None:  # type: ignore[no-untyped-def]
        with self.lock:
            return f"rec-{message.id}" if message.reference in self.sent else None


def run_all(engine, settings, sender, at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    ctx = JobContext(engine=engine, settings=settings, sender=sender, clock=lambda: at)
    for name in ("mark_no_shows", "queue_reminders", "waitlist_offers", "send_outbox"):
        run_job(ctx, name)


def outbox(session: Session, template: str | None = None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(session.exec(query))


def book_at(session, settings, day=DAY, start=dt.time(9, 0), n=0, now=NOW):  # type: ignore[no-untyped-def]
    clinic = make_clinic(
        session,
        day=day,
        start=start,
        end=(dt.datetime.combine(day, start) + dt.timedelta(hours=3)).time(),
    )
    return booking.book_appointment(
        session=session,
        slot_id=slots_of(session, clinic)[0].id,
        type_code="adult",
        patient=make_patient(n),
        now=now,
        settings=settings,
    ).appointment


def test_each_reminder_goes_exactly_once_however_often_the_jobs_run(engine, session, settings):
    appt = book_at(session, settings)
    session.commit()
    sender = Recorder()
    at = NOW
    while at < appt.starts_at + dt.timedelta(hours=1):
        run_all(engine, settings, sender, at)
        at += dt.timedelta(minutes=20)
    reminders = [r for r in sender.sent if r.startswith("reminder")]
    assert Counter(k.split(":")[0] for k in reminders) == {"reminder-48h": 1, "reminder-2h": 1}
    rows = outbox(session, "reminder")
    assert [r.sent_at for r in rows] == [
        dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC),
    ]
    assert sender.sent.count(f"booked:{appt.id}:v1:sms") == 1


def test_no_reminder_after_cancel_even_one_already_queued(engine, session, settings):
    appt = book_at(session, settings)
    session.commit()
    due = NOW + dt.timedelta(hours=1)  # the 48h reminder is due
    ctx = JobContext(engine=engine, settings=settings, sender=Recorder(), clock=lambda: due)
    assert run_job(ctx, "queue_reminders") == 1
    booking.cancel_appointment(
        session=session, reference=appt.reference, date_of_birth=DOB, now=due
    )
    [reminder] = outbox(session, "reminder")
    assert reminder.status == OutboxStatus.SKIPPED
    sender = Recorder()
    for hours in range(1, 60, 3):
        run_all(engine, settings, sender, NOW + dt.timedelta(hours=hours))
    assert not [r for r in sender.sent if r.startswith("reminder")]
    assert f"cancelled:{appt.id}:v2:sms" in sender.sent


def test_a_queued_reminder_is_not_sent_once_the_booking_has_moved(engine, session, settings):
    appt = book_at(session, settings)
    later = slots_of(session, make_clinic(session, day=DAY + dt.timedelta(days=1)))[0]
    session.commit()
    due = NOW + dt.timedelta(hours=1)
    run_job(
        JobContext(engine=engine, settings=settings, sender=Recorder(), clock=lambda: due),
        "queue_reminders",
    )
    # Moved by someone whose code does not know about the outbox (a stale row stays pending).
    session.exec(
        update(Appointment)
        .where(Appointment.id == appt.id)  # type: ignore[call-overload]
        .values(slot_id=later.id, starts_at=later.starts_at, version=Appointment.version + 1)
    )
    session.commit()
    sender = Recorder()
    run_job(
        JobContext(engine=engine, settings=settings, sender=sender, clock=lambda: due),
        "send_outbox",
    )
    assert not [r for r in sender.sent if r.startswith("reminder")]
    assert outbox(session, "reminder")[0].status == OutboxStatus.SKIPPED


def test_a_reschedule_makes_new_reminders_due(engine, session, settings):
    appt = book_at(session, settings)
    session.commit()
    sender = Recorder()
    run_all(engine, settings, sender, NOW + dt.timedelta(hours=1))  # 48h reminder for Wednesday
    thursday = slots_of(session, make_clinic(session, day=DAY + dt.timedelta(days=1)))[0]
    booking.reschedule_appointment(
        session=session,
        reference=appt.reference,
        date_of_birth=DOB,
        new_slot_id=thursday.id,
        now=NOW + dt.timedelta(hours=2),
        settings=settings,
    )
    for hours in range(2, 75):
        run_all(engine, settings, sender, NOW + dt.timedelta(hours=hours))
    reminders = sorted(
        r.split(":")[0] + "@" + r.split(":")[2][:10] for r in sender.sent if r.startswith("rem")
    )
    assert reminders == [
        "reminder-2h@2026-11-26",
        "reminder-48h@2026-11-25",
        "reminder-48h@2026-11-26",
    ]


def test_booked_after_the_two_day_reminder_time_gets_only_the_two_hour_one(
    engine, session, settings
):
    book_at(session, settings, day=DAY - dt.timedelta(days=1))  # Tuesday 09:00, 25 hours away
    session.commit()
    sender = Recorder()
    for hours in range(0, 26):
        run_all(engine, settings, sender, NOW + dt.timedelta(hours=hours))
    assert [r.split(":")[0] for r in sender.sent if r.startswith("reminder")] == ["reminder-2h"]


@pytest.mark.parametrize(
    "day,local_due",
    [
        (dt.date(2026, 3, 30), dt.datetime(2026, 3, 28, 9, 0)),  # Monday after the spring change
        (dt.date(2026, 3, 31), dt.datetime(2026, 3, 29, 9, 0)),  # reminder on the change day itself
        (dt.date(2026, 10, 26), dt.datetime(2026, 10, 24, 9, 0)),  # Monday after the autumn change
        (dt.date(2026, 10, 27), dt.datetime(2026, 10, 25, 9, 0)),
    ],
)
def test_two_day_reminder_keeps_wall_clock_time_across_a_clock_change(
    engine, session, settings, day, local_due
):
    booked_at = local_to_utc(day - dt.timedelta(days=10), dt.time(12, 0))
    appt = book_at(session, settings, day=day, now=booked_at)
    session.commit()
    due = local_to_utc(local_due.date(), local_due.time())
    assert reminder_due_at(appt.starts_at, dt.timedelta(hours=48)) == due
    sender = Recorder()
    run_all(engine, settings, sender, due - dt.timedelta(minutes=1))
    assert not outbox(session, "reminder")
    run_all(engine, settings, sender, due)
    [reminder] = outbox(session, "reminder")
    assert reminder.sent_at == due and reminder.personalisation["time"] == "9:00am"
    # The two-hour reminder is two real hours before: 7am on the day, in summer or winter.
    two_hours = appt.starts_at - dt.timedelta(hours=2)
    run_all(engine, settings, sender, two_hours)
    assert [r.sent_at for r in outbox(session, "reminder")][-1] == two_hours
    assert two_hours == local_to_utc(day, dt.time(7, 0))


def test_dna_marked_only_after_the_session_ends(engine, session, settings):
    clinic = make_clinic(session, day=DAY, start=dt.time(9, 0), end=dt.time(12, 0))
    slots = slots_of(session, clinic)
    appts = [
        booking.book_appointment(
            session=session,
            slot_id=slots[i].id,
            type_code="adult",
            patient=make_patient(i),
            now=NOW,
            settings=settings,
        ).appointment
        for i in range(4)
    ]
    booking.cancel_appointment(
        session=session, reference=appts[1].reference, date_of_birth=DOB, now=NOW
    )
    session.exec(
        update(Appointment)
        .where(Appointment.id == appts[2].id)  # type: ignore[call-overload]
        .values(status=AppointmentStatus.CHECKED_IN)
    )
    session.exec(
        update(Appointment)
        .where(Appointment.id == appts[3].id)  # type: ignore[call-overload]
        .values(status=AppointmentStatus.COLLECTED)
    )
    session.commit()
    ends = local_to_utc(DAY, dt.time(12, 0))
    for at, expected in (
        (appts[0].starts_at + dt.timedelta(minutes=30), 0),
        (ends - dt.timedelta(seconds=1), 0),
        (ends, 1),
        (ends + dt.timedelta(hours=1), 0),
    ):
        ctx = JobContext(
            engine=engine, settings=settings, sender=Recorder(), clock=lambda at=at: at
        )
        assert run_job(ctx, "mark_no_shows") == expected
    session.expire_all()
    statuses = [session.get(Appointment, a.id).status for a in appts]  # type: ignore[union-attr]
    assert statuses == ["dna", "cancelled", "checked_in", "collected"]


def test_two_schedulers_on_one_database_send_each_message_exactly_once(engine, session, settings):
    refs = [book_at(session, settings, n=i).reference for i in range(6)]
    session.commit()
    with notify_stub() as stub:
        times = [NOW + dt.timedelta(hours=h) for h in (0, 1, 1, 2, 47, 47.5)]
        step = threading.Barrier(2)

        def scheduler() -> None:
            sender = notify_sender(stub.url)  # each scheduler has its own sender and client
            for at in times:  # both on the same clock, as two servers would be, each tick together
                step.wait(timeout=60)
                run_all(engine, settings, sender, at)

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
    sent = Counter(body["reference"] for body in stub.bodies())
    assert len(sent) == 6 * 3  # booked, 48h and 2h reminders for each booking
    assert set(sent.values()) == {1}
    assert len(refs) == 6 and all(m.status == OutboxStatus.SENT for m in outbox(session))


def test_a_job_held_by_another_scheduler_is_skipped(engine, settings):
    ctx = JobContext(engine=engine, settings=settings, sender=Recorder(), clock=lambda: NOW)
    with job_lock(engine, "send_outbox") as mine:
        assert mine
        result = run_job(ctx, "send_outbox")
    assert result is SKIPPED  # PostgreSQL: an advisory lock; SQLite: a file lock beside the database
    assert run_job(ctx, "send_outbox") is not SKIPPED  # released when the holder finished


def test_phlebo_scheduler_once_runs_every_job(
    engine, session, settings, monkeypatch, capsys, tmp_path
):
    book_at(session, settings)
    session.commit()
    env = {
        "PHLEBO_DATABASE_URL": settings.database_url,
        "PHLEBO_INSTANCE_DIR": str(tmp_path / "inst"),
        "PHLEBO_SECRET_KEY": "x",
        "PHLEBO_OUTBOX_DIR": str(tmp_path / "files"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PHLEBO_NOTIFY_API_KEY", raising=False)
    with time_machine.travel(
        dt.datetime(2026, 11, 25, 12, 5, tzinfo=dt.UTC), tick=False
    ):  # clinic over
        assert main(["--once"]) == 0
    out = capsys.readouterr().out
    assert "send_outbox: SendReport(sent=1" in out and "mark_no_shows: 1" in out
    assert len(list((tmp_path / "files").glob("*-booked-sms.txt"))) == 1


def test_background_scheduler_for_the_demo_sends_in_process(engine, session, settings):
    book_at(session, settings)
    session.commit()
    sender = Recorder()
    fast = dataclasses.replace(settings, scheduler_interval_seconds=1)
    scheduler = start_background_scheduler(fast, engine, sender=sender, clock=lambda: NOW)
    try:
        deadline = time.monotonic() + 15
        while not sender.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert [r.split(":")[0] for r in sender.sent] == ["booked"]
    assert API_KEY and TEMPLATE_IDS  # the Notify path is covered in test_notify.py
