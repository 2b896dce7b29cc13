"""What to do before a fasting blood test or a glucose tolerance test is in the booked, changed
and reminder texts and emails (issue 11 item 3), in the same words as the web page, the letter and
the calendar file: one source, booking_web/notify/texts.py. Real outbox, scheduler jobs and local
sender (the files a patient would be sent), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from booking_web.notify import LocalFileSender
from booking_web.notify.senders import Outgoing
from booking_web.notify.texts import GENERAL_PREPARATION, PREPARATION, preparation_for
from booking_web.scheduler import JobContext, run_job
from booking_web.services import booking
from booking_web.services.appointment_summary import summarise
from booking_web.services.letters import calendar_ics, letter_pdf
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.integration.test_staff import text_of_pdf

DAY = dt.date(2026, 11, 25)  # Wednesday; NOW is Monday 08:00
FASTING = "Do not eat or drink anything except water from 10pm the night before your test."
GTT_STAY = "You will be at the clinic for about 2 and a half hours"


def _book(session, settings, type_code: str, n: int = 0):  # type: ignore[no-untyped-def]
    long = type_code == "gtt"  # a glucose tolerance test takes 2 and a half hours
    clinic = make_clinic(session, day=DAY, start=dt.time(8), end=dt.time(10, 30) if long else dt.time(10),
                         slot_minutes=150 if long else 10, types=(type_code,))
    return booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code=type_code,
                                    patient=make_patient(n, email=f"p{n}@example.com"), now=NOW,
                                    settings=settings).appointment


def _sent(engine, settings, folder: Path, at: dt.datetime) -> dict[str, str]:
    """Run the scheduler's jobs at `at` with the local sender; the messages written, by file name."""
    ctx = JobContext(engine=engine, settings=settings, sender=LocalFileSender(folder, "https://bloods.example"),
                     clock=lambda: at)
    for job in ("queue_reminders", "send_outbox"):
        run_job(ctx, job)
    return {p.name: p.read_text() for p in sorted(folder.glob("*.txt"))}


@pytest.mark.parametrize("type_code,words", [
    ("fasting", (FASTING, "Keep taking your medicines")),
    ("gtt", (FASTING, GTT_STAY)),
])
def test_booked_and_reminder_messages_say_how_to_prepare(engine, session, settings, tmp_path, type_code, words):
    _book(session, settings, type_code)
    booked = _sent(engine, settings, tmp_path / "booked", NOW)
    assert len(booked) == 2  # text and email
    # Booked at 08:00 two days ahead, so the 48-hour reminder time had passed: the 2-hour one.
    reminder_at = dt.datetime(2026, 11, 25, 6, 5, tzinfo=dt.UTC)
    reminders = _sent(engine, settings, tmp_path / "reminders", reminder_at)
    assert [n.split("-", 1)[1] for n in reminders] == ["reminder-sms.txt", "reminder-email.txt"]
    for body in (*booked.values(), *reminders.values()):
        for phrase in words:
            assert phrase in body, body


def test_a_change_to_a_fasting_test_says_how_to_prepare(engine, session, settings, tmp_path):
    appt = _book(session, settings, "adult")
    fasting_slot = slots_of(session, make_clinic(session, day=DAY, types=("fasting",)))[0]
    booking.reschedule_appointment(session=session, reference=appt.reference, date_of_birth=dt.date(1970, 5, 17),
                                   new_slot_id=fasting_slot.id, now=NOW, settings=settings, type_code="fasting")
    sent = _sent(engine, settings, tmp_path, NOW)
    changed = [body for name, body in sent.items() if "-changed-" in name]
    booked = [body for name, body in sent.items() if "-booked-" in name]
    assert changed and all(FASTING in body for body in changed)
    # The first booking was an ordinary one: general advice, not fasting.
    assert booked and all(GENERAL_PREPARATION in b and FASTING not in b for b in booked)


def test_the_web_page_letter_and_calendar_use_the_same_words(session, settings):
    for n, code in enumerate(("fasting", "gtt", "adult", "inr")):
        appt = _book(session, settings, code, n)
        summary = summarise(session=session, appointment=appt, secret=settings.secret_key)
        # The message's advice is where the page, the letter and the calendar file start theirs.
        assert summary.preparation.startswith(preparation_for(code))
        letter = " ".join(text_of_pdf(letter_pdf(summary, manage_url="https://bloods.example/manage")).split())
        assert PREPARATION.get(code, GENERAL_PREPARATION).split(". ")[0] in letter
        ics = calendar_ics(summary, now=NOW, manage_url="https://bloods.example/manage").decode()
        assert preparation_for(code)[:40] in ics.replace("\r\n ", "")
    assert FASTING in PREPARATION["fasting"] and FASTING in PREPARATION["gtt"] and GTT_STAY in PREPARATION["gtt"]


def test_a_message_queued_before_the_preparation_words_still_sends(tmp_path):
    """Messages already in the outbox when this is deployed carry no preparation placeholder."""
    sender = LocalFileSender(tmp_path, "https://bloods.example")
    sender.send(Outgoing(id=1, channel="sms", recipient="07700900123", template="booked", reference="k",
                         personalisation={"reference": "ABC-DEF-GHJ", "date": "Wednesday 25 November 2026",
                                          "time": "8:00am", "site": "Northgate", "address": "1 Road, Leeds"}))
    body = (tmp_path / "000001-booked-sms.txt").read_text()
    assert "ABC-DEF-GHJ" in body and "((" not in body
