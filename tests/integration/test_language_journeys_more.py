"""The rest of the patient's language (issue 16): the pages a GP practice's invitation opens,
the messages about a test request (in the language the patient last booked in, with the Notify
template for it or the English one), a booking changed (or moved to an earlier time offered
from the waiting list) in another language taking that language, and the 'try again in a
minute' page and the booking line's hours in the language."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from babel.dates import format_date
from sqlalchemy import event, exc
from sqlmodel import select

from booking_web.app import create_app
from booking_web.notify import LocalFileSender, send_due_messages
from booking_web.notify.request_messages import queue_cancelled
from booking_web.notify.senders import template_for
from booking_web.services import booking
from booking_web.waitlist.offers import offer_free_chairs
from shared.locales import LANGUAGES, SHIPPED, translations
from shared.models import Appointment, LabRequest, OutboxMessage
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site, slots_of
from tests.integration.public_pages import get, parse, submit
from tests.integration.test_invitation_journey import DOB, LATEST, _clinics, _dob, _link, _order
from tests.integration.test_languages import _data, _english_left, _english_phrases
from tests.integration.test_public_manage import booked, open_booking  # noqa: F401 (fixture)
from tests.integration.test_waitlist import offers_to
from tests.integration.test_waitlist_journey import _waiting

MARGARET = {"nhs_number": "9990000026", "given_name": "Margaret", "family_name": "O'Brien",
            "date_of_birth": DOB}


def _booked_before_in(session, settings, code: str) -> None:  # type: ignore[no-untyped-def]
    """Margaret booked a blood test before, in `code`."""
    site = make_site(session, name="Eastmoor Clinic", postcode="LS15 8EE")
    [slot, *_] = slots_of(session, make_clinic(session, site=site, day=dt.date(2026, 11, 24),
                                               start=dt.time(9, 0), end=dt.time(10, 0)))
    booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                             patient=make_patient(**MARGARET), now=NOW, settings=settings, language=code)


def _invites(session) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    return session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite")).all()


@pytest.mark.parametrize("code", SHIPPED)
def test_a_request_is_told_in_the_language_the_patient_booked_in(session, settings, code):
    _booked_before_in(session, settings, code)
    _order(session, settings)
    [invite] = _invites(session)
    assert invite.language == code
    assert invite.personalisation["book_by"] == format_date(
        LATEST, "EEEE d MMMM y", locale=LANGUAGES[code].babel_locale)
    assert invite.personalisation["invite_url"].endswith(f"?lang={code}")  # opens the pages in it
    # Notify: the template for the language when there is one, else the English one.
    assert template_for({"invite_sms": "en", f"invite_sms_{code}": code}, _outgoing(invite)) == code
    assert template_for({"invite_sms": "en"}, _outgoing(invite)) == "en"
    # The practice cancels it: that message is in the language too.
    req = session.exec(select(LabRequest)).one()
    queue_cancelled(session, req, appointment=None, now=NOW)
    session.commit()
    cancelled = session.exec(select(OutboxMessage).where(OutboxMessage.template == "request_cancelled")).one()
    assert cancelled.language == code


def _outgoing(message: OutboxMessage):  # type: ignore[no-untyped-def]
    from booking_web.notify.senders import Outgoing

    return Outgoing(message.id, message.channel, message.recipient, message.template,  # type: ignore[arg-type]
                    message.personalisation, "k", language=message.language)


def test_the_local_outbox_writes_a_welsh_invitation(engine, session, settings):
    _booked_before_in(session, settings, "cy")
    _order(session, settings)
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.template != "invite")).all():
        session.delete(row)  # the earlier booking's own messages
    session.commit()
    sender = LocalFileSender(settings.outbox_dir, "http://127.0.0.1:5000")
    assert send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW).sent == 1
    [path] = settings.outbox_dir.glob("*.txt")
    text = path.read_text()
    assert "GIG: Mae eich meddygfa wedi gofyn am brawf gwaed. Archebwch erbyn Dydd Iau 26 Tachwedd 2026" in text
    assert "?lang=cy" in text


def test_a_patient_who_never_booked_is_told_in_english(session, settings):
    _order(session, settings)
    [invite] = _invites(session)
    assert invite.language == "" and "?lang=" not in invite.personalisation["invite_url"]
    assert invite.personalisation["book_by"] == "Thursday 26 November 2026"


@pytest.mark.parametrize("code", SHIPPED)
def test_the_invitation_pages_leave_no_english(client, session, settings, code):
    """The link, the date of birth (and its error), the check page and a dead link, in English
    and then in `code`: any phrase that reads the same in both, and is not data, was missed."""
    _order(session, settings)
    site = _clinics(session)
    pages = {}
    for lang in ("en", code):
        client.get(f"/?lang={lang}")
        client.get(_link(session))
        pages[lang] = {"dob": get(client, "/book/invitation/date-of-birth").html,
                       "wrong dob": _dob(client, 1, 1, 1950).data.decode()}
    for lang in ("en", code):  # a dead link (it ends the journey: last)
        client.get(f"/?lang={lang}")
        pages[lang]["dead link"] = client.get("/r/not-a-link").data.decode()
    client.get("/?lang=en")
    client.get(_link(session))
    assert _dob(client, 4, 3, 1948).status_code == 302
    submit(client, "/book/invitation/postcode", {"postcode": "LS7 3AB"})
    submit(client, "/book/invitation/place", {"site_id": str(site.id)})
    submit(client, "/book/invitation/date", {"date": "2026-11-25"})
    times = get(client, "/book/invitation/time")
    submit(client, "/book/invitation/time", {"slot_id": times.radio_value("slot_id", "9:00am")})
    for lang in ("en", code):
        client.get(f"/?lang={lang}")
        pages[lang]["check"] = get(client, "/book/invitation/check").html
        pages[lang]["date"] = get(client, "/book/invitation/date").html
    # The laboratory's test names are data staff keep (phlebo import-catalogue), as typed.
    data = _data(session) | {", ".join(name for name in ("Full blood count", "Urea and electrolytes",
                                                          "Glucose (fasting)"))}
    for name, english in pages["en"].items():
        translated = pages[code][name]
        assert f'lang="{code}"' in translated, name
        assert _english_left(english, translated, data) | _english_phrases(english, translated, data) == set(), name
    error = translations(code).ugettext(
        "That date of birth does not match the one your GP practice gave us. Check it and try again.")
    assert error in parse(pages[code]["wrong dob"]).summary_texts


def test_a_change_made_in_polish_makes_the_booking_polish(client, session, booked):  # noqa: F811
    appt = booked["appt"]
    assert appt.language == ""
    open_booking(client, appt)
    client.get("/manage/change")
    submit(client, "/manage/change/place", {"site_id": str(booked["eastmoor"].id)})
    submit(client, "/manage/change/date", {"date": "2026-11-26"})
    times = get(client, "/manage/change/time")
    submit(client, "/manage/change/time", {"slot_id": times.radio_value("slot_id", "11:20am")}, page=times)
    client.get("/?lang=pl")  # the patient switches to Polish on the check page and confirms
    response = submit(client, "/manage/change/check")
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/booking")
    session.expire_all()
    moved = session.exec(select(Appointment)).one()
    assert moved.language == "pl"
    changed = session.exec(select(OutboxMessage).where(OutboxMessage.template == "changed")).one()
    assert changed.language == "pl" and changed.personalisation["date"] == "czwartek 26 listopada 2026"


def test_a_change_made_in_english_makes_a_welsh_booking_english(client, session, settings, booked):  # noqa: F811
    appt = booked["appt"]
    appt.language = "cy"
    session.add(appt)
    session.commit()
    open_booking(client, appt)
    client.get("/manage/change")
    submit(client, "/manage/change/place", {"site_id": str(booked["eastmoor"].id)})
    submit(client, "/manage/change/date", {"date": "2026-11-26"})
    times = get(client, "/manage/change/time")
    submit(client, "/manage/change/time", {"slot_id": times.radio_value("slot_id", "11:20am")}, page=times)
    assert submit(client, "/manage/change/check").status_code == 302
    session.expire_all()
    assert session.exec(select(Appointment)).one().language == ""


def _database_away(app):  # type: ignore[no-untyped-def]
    def away(*_args: object) -> None:
        raise exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    engine = app.extensions["phlebo"].engine
    event.listen(engine, "before_cursor_execute", away)
    return lambda: event.remove(engine, "before_cursor_execute", away)


@pytest.mark.parametrize("code", SHIPPED)
def test_the_try_again_page_is_in_the_patients_language(client, app, code):
    client.get(f"/?lang={code}")
    back = _database_away(app)
    try:
        page = client.get("/book/type")
    finally:
        back()
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    shown = parse(page.data)
    assert f'<html lang="{code}"' in shown.html and ('dir="rtl"' in shown.html) == (code == "ar")
    words = translations(code).ugettext
    assert shown.h1 == words("Sorry, there is a problem with the service")
    assert words("Try again in a minute.") in shown.text
    assert words("Monday to Friday, 8am to 6pm") in shown.text  # the demo's hours, translated
    assert "Try again" not in shown.text


def test_the_booking_lines_hours_in_each_language(settings, engine):
    """Hours the service wrote for a language are used; hours with no translation are shown in
    English, marked as English; the demo's hours come from the catalogue."""
    own = dataclasses.replace(settings, booking_phone_hours="Weekdays 9 till 5",
                              booking_phone_hours_in={"cy": "Yn ystod yr wythnos, 9 tan 5"})
    client = create_app(own, engine=engine).test_client()
    client.get("/?lang=cy")
    assert "Yn ystod yr wythnos, 9 tan 5" in get(client, "/").text
    client.get("/?lang=pl")
    polish = get(client, "/").html
    assert '<span lang="en-GB">Weekdays 9 till 5</span>' in polish
    client.get("/?lang=en")
    english = get(client, "/").html
    assert "Weekdays 9 till 5" in english and '<span lang="en-GB">' not in english


def test_the_hours_for_each_language_come_from_the_environment():
    from shared.config import Settings

    read = Settings.from_env({"PHLEBO_BOOKING_PHONE_HOURS": "Weekdays 9 till 5",
                              "PHLEBO_BOOKING_PHONE_HOURS_CY": " Yn ystod yr wythnos ",
                              "PHLEBO_BOOKING_PHONE_HOURS_XX": "ignored"}, instance_dir="/tmp")
    assert read.booking_phone_hours_in == {"cy": "Yn ystod yr wythnos"}


def test_an_earlier_time_offered_in_welsh_opens_welsh_pages_and_takes_the_language_it_is_accepted_in(
    client, session, settings
):
    site = make_site(session, name="Seacroft Clinic")
    appt = _waiting(session, settings, site=site)
    appt.language = "cy"
    session.add(appt)
    session.commit()
    make_clinic(session, site=site, day=NOW.date(), start=dt.time(13, 0), end=dt.time(13, 10), chairs=1)
    offer_free_chairs(session=session, settings=settings, now=NOW)
    [message] = offers_to(session, appt)
    assert message.language == "cy"
    offer, leave = message.personalisation["offer_url"], message.personalisation["leave_url"]
    assert offer.endswith("?lang=cy") and leave.endswith("?lang=cy")
    opened = client.get(offer.removeprefix(settings.public_url))
    path = opened.headers["Location"]  # the same page, without ?lang= (now in the session)
    assert opened.status_code == 302 and path == offer.removeprefix(settings.public_url).split("?")[0]
    page = get(client, path)
    assert '<html lang="cy"' in page.html
    client.get("/?lang=pl")  # the patient reads Polish better, and accepts in it
    assert submit(client, path).status_code == 200
    session.expire_all()
    moved = session.get(Appointment, appt.id)
    assert moved is not None and moved.starts_at.date() == NOW.date() and moved.language == "pl"


def test_check_config_asks_for_the_hours_in_each_language_when_they_cannot_be_translated(tmp_path):
    from booking_web.config_check import check_server_settings
    from tests.integration.test_check_config import production

    assert check_server_settings(production(tmp_path)) == []  # the demo's words: translated
    own = production(tmp_path, PHLEBO_BOOKING_PHONE_HOURS="Weekdays 9 till 5",
                     PHLEBO_BOOKING_PHONE_HOURS_CY="Yn ystod yr wythnos, 9 tan 5")
    [found] = check_server_settings(own)
    assert found.warning and found.setting == "PHLEBO_BOOKING_PHONE_HOURS"
    assert "PHLEBO_BOOKING_PHONE_HOURS_PL, PHLEBO_BOOKING_PHONE_HOURS_AR" in found.message
    every = {**own, "PHLEBO_BOOKING_PHONE_HOURS_PL": "Dni robocze 9–17",
             "PHLEBO_BOOKING_PHONE_HOURS_AR": "أيام الأسبوع من 9 إلى 5"}
    assert check_server_settings(every) == []  # each is a setting Phlebo reads, not a typo
