"""The staff outbox page, behind the admin sign-in as the app mounts it."""

from __future__ import annotations

from sqlmodel import select

from booking_web.notify import send_due_messages
from booking_web.staff.outbox import mask
from shared.models import OutboxMessage, OutboxStatus
from tests.conftest import NOW
from tests.factories import make_staff
from tests.integration.notify_stub import notify_stub
from tests.integration.test_notify import book, notify_sender
from tests.integration.test_staff import sign_in


def test_failed_messages_are_listed_and_can_be_sent_again(app, engine, session, settings):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    make_staff(session, role="phlebotomist", username="pat")
    make_staff(session, role="admin", username="ada")
    assert client.get("/staff/outbox/").status_code == 302  # not signed in: sent to sign in
    sign_in(client, "pat")
    assert client.get("/staff/outbox/").status_code == 403  # a phlebotomist may not administer
    client.post("/staff/sign-out")
    sign_in(client, "ada")
    book(session, settings)
    session.commit()
    with notify_stub() as stub:
        stub.fail_with = [400]
        send_due_messages(engine=engine, settings=settings, sender=notify_sender(stub.url), now=NOW)
        page = client.get("/staff/outbox/?status=failed")
        assert page.status_code == 200 and "Failed (1)" in page.text and "Send again" in page.text
        assert "07700900123" not in page.text and mask("07700900123") in page.text
        [row] = session.exec(select(OutboxMessage)).all()
        assert client.post(f"/staff/outbox/{row.id}/resend").status_code == 302
        assert "will be sent again" in client.get("/staff/outbox/").text
        assert (
            send_due_messages(
                engine=engine, settings=settings, sender=notify_sender(stub.url), now=NOW
            ).sent
            == 1
        )
    session.expire_all()
    assert session.get(OutboxMessage, row.id).status == OutboxStatus.SENT  # type: ignore[union-attr]
