"""The patient's language goes with their booking: the web journey stores it, their messages are
written in it (dates, preparation) and sent with the Notify template for it (the English one when
there is none), the local outbox writes its words, and the letter is in it: Arabic set right to
left in a font with the script, read back with pdftotext and drawn for a look."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from sqlmodel import select

from booking_web.notify import LocalFileSender, NotifySender, send_due_messages
from booking_web.notify.senders import Outgoing, template_for
from shared.models import Appointment, OutboxMessage
from tests.conftest import NOW
from tests.integration.notify_stub import API_KEY, notify_stub
from tests.integration.test_notify import TEMPLATE_IDS, book, messages
from tests.integration.test_public_booking import (  # noqa: F401 (fixture)
    confirm,
    sites,
    walk_to_check,
)

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "letters"


def _book_in(client, code: str) -> None:  # type: ignore[no-untyped-def]
    """Walk the booking journey, then switch to `code` on the check page and book."""
    walk_to_check(client)
    client.get("/book/check?lang=" + code)
    confirm(client)


def _appointment(session) -> Appointment:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(Appointment).order_by(Appointment.id.desc())).first()  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["cy", "pl", "ar"])
def test_a_booking_made_in_a_language_keeps_it_and_its_message_is_in_it(
    client, session, sites, code  # noqa: F811
):
    _book_in(client, code)
    appt = _appointment(session)
    assert appt.language == code
    [message] = session.exec(select(OutboxMessage)).all()
    assert message.language == code and message.template == "booked"
    date = {"cy": "Dydd Mercher 25 Tachwedd 2026", "pl": "środa 25 listopada 2026",
            "ar": "الأربعاء 25 نوفمبر 2026"}[code]
    assert message.personalisation["date"] == date
    assert message.personalisation["reference"][3] == "-"  # ABC-DEF-GHJ as always
    advice = {"cy": "Yfwch ddigon o ddŵr", "pl": "Przed badaniem pij dużo wody",
              "ar": "اشرب الكثير من الماء"}[code]
    assert advice in message.personalisation["preparation"]


def test_a_booking_made_in_english_keeps_no_language(client, session, sites):  # noqa: F811
    walk_to_check(client)
    confirm(client)
    appt = _appointment(session)
    assert appt.language == ""
    assert session.exec(select(OutboxMessage)).one().personalisation["date"] == (
        "Wednesday 25 November 2026")


def test_notify_uses_the_template_for_the_language_and_falls_back_to_english(
    engine, session, settings
):
    ids = {**TEMPLATE_IDS, "booked_sms_cy": "tmpl-booked-sms-cy"}
    for n, language in enumerate(("cy", "pl", "")):
        appt = book(session, settings, n=n, slot_index=n)
        appt.language = language
        session.add(appt)
    session.commit()
    for row in messages(session):  # queued before the language was set above: set it too
        row.language = session.get(Appointment, row.appointment_id).language  # type: ignore[union-attr]
        session.add(row)
    session.commit()
    sender = NotifySender(api_key=API_KEY, base_url="", template_ids=ids, service_url="https://x")
    with notify_stub() as stub:
        sender.base_url = stub.url
        report = send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW)
    assert report.sent == 3
    used = sorted(body["template_id"] for body in stub.bodies("/v2/notifications/sms"))
    # Welsh has its own template; Polish has none set, so the English one; English the English.
    assert used == ["tmpl-booked-sms", "tmpl-booked-sms", "tmpl-booked-sms-cy"]


def test_template_ids_per_language_fall_back_to_english():
    ids = {"booked_sms": "en", "booked_sms_ar": "ar"}
    message = Outgoing(1, "sms", "07700900123", "booked", {}, "k", language="ar")
    assert template_for(ids, message) == "ar"
    assert template_for(ids, Outgoing(1, "sms", "x", "booked", {}, "k", language="pl")) == "en"
    assert template_for(ids, Outgoing(1, "email", "x", "booked", {}, "k", language="ar")) is None


def test_the_local_outbox_writes_the_message_in_the_patients_language(engine, session, settings):
    appt = book(session, settings)
    appt.language = "cy"
    session.add(appt)
    [row] = messages(session)
    row.language = "cy"
    session.add(row)
    session.commit()
    sender = LocalFileSender(settings.outbox_dir, "http://127.0.0.1:5000")
    assert send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW).sent == 1
    [path] = settings.outbox_dir.glob("*.txt")
    text = path.read_text()
    assert "GIG: mae eich prawf gwaed wedi’i archebu" in text
    assert "I newid neu ganslo, ewch i http://127.0.0.1:5000/manage" in text


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    found = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                           check=True, timeout=30).stdout.decode()
    return unicodedata.normalize("NFKC", found)  # Arabic presentation forms as letters


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_the_letter_is_in_the_language_the_patient_booked_in(
    client, session, sites, tmp_path, code  # noqa: F811
):
    _book_in(client, code)
    client.get("/?lang=en")  # the letter follows the booking, not the page
    pdf = client.get("/book/confirmation/letter.pdf").data
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    reference = format_reference_of(session)
    assert reference in text  # the reference as it is
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"letter-{code}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(OUT / f"letter-{code}.pdf"),
                    str(OUT / f"letter-{code}")], check=True, timeout=60)
    if code == "cy":
        assert "Eich apwyntiad prawf gwaed" in text and "Dydd Mercher 25 Tachwedd 2026" in text
        assert "Yfwch ddigon o ddŵr" in text  # ŵ: a font with Welsh letters
        return
    # Arabic: every word of these lines is there, joined letters read back as letters (pdftotext
    # gives the words of a right-to-left line in the order they are drawn).
    for line in ("موعد فحص الدم الخاص بك", "رقم الحجز", "قبل الفحص", "عند وصولك"):
        assert all(word in text for word in line.split()), (line, text)
    assert "نوفمبر" in text and "2026" in text


def format_reference_of(session) -> str:  # type: ignore[no-untyped-def]
    from shared.references import format_reference

    return format_reference(_appointment(session).reference)


def test_pdftotext_is_installed():
    assert shutil.which("pdftotext") and shutil.which("pdftoppm")


def test_a_waiting_list_offer_is_in_the_language_of_the_booking(session, settings):
    from booking_web.services import booking as bookings
    from booking_web.waitlist.offers import offer_free_chairs
    from tests.integration.test_waitlist import DOB, offers_to, world

    w = world(session, settings, waiters=1)
    w.waiters[0].language = "cy"
    session.add(w.waiters[0])
    session.commit()
    bookings.cancel_appointment(session=session, reference=w.filler.reference, date_of_birth=DOB,
                                now=NOW)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [offer] = offers_to(session, w.waiters[0])
    assert offer.language == "cy"
    # NOW is Monday 23 November: the freed chair is on Wednesday 25th, at 09:00.
    assert offer.personalisation["day"] == "ar Dydd Mercher 25 Tachwedd 2026"
    assert offer.personalisation["time"] == "09:00"
