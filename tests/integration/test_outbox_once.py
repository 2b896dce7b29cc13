"""The outbox sends each message once even when a sender dies or loses an answer: rows left
'sending' by a dead scheduler are taken over at once under the job's lock and looked up at the
provider by their reference before anything is sent again; claims are small and their lease is
renewed; the local sender never overwrites a file. Real Notify client against the stub, both
engines. tests/faults/test_outbox_crashes.py kills real scheduler processes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from booking_web.notify import LocalFileSender, NotifySender, send_due_messages
from booking_web.notify.dispatch import BATCH_SIZE
from booking_web.notify.senders import Outgoing
from booking_web.scheduler import JobContext, run_job
from booking_web.services import booking
from shared.models import OutboxMessage, OutboxStatus
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.integration.notify_stub import API_KEY, notify_stub

DAY = dt.date(2026, 11, 25)
TEMPLATES = {"booked_sms": "tmpl-booked-sms", "booked_email": "tmpl-booked-email"}


def notify(url: str, timeout: float = 15) -> NotifySender:
    return NotifySender(api_key=API_KEY, base_url=url, template_ids=TEMPLATES,
                        service_url="https://phlebo.example", timeout=timeout)


def queue(session, settings, count: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    """Book `count` patients (one SMS each); the outbox row ids."""
    slots = slots_of(session, make_clinic(session, day=DAY, chairs=3))
    for n in range(count):
        booking.book_appointment(session=session, slot_id=slots[n // 3].id, type_code="adult",
                                 patient=make_patient(n), now=NOW, settings=settings)
    return [m.id for m in rows(session)]


def rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def left_sending(session: Session, message_id: int, *, lease_until: dt.datetime) -> None:
    """As a scheduler leaves a row when it is killed mid-send: claimed once, never finished."""
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id)  # type: ignore[call-overload]
                 .values(status=OutboxStatus.SENDING, attempts=1, next_try_at=lease_until))
    session.commit()


def outgoing(session: Session, message_id: int) -> Outgoing:
    m = session.get(OutboxMessage, message_id)
    assert m is not None
    return Outgoing(m.id, m.channel, m.recipient, m.template, dict(m.personalisation), m.dedup_key)  # type: ignore[arg-type]


def test_a_message_that_went_before_its_scheduler_died_is_not_sent_again(engine, session, settings):
    [message_id] = queue(session, settings)
    with notify_stub() as stub:
        taken = notify(stub.url).send(outgoing(session, message_id))  # Notify took it; then kill -9
        left_sending(session, message_id, lease_until=NOW + dt.timedelta(hours=1))
        ctx = JobContext(engine=engine, settings=settings, sender=notify(stub.url), clock=lambda: NOW)
        report = run_job(ctx, "send_outbox")
    assert (report.sent, report.found) == (0, 1)  # type: ignore[union-attr]
    assert len(stub.bodies()) == 1 and [lk["found"] for lk in stub.lookups] == [True]
    [row] = rows(session)
    assert (row.status, row.provider_id) == (OutboxStatus.SENT, taken)


def test_a_message_left_before_it_went_is_taken_over_at_once_and_sent_once(engine, session, settings):
    [message_id] = queue(session, settings)
    left_sending(session, message_id, lease_until=NOW + dt.timedelta(hours=1))  # died before the POST
    with notify_stub() as stub:
        ctx = JobContext(engine=engine, settings=settings, sender=notify(stub.url), clock=lambda: NOW)
        report = run_job(ctx, "send_outbox")  # no waiting for the lease: the lock says it is ours
    assert (report.sent, report.found) == (1, 0)  # type: ignore[union-attr]
    assert [b["reference"] for b in stub.bodies()] == [rows(session)[0].dedup_key]
    assert [lk["found"] for lk in stub.lookups] == [False]
    assert rows(session)[0].status == OutboxStatus.SENT


def test_without_the_lock_a_claim_is_only_taken_once_its_lease_has_run_out(engine, session, settings):
    [message_id] = queue(session, settings)
    lease_end = NOW + dt.timedelta(seconds=settings.outbox_lease_seconds)
    left_sending(session, message_id, lease_until=lease_end)
    with notify_stub() as stub:
        early = send_due_messages(engine=engine, settings=settings, sender=notify(stub.url), now=NOW)
        late = send_due_messages(engine=engine, settings=settings, sender=notify(stub.url), now=lease_end)
    assert (early.sent, late.sent) == (0, 1)
    assert len(stub.bodies()) == 1


def test_a_sender_holds_a_few_messages_at_a_time_and_renews_their_lease(engine, session, settings):
    queue(session, settings, count=12)
    ticks = iter(NOW + dt.timedelta(seconds=7 * i) for i in range(10_000))  # each look at the clock: 7 s on
    seen: list[tuple[int, bool]] = []

    class Watching(LocalFileSender):
        def send(self, message: Outgoing) -> str:
            with Session(engine) as look:
                held = [m for m in look.exec(select(OutboxMessage)) if m.status == OutboxStatus.SENDING]
            now = clock_now[0]
            seen.append((len(held), all(m.next_try_at > now for m in held)))
            return super().send(message)

    clock_now = [NOW]

    def clock() -> dt.datetime:
        clock_now[0] = next(ticks)
        return clock_now[0]

    report = send_due_messages(engine=engine, settings=settings, sender=Watching(settings.outbox_dir, "x"),
                               now=NOW, clock=clock)
    assert report.sent == 12
    assert max(held for held, _ in seen) == BATCH_SIZE  # never more than a batch claimed
    assert all(alive for _, alive in seen)  # 35 s of sending, a 30 s lease: renewed as it went


def test_an_answer_lost_to_a_timeout_is_looked_up_not_sent_twice(engine, session, settings):
    [message_id] = queue(session, settings)
    with notify_stub() as stub:
        stub.answer_delay = 1.5  # Notify takes it, the client gives up waiting
        first = send_due_messages(engine=engine, settings=settings, sender=notify(stub.url, timeout=0.5), now=NOW)
        stub.answer_delay = 0
        later = NOW + dt.timedelta(seconds=settings.outbox_retry_seconds)
        second = send_due_messages(engine=engine, settings=settings, sender=notify(stub.url), now=later)
    assert (first.retrying, second.sent, second.found) == (1, 0, 1)
    assert len(stub.bodies()) == 1
    assert rows(session)[0].status == OutboxStatus.SENT


def test_when_notify_cannot_be_asked_nothing_is_sent(engine, session, settings):
    [message_id] = queue(session, settings)
    left_sending(session, message_id, lease_until=NOW + dt.timedelta(hours=1))
    with notify_stub() as stub:
        stub_url = stub.url
    # The stub is gone: the lookup fails, and a message that may have gone is not sent blind.
    ctx = JobContext(engine=engine, settings=settings, sender=notify(stub_url, timeout=2), clock=lambda: NOW)
    report = run_job(ctx, "send_outbox")
    assert (report.sent, report.retrying) == (0, 1)  # type: ignore[union-attr]
    [row] = rows(session)
    assert row.status == OutboxStatus.PENDING and "looking it up" in row.last_error


def test_the_local_sender_never_overwrites_and_finds_what_it_wrote(engine, session, settings, tmp_path: Path):
    [message_id] = queue(session, settings)
    folder = tmp_path / "files"
    sender = LocalFileSender(folder, "https://phlebo.example")
    message = outgoing(session, message_id)
    assert sender.find(message) is None
    sender.send(message)
    sender.send(dataclasses.replace(message))  # a duplicate is a second file, never a rewrite
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{message_id:06d}-booked-sms.2.txt", f"{message_id:06d}-booked-sms.txt"]
    assert sender.find(message) == f"local-{message_id}"
    # A scheduler that died after writing the file: the next one finds it and writes nothing.
    (folder / f"{message_id:06d}-booked-sms.2.txt").unlink()
    left_sending(session, message_id, lease_until=NOW + dt.timedelta(hours=1))
    report = run_job(JobContext(engine=engine, settings=settings, sender=sender, clock=lambda: NOW), "send_outbox")
    assert (report.sent, report.found) == (0, 1)  # type: ignore[union-attr]
    assert len(list(folder.iterdir())) == 1
