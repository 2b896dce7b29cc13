"""The outbox: messages queued with the change they announce, sent by GOV.UK Notify (the real
client against a loopback stub) or to local files, retried with backoff, failures kept for staff."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

import pytest
from sqlmodel import Session, select

from booking_web.notify import LocalFileSender, NotifySender, send_due_messages
from booking_web.notify.outbox import count_by_status, list_messages, resend_message
from booking_web.notify.senders import Outgoing, PermanentSendError
from booking_web.notify.texts import TEMPLATES, placeholders
from booking_web.services import booking
from shared.errors import SlotFull
from shared.models import OutboxMessage, OutboxStatus
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient, slots_of
from tests.integration.notify_stub import API_KEY, notify_stub

DAY = dt.date(2026, 11, 25)
DOB = dt.date(1970, 5, 17)
TEMPLATE_IDS = {f"{t}_{c}": f"tmpl-{t}-{c}" for t in TEMPLATES for c in ("sms", "email")}


def messages(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def notify_sender(url: str) -> NotifySender:
    return NotifySender(
        api_key=API_KEY,
        base_url=url,
        template_ids=TEMPLATE_IDS,
        service_url="https://phlebo.example",
    )


def book(session, settings, n=0, slot_index=0, **patient):  # type: ignore[no-untyped-def]
    clinic = make_clinic(session, day=DAY)
    return booking.book_appointment(
        session=session,
        slot_id=slots_of(session, clinic)[slot_index].id,
        type_code="adult",
        patient=make_patient(n, **patient),
        now=NOW,
        settings=settings,
    ).appointment


def test_book_change_cancel_each_queue_their_message_in_the_same_transaction(session, settings):
    appt = book(session, settings, email="jane@example.com")
    later = slots_of(session, make_clinic(session, day=DAY + dt.timedelta(days=1)))[2]
    booking.reschedule_appointment(
        session=session,
        reference=appt.reference,
        date_of_birth=DOB,
        new_slot_id=later.id,
        now=NOW,
        settings=settings,
    )
    booking.cancel_appointment(
        session=session, reference=appt.reference, date_of_birth=DOB, now=NOW
    )
    booking.cancel_appointment(
        session=session, reference=appt.reference, date_of_birth=DOB, now=NOW
    )
    rows = messages(session)
    assert [(m.template, m.channel) for m in rows] == [
        ("booked", "sms"),
        ("booked", "email"),
        ("changed", "sms"),
        ("changed", "email"),
        ("cancelled", "sms"),
        ("cancelled", "email"),
    ]
    assert {m.dedup_key for m in rows} >= {
        f"booked:{appt.id}:v1:sms",
        f"changed:{appt.id}:v2:sms",
        f"cancelled:{appt.id}:v3:email",
    }
    assert all(m.status == OutboxStatus.PENDING and m.appointment_id == appt.id for m in rows)
    assert (
        rows[2].personalisation["time"] == "9:20am" and rows[0].personalisation["time"] == "9:00am"
    )
    # The least personal data: no name, NHS number or date of birth.
    patient = make_patient(0)
    for m in rows:
        assert set(m.personalisation) == {"reference", "date", "time", "site", "address", "preparation"}
        text = json.dumps(m.personalisation)
        assert (
            patient.nhs_number not in text
            and "1970" not in text
            and patient.family_name not in text
        )


def test_a_booking_that_fails_queues_nothing(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=1)
    slot = slots_of(session, clinic)[0]
    booking.book_appointment(
        session=session,
        slot_id=slot.id,
        type_code="adult",
        patient=make_patient(1),
        now=NOW,
        settings=settings,
    )
    with pytest.raises(SlotFull):
        booking.book_appointment(
            session=session,
            slot_id=slot.id,
            type_code="adult",
            patient=make_patient(2),
            now=NOW,
            settings=settings,
        )
    assert len(messages(session)) == 1


def test_local_sender_writes_each_message_to_a_file_and_logs_only_its_id(
    engine, session, settings, caplog
):
    appt = book(session, settings)
    session.commit()
    sender = LocalFileSender(settings.outbox_dir, "http://127.0.0.1:5000")
    with caplog.at_level(logging.INFO):
        report = send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW)
    assert report.sent == 1
    [path] = settings.outbox_dir.glob("*.txt")
    text = path.read_text()
    assert "To: 07700900123" in text and "9:00am on Wednesday 25 November 2026" in text
    assert "http://127.0.0.1:5000/manage" in text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "wrote message" in logged
    assert "07700900123" not in logged and appt.reference not in logged
    [row] = messages(session)
    assert row.status == OutboxStatus.SENT and row.sent_at == NOW and row.attempts == 1


def test_notify_sender_uses_the_real_client_with_template_ids_from_config(
    engine, session, settings
):
    appt = book(session, settings, email="jane@example.com")
    session.commit()
    with notify_stub() as stub:
        report = send_due_messages(
            engine=engine, settings=settings, sender=notify_sender(stub.url), now=NOW
        )
    assert report.sent == 2
    [sms] = stub.bodies("/v2/notifications/sms")
    [email] = stub.bodies("/v2/notifications/email")
    assert sms["phone_number"] == "07700900123" and sms["template_id"] == "tmpl-booked-sms"
    assert (
        email["email_address"] == "jane@example.com" and email["template_id"] == "tmpl-booked-email"
    )
    assert sms["reference"] == f"booked:{appt.id}:v1:sms"
    assert sms["personalisation"]["service_url"] == "https://phlebo.example"
    assert stub.requests[0]["auth"].startswith("Bearer ")
    assert all(m.status == OutboxStatus.SENT and m.provider_id for m in messages(session))


def test_notify_error_leaves_message_pending_with_error_then_sends_on_next_try(
    engine, session, settings
):
    book(session, settings)
    session.commit()
    with notify_stub() as stub:
        stub.fail_with = [500]
        sender = notify_sender(stub.url)
        first = send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW)
        [row] = messages(session)
        assert (first.retrying, row.status, row.attempts) == (1, OutboxStatus.PENDING, 1)
        assert "500" in row.last_error and row.sent_at is None
        assert row.next_try_at == NOW + dt.timedelta(seconds=settings.outbox_retry_seconds)
        assert send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW).sent == 0
        later = NOW + dt.timedelta(seconds=61)
        assert (
            send_due_messages(engine=engine, settings=settings, sender=sender, now=later).sent == 1
        )
    [row] = messages(session)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 2, later)
    assert len(stub.requests) == 2


def test_unreachable_notify_is_retried_with_exponential_backoff(engine, session, settings):
    book(session, settings)
    session.commit()
    with notify_stub() as stub:
        dead = stub.url
    sender = notify_sender(dead)  # nothing listens there now: connection refused
    when = NOW
    waits = []
    for _ in range(3):
        send_due_messages(engine=engine, settings=settings, sender=sender, now=when)
        [row] = messages(session)
        waits.append((row.next_try_at - when).total_seconds())
        when = row.next_try_at
    assert waits == [60, 120, 240]
    assert (
        row.status == OutboxStatus.PENDING
        and row.attempts == 3
        and "Notify answered 503" in row.last_error
    )


def test_400_from_notify_fails_at_once_with_personal_data_redacted(engine, session, settings):
    book(session, settings)
    session.commit()
    with notify_stub() as stub:
        stub.fail_with = [400]
        report = send_due_messages(
            engine=engine, settings=settings, sender=notify_sender(stub.url), now=NOW
        )
    [row] = messages(session)
    assert report.failed == 1 and row.status == OutboxStatus.FAILED and row.attempts == 1
    assert (
        "400" in row.last_error
        and "[redacted]" in row.last_error
        and "07700900123" not in row.last_error
    )


def test_gives_up_after_max_attempts_and_staff_can_resend(engine, session, settings):
    settings = dataclasses.replace(settings, outbox_max_attempts=2)
    book(session, settings)
    session.commit()
    with notify_stub() as stub:
        stub.fail_with = [503, 503]
        sender = notify_sender(stub.url)
        send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW)
        send_due_messages(
            engine=engine, settings=settings, sender=sender, now=NOW + dt.timedelta(hours=1)
        )
        [row] = messages(session)
        assert row.status == OutboxStatus.FAILED and row.attempts == 2
        assert count_by_status(session=session)["failed"] == 1
        assert list_messages(session=session, status="failed")[0].id == row.id
        again = NOW + dt.timedelta(hours=2)
        resend_message(session=session, message_id=row.id, actor=SETUP, now=again)
        assert (
            send_due_messages(engine=engine, settings=settings, sender=sender, now=again).sent == 1
        )
    [row] = messages(session)
    assert row.status == OutboxStatus.SENT and row.attempts == 1


def test_missing_template_id_is_a_permanent_failure():
    sender = NotifySender(
        api_key=API_KEY, base_url="http://127.0.0.1:9", template_ids={}, service_url="x"
    )
    with pytest.raises(PermanentSendError, match="PHLEBO_NOTIFY_TEMPLATE_BOOKED_SMS"):
        sender.send(
            Outgoing(
                id=1,
                channel="sms",
                recipient="07700900123",
                template="booked",
                personalisation={},
                reference="k",
            )
        )


@pytest.mark.parametrize("kind", ["local", "notify"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_sender_delivers_every_template(kind, template, tmp_path):
    """One contract over every Sender: each template, each channel, gets a provider id back."""
    with notify_stub() as stub:
        sender = (
            LocalFileSender(tmp_path, "http://x") if kind == "local" else notify_sender(stub.url)
        )
        for i, channel in enumerate(("sms", "email")):
            values = {name: f"<{name}>" for name in placeholders(template) if name != "service_url"}
            ident = sender.send(
                Outgoing(
                    id=i + 1,
                    channel=channel,
                    recipient="07700900123",
                    template=template,
                    personalisation=values,
                    reference=f"{template}:{i}",
                )
            )
            assert ident
    if kind == "local":
        assert len(list(tmp_path.glob("*.txt"))) == 2
        assert "((" not in "".join(p.read_text() for p in tmp_path.glob("*.txt"))
    else:
        assert [r["body"]["template_id"] for r in stub.requests] == [
            f"tmpl-{template}-sms",
            f"tmpl-{template}-email",
        ]
