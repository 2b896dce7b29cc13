"""A fasting blood test booked in a real browser: the confirmation page tells the patient how to
prepare in the same words as the text and email queued for them (issue 11 item 3); screenshot
and axe."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.notify.texts import PREPARATION
from shared.models import Appointment, OutboxMessage
from shared.references import normalise_reference
from tests.browser.pages import Patient, book, nothing


def test_the_fasting_confirmation_says_how_to_prepare(site, live_server):
    page = site.open(width=390, height=844)
    done = book(site, page, test="Fasting blood test", patient=Patient(request_number=""), on_page=nothing)
    expect(page.locator("main")).to_contain_text(PREPARATION["fasting"])
    site.audit(page, "fasting confirmation")
    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(
            Appointment.reference == normalise_reference(done.reference))).one()
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id)).all()
    assert messages and all(m.personalisation["preparation"] == PREPARATION["fasting"] for m in messages)
